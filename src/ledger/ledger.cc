#include "fleetgate/ledger/ledger.h"

#include <algorithm>
#include <boost/json.hpp>

#include "fleetgate/core/digest.h"

namespace fleetgate::ledger {
namespace {

namespace json = boost::json;

constexpr std::string_view kClosedThroughKey = "ledger/closed_through";

std::string event_key(Period month, std::string_view id) { return revenue_month_prefix(month) + std::string(id); }
std::string id_key(std::string_view id) { return "ledger/revid/" + std::string(id); }
std::string adjustment_prefix(Period target) { return "ledger/adj/" + target.to_string() + "/"; }
std::string period_key(Period p, std::string_view what) { return "ledger/period/" + p.to_string() + "/" + std::string(what); }
std::string statement_key(Period p, std::string_view partner, std::string_view ext) {
  return period_key(p, "statement/" + std::string(partner) + std::string(ext));
}

// The value under `key`, or nullopt when absent.
Result<std::optional<std::string>> find(const store::KvReader& view, std::string_view key) {
  auto v = view.get(key);
  if (v.is_ok()) return std::optional<std::string>(std::move(v).value());
  if (v.status().code() == Code::kNotFound) return std::optional<std::string>();
  return v.status();
}

Result<std::optional<Period>> read_closed_through(const store::KvReader& view) {
  auto v = find(view, kClosedThroughKey);
  if (!v.is_ok()) return v.status();
  if (!v->has_value()) return std::optional<Period>();
  auto p = Period::parse(**v);
  if (!p.is_ok()) return data_loss("damaged " + std::string(kClosedThroughKey));
  return std::optional<Period>(*p);
}

// The line an event's part recognised in the settled period adds to.
LineKey line_of(const RevenueEvent& e, std::optional<Period> adjusts) {
  return LineKey{e.feature, e.market, e.currency, adjusts, e.type, Period::containing(e.time_ms)};
}

int max_recognition_months(const LedgerConfig& config) {
  int n = 1;
  for (const auto& f : config.features) n = std::max(n, f.recognition_months);
  return n;
}

}  // namespace

Ledger::Ledger(LedgerConfig config, audit::AuditLog& audit, std::vector<const UsageLog*> usage_logs)
    : config_(std::move(config)), control_(audit.state()), audit_(audit), usage_logs_(std::move(usage_logs)) {}

Result<std::optional<Period>> Ledger::closed_through() const { return read_closed_through(control_); }

Result<ImportReport> Ledger::import_revenue(const std::vector<SourcedEvent>& events, const std::string& actor) {
  return audit_.transact([&]() -> Result<ImportReport> {
    auto closed = read_closed_through(control_);
    if (!closed.is_ok()) return closed.status();
    ImportReport report;
    store::WriteBatch batch;
    std::string conflicts;
    size_t conflict_count = 0;
    const auto conflict = [&](const std::string& where, const std::string& id, const std::string& why) {
      if (conflict_count++ < 20) conflicts += (conflicts.empty() ? "" : "; ") + where + ": id '" + id + "' " + why;
    };
    std::map<Period, size_t> adjusted;  // closed month -> events landing in it
    // The totals of every month an added event falls in; nullopt for a month whose events
    // cannot all be totalled (a feature the config no longer defines): it keeps no totals.
    std::map<Period, std::optional<MonthRevenue>> totals;
    std::map<std::string, std::string_view> first_seen;  // id -> where it first occurs in `events`
    std::vector<const SourcedEvent*> fresh_ids;             // each id's first occurrence
    for (const auto& sourced : events) {
      // A repeated id would be stored once but counted twice (or, with other values, silently
      // overwritten by the later row): the source is wrong, so nothing is imported.
      if (auto [it, fresh] = first_seen.emplace(sourced.event.id, sourced.where); !fresh) {
        conflict(sourced.where, sourced.event.id, "repeats " + std::string(it->second));
      } else {
        fresh_ids.push_back(&sourced);
      }
    }
    // Which ids are stored already, and what they hold, read in two batches: a PostgreSQL
    // control plane answers each in a few round trips, not one per event.
    std::vector<std::string> keys;
    keys.reserve(fresh_ids.size());
    for (const SourcedEvent* s : fresh_ids) keys.push_back(id_key(s->event.id));
    auto stored_months = control_.get_many(keys);
    if (!stored_months.is_ok()) return stored_months.status();
    keys.clear();
    for (size_t i = 0; i < fresh_ids.size(); ++i) {
      const auto& stored_month = (*stored_months)[i];
      if (!stored_month.has_value()) continue;
      auto month = Period::parse(*stored_month);
      if (!month.is_ok()) return data_loss("revenue event " + fresh_ids[i]->event.id + ": " + month.status().message());
      keys.push_back(event_key(*month, fresh_ids[i]->event.id));
    }
    auto stored_events = control_.get_many(keys);
    if (!stored_events.is_ok()) return stored_events.status();
    size_t next_stored = 0;
    for (size_t i = 0; i < fresh_ids.size(); ++i) {
      const auto& [e, where] = *fresh_ids[i];
      if ((*stored_months)[i].has_value()) {
        const auto& stored = (*stored_events)[next_stored++];
        if (!stored.has_value()) return data_loss("revenue event " + e.id + " is indexed but not stored");
        auto previous = decode_event(*stored);
        if (!previous.is_ok()) return data_loss("revenue event " + e.id + ": " + previous.status().message());
        if (*previous == e) {
          ++report.unchanged;
        } else {
          conflict(where, e.id, "is already recorded with different content");
        }
        continue;
      }
      const Period month = Period::containing(e.time_ms);
      batch.put(event_key(month, e.id), encode_event(e));
      batch.put(id_key(e.id), month.to_string());
      ++report.added;
      auto month_totals = totals.find(month);
      if (month_totals == totals.end()) {
        auto kept = read_month_revenue(control_, month);
        if (kept.is_ok() && !kept->has_value()) kept = sum_month_events(control_, month, config_);
        if (!kept.is_ok()) return kept.status();
        month_totals = totals.emplace(month, std::move(kept).value()).first;
      }
      if (month_totals->second.has_value()) {
        if (auto s = add_event(*month_totals->second, e, *config_.feature(e.feature)); !s.is_ok()) return s;
      }
      if (!closed->has_value()) continue;
      json::array late_months;
      for (const auto& r : recognise(e, *config_.feature(e.feature))) {
        if (r.month <= **closed) {
          late_months.push_back(json::string(r.month.to_string()));
          ++adjusted[r.month];
        }
      }
      if (!late_months.empty()) {
        batch.put(adjustment_prefix((*closed)->plus(1)) + e.id, json::serialize(late_months));
        ++report.adjustments;
      }
    }
    if (conflict_count > 0) {
      return already_exists(std::to_string(conflict_count) + " revenue event(s) conflict, nothing imported: " + conflicts);
    }
    if (report.added == 0) return report;
    for (const auto& [month, kept] : totals) {
      if (kept.has_value()) write_month_revenue(batch, month, *kept);
    }
    audit::Event ev{actor, "ledger.revenue.import", "revenue", "", {}};
    ev.details["added"] = report.added;
    ev.details["unchanged"] = report.unchanged;
    ev.details["adjustments"] = report.adjustments;
    if (!adjusted.empty()) {
      json::object months;
      for (const auto& [m, n] : adjusted) months[m.to_string()] = n;
      ev.details["late_for_closed_periods"] = std::move(months);
    }
    auto entries = audit_.append_with({std::move(ev)}, batch);
    if (!entries.is_ok()) return entries.status();
    return report;
  });
}

Result<UsageSummary> Ledger::usage_in(const store::KvReader& view, Period period, const Progress& progress) const {
  auto stored = find(view, period_key(period, "usage"));
  if (!stored.is_ok()) return stored.status();
  if (!stored->has_value()) return summarise_usage(usage_logs_, period, progress);
  boost::system::error_code ec;
  const json::value rows = json::parse(**stored, ec);
  if (ec) return data_loss("stored usage of " + period.to_string() + " is not JSON");
  return usage_from_json(rows);
}

Result<UsageSummary> Ledger::usage(Period period, const Progress& progress) const {
  const auto view = audit_.snapshot();
  return usage_in(*view, period, progress);
}

Result<bool> Ledger::add_month_totals(const store::KvReader& view, Period month, Period period,
                                      RevenueLines& lines) const {
  auto kept = read_month_revenue(view, month);
  if (!kept.is_ok()) return kept.status();
  if (!kept->has_value()) return false;
  const int offset = period.months_since(month);
  for (const auto& [key, sum] : **kept) {
    const Feature* feature = config_.feature(key.feature);
    if (feature == nullptr) {
      return failed_precondition("revenue of " + month.to_string() + " is for feature '" + key.feature +
                                 "', which the ledger config no longer defines");
    }
    // Purchases split under a recognition period the config has changed since: the events
    // themselves tell how they split now.
    if (key.type == RevenueType::kPurchase && key.months != feature->recognition_months) return false;
  }
  for (const auto& [key, sum] : **kept) {
    if (offset >= key.months) continue;
    const LineKey line{key.feature, key.market, key.currency, std::nullopt, key.type, month};
    if (auto s = add_line(lines, line, {sum.events, sum.parts[static_cast<size_t>(offset)]}); !s.is_ok()) return s;
  }
  return true;
}

Result<Settlement> Ledger::compute(const store::KvReader& view, Period period, bool closed,
                                   const Progress& progress) const {
  auto usage = summarise_usage(usage_logs_, period, progress);
  if (!usage.is_ok()) return usage.status();
  SettlementInput in;
  in.period = period;
  in.closed = closed;
  in.config = &config_;
  in.usage = &*usage;

  // Regular lines: the part of every event of the last few months recognised in `period`.
  for (Period month = period.plus(1 - max_recognition_months(config_)); month <= period; month = month.plus(1)) {
    auto added = add_month_totals(view, month, period, in.lines);
    if (!added.is_ok()) return added.status();
    if (*added) continue;
    auto it = view.scan(revenue_month_prefix(month));
    for (; it->valid(); it->next()) {
      auto e = decode_event(it->value());
      if (!e.is_ok()) return e.status();
      const Feature* feature = config_.feature(e->feature);
      if (feature == nullptr) {
        return failed_precondition("revenue event " + e->id + " is for feature '" + e->feature +
                                   "', which the ledger config no longer defines");
      }
      for (const auto& r : recognise(*e, *feature)) {
        if (r.month != period) continue;
        if (auto s = add_line(in.lines, line_of(*e, std::nullopt), {1, r.amount_minor}); !s.is_ok()) return s;
      }
    }
    if (!it->status().is_ok()) return it->status();
  }

  // Adjustment lines: events recorded after their month closed, parked for this period.
  const std::string prefix = adjustment_prefix(period);
  auto it = view.scan(prefix);
  for (; it->valid(); it->next()) {
    const std::string id(it->key().substr(prefix.size()));
    auto month = view.get(id_key(id));
    auto month_period = month.is_ok() ? Period::parse(*month) : Result<Period>(month.status());
    auto stored = month_period.is_ok() ? view.get(event_key(*month_period, id)) : Result<std::string>(month_period.status());
    auto e = stored.is_ok() ? decode_event(*stored) : Result<RevenueEvent>(stored.status());
    boost::system::error_code ec;
    const json::value months = json::parse(it->value(), ec);
    if (!e.is_ok() || ec || !months.is_array()) return data_loss("damaged adjustment record for revenue event " + id);
    const Feature* feature = config_.feature(e->feature);
    if (feature == nullptr) return failed_precondition("revenue event " + id + " is for an unknown feature");
    for (const auto& r : recognise(*e, *feature)) {
      const bool listed = std::any_of(months.as_array().begin(), months.as_array().end(), [&](const json::value& m) {
        return m.is_string() && m.as_string() == r.month.to_string();
      });
      if (!listed) continue;
      if (auto s = add_line(in.lines, line_of(*e, r.month), {1, r.amount_minor}); !s.is_ok()) return s;
      if (!in.adjusted_usage.contains(r.month)) {
        auto adjusted = usage_in(view, r.month, {});
        if (!adjusted.is_ok()) return adjusted.status();
        in.adjusted_usage.emplace(r.month, std::move(adjusted).value());
      }
    }
  }
  if (!it->status().is_ok()) return it->status();

  auto statements = settle_statements(in);
  if (!statements.is_ok()) return statements.status();
  return Settlement{period, closed, std::move(statements).value()};
}

Result<Settlement> Ledger::load_closed(const store::KvReader& view, Period period) const {
  auto record = view.get(period_key(period, "closed"));
  if (!record.is_ok()) {
    return record.status().code() == Code::kNotFound ? data_loss("closed period " + period.to_string() + " has no close record")
                                                     : record.status();
  }
  boost::system::error_code ec;
  const json::value v = json::parse(*record, ec);
  const json::array* partners = ec || !v.is_object() ? nullptr : v.as_object().if_contains("partners") ? v.as_object().at("partners").if_array() : nullptr;
  if (partners == nullptr) return data_loss("damaged close record of " + period.to_string());
  Settlement out{period, true, {}};
  for (const auto& p : *partners) {
    if (!p.is_string()) return data_loss("damaged close record of " + period.to_string());
    const std::string partner(p.as_string());
    auto j = view.get(statement_key(period, partner, ".json"));
    if (!j.is_ok()) return j.status();
    auto c = view.get(statement_key(period, partner, ".csv"));
    if (!c.is_ok()) return c.status();
    out.statements.push_back({partner, std::move(j).value(), std::move(c).value()});
  }
  return out;
}

Result<Settlement> Ledger::settle(Period period, const Progress& progress) const {
  const auto view = audit_.snapshot();
  auto closed = read_closed_through(*view);
  if (!closed.is_ok()) return closed.status();
  if (closed->has_value() && period <= **closed) return load_closed(*view, period);
  return compute(*view, period, false, progress);
}

Result<Settlement> Ledger::close(Period period, const std::string& actor, const Progress& progress) {
  return audit_.transact([&]() -> Result<Settlement> {
    const auto view = audit_.snapshot();
    auto closed = read_closed_through(*view);
    if (!closed.is_ok()) return closed.status();
    if (closed->has_value() && period <= **closed) {
      return failed_precondition("period " + period.to_string() + " is already closed (closed through " +
                                 (*closed)->to_string() + ")");
    }
    if (closed->has_value() && period != (*closed)->plus(1)) {
      return failed_precondition("periods close in order: close " + (*closed)->plus(1).to_string() + " before " +
                                 period.to_string());
    }
    if (audit_.now_ms() < period.end_ms()) {
      return failed_precondition("period " + period.to_string() + " has not ended yet");
    }
    auto settlement = compute(*view, period, true, progress);
    if (!settlement.is_ok()) return settlement.status();
    auto usage = usage_in(*view, period, {});
    if (!usage.is_ok()) return usage.status();

    store::WriteBatch batch;
    json::array partners;
    json::object digests;
    for (const auto& s : settlement->statements) {
      batch.put(statement_key(period, s.partner, ".json"), s.json);
      batch.put(statement_key(period, s.partner, ".csv"), s.csv);
      partners.push_back(json::string(s.partner));
      digests[s.partner] = sha256_hex(s.json);
    }
    batch.put(period_key(period, "usage"), json::serialize(usage_to_json(*usage)));
    json::object record;
    record["closed_ms"] = audit_.now_ms();
    record["partners"] = partners;
    batch.put(period_key(period, "closed"), json::serialize(record));
    batch.put(kClosedThroughKey, period.to_string());
    audit::Event ev{actor, "ledger.close", period.to_string(), "", {}};
    ev.details["statements_sha256"] = std::move(digests);
    auto entries = audit_.append_with({std::move(ev)}, batch);
    if (!entries.is_ok()) return entries.status();
    return settlement;
  });
}

Result<Statement> Ledger::statement(Period period, const std::string& partner) const {
  const bool known = std::any_of(config_.partners.begin(), config_.partners.end(),
                                 [&](const Partner& p) { return p.id == partner; });
  if (!known) return not_found("unknown partner '" + partner + "'");
  auto settlement = settle(period);
  if (!settlement.is_ok()) return settlement.status();
  for (auto& s : settlement->statements) {
    if (s.partner == partner) return std::move(s);
  }
  return not_found("no statement for partner '" + partner + "' in closed period " + period.to_string());
}

}  // namespace fleetgate::ledger
