// The ledger of one deployment: revenue events and closed periods in the control-plane store,
// usage read from every region's usage log, settlement per period.
//
// Periods close in order (each close must be the month after the last one) and only after they
// ended. A closed period is immutable: its statements and usage aggregates are stored at close,
// in the same atomic write as its audit entry, and read back byte for byte. Revenue recorded
// later for a closed month becomes adjustment lines of the period open at import time, weighted
// with the closed month's stored usage and contracts. Settling an open period is a pure
// function of the stored data: re-running it gives byte-identical statements.
//
// Settling reads each month's revenue totals (revenue_totals.h, kept by every import) rather than
// its events, and falls back to the events where the totals cannot say it.
//
// Store keys: ledger/rev/<YYYY-MM>/<id> (events by month), ledger/revid/<id> (its month),
// ledger/revtot/<YYYY-MM>[/...] (the month's totals),
// ledger/adj/<target YYYY-MM>/<id> (closed months to adjust), ledger/closed_through,
// ledger/period/<YYYY-MM>/{closed,usage,statement/<partner>.json|.csv}.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "fleetgate/audit/audit_log.h"
#include "fleetgate/core/result.h"
#include "fleetgate/ledger/ledger_config.h"
#include "fleetgate/ledger/period.h"
#include "fleetgate/ledger/revenue_event.h"
#include "fleetgate/ledger/revenue_totals.h"
#include "fleetgate/ledger/settlement.h"
#include "fleetgate/ledger/usage_log.h"
#include "fleetgate/ledger/usage_summary.h"
#include "fleetgate/store/kv_store.h"

namespace fleetgate::ledger {

struct ImportReport {
  size_t added = 0;        // new events stored
  size_t unchanged = 0;    // ids already stored with identical content (idempotent re-import)
  size_t adjustments = 0;  // new events that fell into a closed period
};

struct Settlement {
  Period period;
  bool closed = false;
  std::vector<Statement> statements;  // one per partner, sorted by partner id
};

// Thread-safe. REQUIRES: the audit log (the control plane: its state and transactions) and the
// usage logs outlive it.
class Ledger {
 public:
  Ledger(LedgerConfig config, audit::AuditLog& audit, std::vector<const UsageLog*> usage_logs);

  // Stores `events` all together with one audit entry, or none of them: kAlreadyExists naming
  // every event whose id is stored with different content or occurs twice in `events`;
  // kInvalidArgument when a month's revenue of one kind would overflow int64.
  // Re-importing identical events is a no-op.
  Result<ImportReport> import_revenue(const std::vector<SourcedEvent>& events, const std::string& actor);

  // The statements of `period`: stored ones when closed, computed otherwise. The errors of
  // settle_statements and of reading the stores.
  Result<Settlement> settle(Period period, const Progress& progress = {}) const;

  // Settles `period` and makes it immutable, with an audit entry "ledger.close".
  // kFailedPrecondition when it has not ended yet, is already closed, or is not the month after
  // the last closed one.
  Result<Settlement> close(Period period, const std::string& actor, const Progress& progress = {});

  // One partner's statement of `period`; kNotFound for an unknown partner.
  Result<Statement> statement(Period period, const std::string& partner) const;

  // Usage aggregates of `period`: stored ones when closed, scanned from the logs otherwise.
  Result<UsageSummary> usage(Period period, const Progress& progress = {}) const;

  // The last closed period, if any.
  Result<std::optional<Period>> closed_through() const;

  const LedgerConfig& config() const { return config_; }

 private:
  // Adds to `lines` what the events of `month` recognise in `period`, from the month's revenue
  // totals. False, with nothing added, when the totals cannot say it (none kept, or a purchase
  // split the config has changed since).
  Result<bool> add_month_totals(const store::KvReader& view, Period month, Period period, RevenueLines& lines) const;
  Result<Settlement> compute(const store::KvReader& view, Period period, bool closed, const Progress& progress) const;
  Result<Settlement> load_closed(const store::KvReader& view, Period period) const;
  Result<UsageSummary> usage_in(const store::KvReader& view, Period period, const Progress& progress) const;

  const LedgerConfig config_;
  const store::KvReader& control_;  // audit_.state(): the control-plane state, read only
  audit::AuditLog& audit_;
  const std::vector<const UsageLog*> usage_logs_;
};

}  // namespace fleetgate::ledger
