// The audit chain: an append-only log where every entry carries the SHA-256 of the previous
// entry's canonical serialization, so editing, deleting, reordering or splicing entries breaks
// the chain and verify() names the first bad sequence number. A head record (count and last
// hash), written in the same atomic batch as each entry, makes deleting the last entries or
// appending behind the log's back detectable too. What verify() can NOT detect: someone with
// write access to the store who rewrites a suffix of the chain and the head consistently (the
// hash is unkeyed); compare the reported head hash with a copy kept elsewhere to catch that.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <type_traits>
#include <string>
#include <string_view>
#include <vector>

#include "fleetgate/audit/refusal_budget.h"
#include "fleetgate/core/result.h"
#include "fleetgate/store/kv_store.h"

namespace fleetgate::audit {

// Milliseconds since the Unix epoch, UTC. Injectable so tests control time.
using Clock = std::function<int64_t()>;
int64_t system_clock_ms();

// prev_hash of the first entry: 64 zeros.
extern const std::string kGenesisHash;

// What happened; the log adds sequence, time and hashes.
struct Event {
  std::string actor;    // who, e.g. "cli:alice", "operator:bob"; required
  std::string action;   // what, e.g. "vehicle.register"; required
  std::string subject;  // on what, e.g. a VIN or transfer id
  std::string region;   // the region concerned, "" when none
  boost::json::object details;
};

struct Entry {
  uint64_t seq = 0;  // 1-based, consecutive
  int64_t time_ms = 0;
  std::string actor;
  std::string action;
  std::string subject;
  std::string region;
  boost::json::object details;
  std::string prev_hash;  // lowercase hex SHA-256 of the previous entry's canonical form
  std::string hash;       // lowercase hex SHA-256 of canonical(*this)
};

// `text` with every control character (C0, DEL and, as UTF-8, C1) written as \u00XX, so that a
// subject like "VIN%0Aforged entry" prints on one line. Text without controls comes back as is.
std::string escape_controls(std::string_view text);

// Compact JSON with keys in the fixed order seq, time_ms, actor, action, subject, region,
// details, prev_hash (the hash itself excluded). This byte string is what gets hashed.
std::string canonical(const Entry& e);
// The entry with its hash, for API responses and `audit tail --json`.
boost::json::object to_json(const Entry& e);

struct VerifyReport {
  uint64_t entries = 0;             // entries found intact, walking from seq 1
  std::string head_hash;            // hash of the last intact entry (kGenesisHash when none)
  std::optional<uint64_t> bad_seq;  // the first bad sequence number, when one can be named
  std::string problem;              // empty when the whole chain is intact
  bool intact() const { return problem.empty(); }
};

class AuditLog {
 public:
  // Opens the chain kept in `store` under keys starting with "audit/". A chain whose head does
  // not match its last entry still opens (so it can be verified and read) but refuses appends
  // with kDataLoss. REQUIRES: `store` outlives the log; one AuditLog per store and process.
  // Processes sharing one store (nodes on one PostgreSQL) each open their own: appends never fork
  // the chain, since each commits only onto the head it last saw.
  static constexpr int kMaxAttempts = 64;  // append() retries after losing a race this often
  static Result<std::unique_ptr<AuditLog>> open(store::KvStore& store, Clock clock = system_clock_ms);

  // Appends one entry durably (synced write), its actor, subject and region stored with
  // escape_controls() applied (they often come from a request). kInvalidArgument for a missing
  // actor or action or text that is not UTF-8; kDataLoss when the stored chain is damaged. When
  // another process appended meanwhile, builds the entry again on the new head.
  Result<Entry> append(Event event);
  // Appends `events` in order and applies `also` in the same atomic durable write (inside
  // transact: durable when transact returns), so a change and its audit entries are stored
  // together or not at all. `also` may not touch "audit/" keys.
  // kAborted, with nothing written, when an entry was appended since the transaction began (see
  // transact), or since this log last saw the head outside one.
  Result<std::vector<Entry>> append_with(std::vector<Event> events, const store::WriteBatch& also);
  // Runs `decide` (reads of the control store, then at most one append_with of what it decided)
  // as a transaction: its append commits only if no entry was appended by anyone, in this process
  // or another sharing the store, since `decide` began; otherwise `decide` runs again on what is
  // stored now, up to kMaxAttempts times. Returns its last result. Every read-decide-write of
  // control-plane state goes through this, so two nodes never both register a VIN or both
  // approve one transfer step. Durability: what `decide` wrote is visible to every reader once
  // its write returns (in `decide`), and durable when transact returns, which may be later
  // (KvStore::begin_deferred_sync): acknowledge only after transact. When durability cannot be
  // confirmed, transact returns kUnavailable instead of `decide`'s result: the outcome is unknown.
  template <typename F>
  auto transact(F decide) -> decltype(decide());
  // Appends a refused request within its actor's RefusalBudget (refusal_budget.h): nullopt when
  // the budget only counted it; details.suppressed, when set, counts the actor's refusals not
  // written since its previous entry.
  Result<std::optional<Entry>> append_refusal(Event event);

  // Walks the whole chain on a consistent snapshot and reports the first problem. Errors only
  // when the store cannot be read; tampering is reported in the VerifyReport.
  Result<VerifyReport> verify() const;

  // Up to `limit` entries starting at `from_seq`, in order (paging: from_seq = last.seq + 1).
  Result<std::vector<Entry>> read(uint64_t from_seq, size_t limit) const;
  // The last `n` entries, oldest first.
  Result<std::vector<Entry>> tail(size_t n) const;

  uint64_t size() const;          // entries appended, per the head record
  std::string head_hash() const;  // hash of the last entry, kGenesisHash when empty
  int64_t now_ms() const { return clock_(); }
  // The control-plane state its transactions decide on (registry, credentials, transfers, ledger),
  // for reading: writes go through append_with, so every change is audited. Modules get the
  // control plane as this log, never as a store of its own, so their reads and its transactions
  // cannot be over two different stores.
  const store::KvReader& state() const { return store_; }
  // A consistent read-only view of that state as of now.
  std::unique_ptr<store::KvReader> snapshot() const { return store_.snapshot(); }
  // Whether other processes share that state (PostgreSQL): nothing may be cached around it then.
  bool shared() const { return store_.shared(); }

 private:
  AuditLog(store::KvStore& store, Clock clock) : store_(store), clock_(std::move(clock)) {}
  // Re-reads the head after another process appended. REQUIRES: mu_ held.
  Status reload_head();
  // After the n-th lost race: sleeps a random while that grows with n (up to 50 ms), so that nodes
  // appending back to back do not keep losing to each other.
  static void back_off(int n);
  // transact's retry loop: runs `decide` until its append commits or it gives up.
  // REQUIRES: the calling thread has the turn (transact).
  template <typename F>
  auto decide_until_committed(F& decide) -> decltype(decide());
  // The head record a decision begins on (nullopt: none yet): the last this log saw, by its own
  // appends or by the reload after a lost race, not read from the store again. When another
  // process appended since, the decision's append loses the race and it runs again on the head
  // reloaded, so a decision costs one read less, and the first after another node's costs one
  // attempt more.
  std::optional<std::string> decision_head() const;
  // The head the calling thread's transaction on this log began on, when it is in one.
  struct Transaction {
    const AuditLog* log = nullptr;
    std::optional<std::string> head;
  };
  static thread_local Transaction transaction_;

  store::KvStore& store_;
  Clock clock_;
  RefusalBudget refusals_;
  std::mutex transact_mu_;  // one transact() at a time in this process
  mutable std::mutex mu_;  // serializes appends; guards the fields below
  uint64_t last_seq_ = 0;
  std::string last_hash_ = kGenesisHash;
  std::optional<std::string> last_head_;  // the stored head record as last seen; nullopt: none yet
  std::string damage_;  // why appends are refused, empty when the chain's tail is consistent
};

template <typename F>
auto AuditLog::transact(F decide) -> decltype(decide()) {
  if (transaction_.log == this) return decide_until_committed(decide);  // nested: in the outer one's turn
  // Decisions take turns: one at a time in this process, and with the store's lock one at a time
  // across the processes sharing it, so that they rarely lose the race at commit (only to plain
  // appends) and never starve each other. A turn ends once the change is visible: the wait for it
  // to be durable comes after both locks are released (KvStore::begin_deferred_sync), so the
  // next decision runs meanwhile, and waits that overlap share one disk sync.
  store_.begin_deferred_sync();
  auto result = [&]() -> decltype(decide()) {
    std::lock_guard turn(transact_mu_);
    auto shared_turn = store_.lock("audit/transactions");
    if (!shared_turn.is_ok()) return shared_turn.status();
    return decide_until_committed(decide);
  }();
  if (Status durable = store_.end_deferred_sync(); !durable.is_ok()) return durable;
  return result;
}

template <typename F>
auto AuditLog::decide_until_committed(F& decide) -> decltype(decide()) {
  for (int n = 1;; ++n) {
    const Transaction outer = transaction_;  // transactions on other logs may be open around this one
    transaction_ = Transaction{this, decision_head()};
    auto result = decide();
    transaction_ = outer;
    Code code;
    if constexpr (std::is_same_v<decltype(result), Status>) code = result.code();
    else code = result.status().code();
    if (code != Code::kAborted || n >= kMaxAttempts) return result;
    back_off(n);
  }
}

}  // namespace fleetgate::audit
