#include "fleetgate/telemetry/record.h"

namespace fleetgate::telemetry {

static_assert(std::is_same_v<std::variant_alternative_t<static_cast<size_t>(ValueType::kInt), Value>, int64_t>);
static_assert(std::is_same_v<std::variant_alternative_t<static_cast<size_t>(ValueType::kDouble), Value>, double>);
static_assert(std::is_same_v<std::variant_alternative_t<static_cast<size_t>(ValueType::kBool), Value>, bool>);
static_assert(std::is_same_v<std::variant_alternative_t<static_cast<size_t>(ValueType::kLocation), Value>, Location>);

ValueType value_type(const Value& v) { return static_cast<ValueType>(v.index()); }

}  // namespace fleetgate::telemetry
