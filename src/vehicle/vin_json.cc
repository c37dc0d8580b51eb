#include "fleetgate/vehicle/vin_json.h"

#include <boost/json.hpp>

namespace fleetgate::vehicle {

boost::json::object to_json(const VinCheck& c, boost::json::storage_ptr sp) {
  return boost::json::object({{"required", c.check_digit_required},
                              {"valid", c.check_digit_valid},
                              {"expected", std::string_view(&c.check_digit_expected, 1)}},
                             std::move(sp));
}

boost::json::object to_json(const DecodedVin& d, boost::json::storage_ptr sp) {
  boost::json::value model_year(sp);
  if (d.model_year) model_year = *d.model_year;
  return boost::json::object({{"vin", d.vin},
                              {"wmi", d.wmi},
                              {"manufacturer", d.manufacturer},
                              {"country", d.country},
                              {"region_of_origin", d.region_of_origin},
                              {"vds", d.vds},
                              {"check_digit", to_json(d.check, sp)},
                              {"model_year", model_year},
                              {"plant_code", std::string_view(&d.plant_code, 1)},
                              {"plant", d.plant},
                              {"serial", d.serial}},
                             sp);
}

}  // namespace fleetgate::vehicle
