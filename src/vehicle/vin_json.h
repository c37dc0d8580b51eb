// The JSON of a decoded VIN, as `fleetgate vin decode --json` prints it and GET /v1/vin/{vin}
// answers: {"vin","wmi","manufacturer","country","region_of_origin","vds","check_digit":
// {"required","valid","expected"},"model_year" (null when unknown),"plant_code","plant","serial"}.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/storage_ptr.hpp>

#include "fleetgate/vehicle/vin.h"

namespace fleetgate::vehicle {

// {"required","valid","expected"}, allocated from `sp`.
boost::json::object to_json(const VinCheck& check, boost::json::storage_ptr sp = {});
// The whole decoding, allocated from `sp`.
boost::json::object to_json(const DecodedVin& decoded, boost::json::storage_ptr sp = {});

}  // namespace fleetgate::vehicle
