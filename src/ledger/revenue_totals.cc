#include "fleetgate/ledger/revenue_totals.h"

#include <boost/json.hpp>

namespace fleetgate::ledger {
namespace {

namespace json = boost::json;

std::string mark_key(Period month) { return "ledger/revtot/" + month.to_string(); }
std::string rows_prefix(Period month) { return mark_key(month) + "/"; }
std::string row_key(Period month, const RevenueTotalsKey& k) {
  return rows_prefix(month) + std::string(type_name(k.type)) + "/" + std::to_string(k.months) + "/" + k.feature + "/" +
         k.market + "/" + k.currency;
}

std::string encode_row(const RevenueTotalsKey& k, const RevenueTotals& t) {
  json::object o;
  o["type"] = type_name(k.type);
  o["feature"] = k.feature;
  o["market"] = k.market;
  o["currency"] = k.currency;
  o["events"] = t.events;
  json::array parts;
  for (int64_t p : t.parts) parts.push_back(p);
  o["parts"] = std::move(parts);
  return json::serialize(o);
}

Status decode_row(std::string_view bytes, MonthRevenue& into) {
  boost::system::error_code ec;
  const json::value v = json::parse(bytes, ec);
  const json::object* o = ec ? nullptr : v.if_object();
  const auto text = [&](std::string_view k) -> const json::string* {
    const json::value* f = o != nullptr ? o->if_contains(k) : nullptr;
    return f != nullptr ? f->if_string() : nullptr;
  };
  const json::string *type_text = text("type"), *feature = text("feature"), *market = text("market"),
                     *currency = text("currency");
  const json::value* events = o != nullptr ? o->if_contains("events") : nullptr;
  const json::value* parts = o != nullptr ? o->if_contains("parts") : nullptr;
  if (!type_text || !feature || !market || !currency || !events || !events->is_int64() || !parts ||
      !parts->is_array() || parts->as_array().empty()) {
    return data_loss("damaged revenue totals row");
  }
  auto type = parse_revenue_type(*type_text);
  if (!type.is_ok()) return data_loss("revenue totals row with " + type.status().message());
  RevenueTotals t{events->as_int64(), {}};
  for (const auto& p : parts->as_array()) {
    if (!p.is_int64()) return data_loss("damaged revenue totals row");
    t.parts.push_back(p.as_int64());
  }
  const RevenueTotalsKey key{*type, static_cast<int>(t.parts.size()), std::string(*feature), std::string(*market),
                             std::string(*currency)};
  into[key] = std::move(t);
  return Status::ok();
}

}  // namespace

std::string revenue_month_prefix(Period month) { return "ledger/rev/" + month.to_string() + "/"; }

Status add_event(MonthRevenue& totals, const RevenueEvent& e, const Feature& feature) {
  const std::vector<Recognition> parts = recognise(e, feature);
  const RevenueTotalsKey key{e.type, static_cast<int>(parts.size()), e.feature, e.market, e.currency};
  RevenueTotals sum = totals.contains(key) ? totals.at(key) : RevenueTotals{0, std::vector<int64_t>(parts.size(), 0)};
  bool overflow = __builtin_add_overflow(sum.events, 1, &sum.events);
  for (size_t k = 0; k < parts.size(); ++k) overflow |= __builtin_add_overflow(sum.parts[k], parts[k].amount_minor, &sum.parts[k]);
  if (overflow) {
    return invalid_argument("revenue of " + e.feature + " in " + e.market + " for " +
                            Period::containing(e.time_ms).to_string() + " overflows int64 " + e.currency);
  }
  totals[key] = std::move(sum);
  return Status::ok();
}

Result<std::optional<MonthRevenue>> read_month_revenue(const store::KvReader& view, Period month) {
  auto mark = view.get(mark_key(month));
  if (!mark.is_ok()) {
    if (mark.status().code() == Code::kNotFound) return std::optional<MonthRevenue>();
    return mark.status();
  }
  MonthRevenue totals;
  auto it = view.scan(rows_prefix(month));
  for (; it->valid(); it->next()) {
    if (auto s = decode_row(it->value(), totals); !s.is_ok()) return s;
  }
  if (!it->status().is_ok()) return it->status();
  return std::optional<MonthRevenue>(std::move(totals));
}

Result<std::optional<MonthRevenue>> sum_month_events(const store::KvReader& view, Period month,
                                                     const LedgerConfig& config) {
  MonthRevenue totals;
  auto it = view.scan(revenue_month_prefix(month));
  for (; it->valid(); it->next()) {
    auto e = decode_event(it->value());
    if (!e.is_ok()) return e.status();
    const Feature* feature = config.feature(e->feature);
    if (feature == nullptr) return std::optional<MonthRevenue>();
    if (auto s = add_event(totals, *e, *feature); !s.is_ok()) return s;
  }
  if (!it->status().is_ok()) return it->status();
  return std::optional<MonthRevenue>(std::move(totals));
}

void write_month_revenue(store::WriteBatch& batch, Period month, const MonthRevenue& totals) {
  for (const auto& [key, sum] : totals) batch.put(row_key(month, key), encode_row(key, sum));
  batch.put(mark_key(month), "complete");
}

}  // namespace fleetgate::ledger
