#include "fleetgate/ledger/revenue_event.h"

#include <algorithm>
#include <array>
#include <boost/json.hpp>
#include <map>

#include "fleetgate/core/money.h"
#include "fleetgate/vehicle/csv_line.h"

namespace fleetgate::ledger {
namespace {

namespace json = boost::json;

constexpr std::array<std::string_view, 7> kColumns = {"id", "time", "type", "feature", "market", "currency", "amount"};
constexpr size_t kMaxReportedErrors = 20;

bool is_event_id(std::string_view s) {
  return !s.empty() && s.size() <= 128 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                  c == '_' || c == ':' || c == '-';
         });
}

// One event from its seven text fields, in kColumns order.
Result<RevenueEvent> make_event(const std::array<std::string, 7>& f, const LedgerConfig& config) {
  RevenueEvent e;
  e.id = f[0];
  if (!is_event_id(e.id)) return invalid_argument("id '" + e.id + "' must be 1-128 of [A-Za-z0-9._:-]");
  auto time = parse_utc_time(f[1]);
  if (!time.is_ok()) return time.status();
  e.time_ms = *time;
  auto type = parse_revenue_type(f[2]);
  if (!type.is_ok()) return type.status();
  e.type = *type;
  e.feature = f[3];
  if (config.feature(e.feature) == nullptr) return invalid_argument("unknown feature '" + e.feature + "'");
  e.market = f[4];
  if (!config::is_market_code(e.market)) {
    return invalid_argument("market '" + e.market + "' is not an ISO 3166 alpha-2 code");
  }
  e.currency = f[5];
  auto amount = money::parse_amount(f[6], e.currency);
  if (!amount.is_ok()) return amount.status();
  if (e.type == RevenueType::kCorrection ? *amount == 0 : *amount <= 0) {
    return invalid_argument(e.type == RevenueType::kCorrection ? "a correction must not be zero"
                                                               : "amount must be positive");
  }
  e.amount_minor = e.type == RevenueType::kRefund ? -*amount : *amount;
  return e;
}

// Collects per-row errors and turns them into one Status at the end.
class RowErrors {
 public:
  void add(const std::string& where, const std::string& reason) {
    if (count_++ < kMaxReportedErrors) text_ += (text_.empty() ? "" : "; ") + where + ": " + reason;
  }
  Status status() const {
    if (count_ == 0) return Status::ok();
    std::string more = count_ > kMaxReportedErrors
                           ? " (and " + std::to_string(count_ - kMaxReportedErrors) + " more bad rows)"
                           : "";
    return invalid_argument(std::to_string(count_) + " bad revenue row(s), nothing imported: " + text_ + more);
  }

 private:
  size_t count_ = 0;
  std::string text_;
};

// Same id twice in one input: fine when identical, an error otherwise.
void check_duplicates(const std::vector<SourcedEvent>& events, RowErrors& errors) {
  std::map<std::string_view, const SourcedEvent*> seen;
  for (const auto& s : events) {
    auto [it, inserted] = seen.emplace(s.event.id, &s);
    if (!inserted && !(it->second->event == s.event)) {
      errors.add(s.where, "id '" + s.event.id + "' repeats " + it->second->where + " with different content");
    }
  }
}

}  // namespace

std::string_view type_name(RevenueType t) {
  switch (t) {
    case RevenueType::kSubscription: return "subscription";
    case RevenueType::kPurchase: return "purchase";
    case RevenueType::kRefund: return "refund";
    case RevenueType::kCorrection: return "correction";
  }
  return "unknown";
}

Result<RevenueType> parse_revenue_type(std::string_view s) {
  for (auto t : {RevenueType::kSubscription, RevenueType::kPurchase, RevenueType::kRefund, RevenueType::kCorrection}) {
    if (type_name(t) == s) return t;
  }
  return invalid_argument("type '" + std::string(s) + "' is not subscription, purchase, refund or correction");
}

std::vector<Recognition> recognise(const RevenueEvent& e, const Feature& feature) {
  const Period first = Period::containing(e.time_ms);
  const int months = e.type == RevenueType::kPurchase ? feature.recognition_months : 1;
  std::vector<Recognition> out;
  out.reserve(static_cast<size_t>(months));
  // Every month gets A/n (truncated); the last |A % n| months get one minor unit more in
  // magnitude, so the earlier months get the smaller parts and the parts sum exactly to A.
  const int64_t base = e.amount_minor / months;
  const int64_t rest = e.amount_minor % months;  // same sign as the amount
  const int64_t unit = rest < 0 ? -1 : 1;
  const int64_t first_larger = months - rest * unit;
  for (int k = 0; k < months; ++k) out.push_back({first.plus(k), base + (k >= first_larger ? unit : 0)});
  return out;
}

Result<std::vector<SourcedEvent>> parse_revenue_csv(std::string_view text, const LedgerConfig& config) {
  std::vector<SourcedEvent> events;
  RowErrors errors;
  std::array<size_t, 7> column{};
  bool have_header = false;
  size_t line_no = 0;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    const std::string where = "line " + std::to_string(line_no);
    auto fields = vehicle::split_csv_line(line);
    if (!fields.is_ok()) {
      if (!have_header) return invalid_argument(where + ": header: " + fields.status().message());
      errors.add(where, fields.status().message());
      continue;
    }
    if (!have_header) {
      for (size_t c = 0; c < kColumns.size(); ++c) {
        auto it = std::find(fields->begin(), fields->end(), kColumns[c]);
        if (it == fields->end()) {
          return invalid_argument(where + ": header lacks column '" + std::string(kColumns[c]) +
                                  "' (needs id,time,type,feature,market,currency,amount)");
        }
        column[c] = static_cast<size_t>(it - fields->begin());
      }
      have_header = true;
      continue;
    }
    std::array<std::string, 7> f;
    bool complete = true;
    for (size_t c = 0; c < kColumns.size(); ++c) {
      if (column[c] >= fields->size()) {
        complete = false;
        break;
      }
      f[c] = (*fields)[column[c]];
    }
    if (!complete) {
      errors.add(where, "expected at least " + std::to_string(*std::max_element(column.begin(), column.end()) + 1) +
                            " fields, got " + std::to_string(fields->size()));
      continue;
    }
    auto e = make_event(f, config);
    if (!e.is_ok()) {
      errors.add(where, e.status().message());
      continue;
    }
    events.push_back({std::move(e).value(), where});
  }
  if (!have_header) return invalid_argument("revenue file is empty (no header line)");
  check_duplicates(events, errors);
  if (auto s = errors.status(); !s.is_ok()) return s;
  return events;
}

Result<std::vector<SourcedEvent>> parse_revenue_json(const json::value& body, const LedgerConfig& config) {
  const json::object* root = body.if_object();
  const json::value* list = root != nullptr ? root->if_contains("events") : nullptr;
  if (list == nullptr || !list->is_array()) return invalid_argument("body must be {\"events\": [...]}");
  std::vector<SourcedEvent> events;
  RowErrors errors;
  const auto& array = list->as_array();
  for (size_t i = 0; i < array.size(); ++i) {
    const std::string where = "events[" + std::to_string(i) + "]";
    const json::object* o = array[i].if_object();
    if (o == nullptr) {
      errors.add(where, "must be an object");
      continue;
    }
    std::array<std::string, 7> f;
    std::string problem;
    for (const auto& [k, v] : *o) {
      if (std::find(kColumns.begin(), kColumns.end(), k) == kColumns.end()) problem = "unknown field '" + std::string(k) + "'";
    }
    for (size_t c = 0; c < kColumns.size() && problem.empty(); ++c) {
      const json::value* v = o->if_contains(kColumns[c]);
      if (v == nullptr || !v->is_string()) problem = std::string(kColumns[c]) + ": required string";
      else f[c] = std::string(v->as_string());
    }
    if (!problem.empty()) {
      errors.add(where, problem);
      continue;
    }
    auto e = make_event(f, config);
    if (!e.is_ok()) {
      errors.add(where, e.status().message());
      continue;
    }
    events.push_back({std::move(e).value(), where});
  }
  check_duplicates(events, errors);
  if (auto s = errors.status(); !s.is_ok()) return s;
  return events;
}

std::string encode_event(const RevenueEvent& e) {
  json::object o;
  o["id"] = e.id;
  o["time_ms"] = e.time_ms;
  o["type"] = type_name(e.type);
  o["feature"] = e.feature;
  o["market"] = e.market;
  o["currency"] = e.currency;
  o["amount_minor"] = e.amount_minor;
  return json::serialize(o);
}

Result<RevenueEvent> decode_event(std::string_view bytes) {
  // Settlement decodes every event of a month (a million in the benchmark): parse into a buffer
  // on the stack and look each field up once, instead of a heap allocation per value.
  unsigned char buffer[2048];
  json::monotonic_resource scratch(buffer, sizeof buffer);
  boost::system::error_code ec;
  const json::value v = json::parse(bytes, ec, &scratch);
  const json::object* o = ec ? nullptr : v.if_object();
  if (o == nullptr) return data_loss("undecodable revenue event");
  const auto text = [&](std::string_view k) -> const json::string* {
    const json::value* f = o->if_contains(k);
    return f != nullptr ? f->if_string() : nullptr;
  };
  const auto number = [&](std::string_view k) -> const int64_t* {
    const json::value* f = o->if_contains(k);
    return f != nullptr ? f->if_int64() : nullptr;
  };
  const json::string *id = text("id"), *type_text = text("type"), *feature = text("feature"), *market = text("market"),
                     *currency = text("currency");
  const int64_t *time_ms = number("time_ms"), *amount = number("amount_minor");
  if (!id || !time_ms || !type_text || !feature || !market || !currency || !amount || *time_ms < 0) {
    return data_loss("undecodable revenue event");
  }
  auto type = parse_revenue_type(*type_text);
  if (!type.is_ok()) return data_loss("revenue event with " + type.status().message());
  return RevenueEvent{std::string(*id),     *time_ms, *type, std::string(*feature), std::string(*market),
                      std::string(*currency), *amount};
}

}  // namespace fleetgate::ledger
