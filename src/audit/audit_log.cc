#include "fleetgate/audit/audit_log.h"

#include <algorithm>
#include <random>
#include <thread>

#include "fleetgate/core/digest.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <optional>

namespace fleetgate::audit {

const std::string kGenesisHash(64, '0');

namespace {

namespace json = boost::json;

constexpr std::string_view kPrefix = "audit/";
constexpr std::string_view kEntryPrefix = "audit/entry/";
constexpr std::string_view kHeadKey = "audit/head";

// Entries sort by sequence because the sequence is stored big-endian.
std::string entry_key(uint64_t seq) {
  std::string key(kEntryPrefix);
  for (int shift = 56; shift >= 0; shift -= 8) key.push_back(static_cast<char>((seq >> shift) & 0xFF));
  return key;
}

std::optional<uint64_t> seq_of_key(std::string_view key) {
  if (key.size() != kEntryPrefix.size() + 8 || !key.starts_with(kEntryPrefix)) return std::nullopt;
  uint64_t seq = 0;
  for (char c : key.substr(kEntryPrefix.size())) seq = (seq << 8) | static_cast<unsigned char>(c);
  return seq;
}

json::object canonical_object(const Entry& e) {
  json::object o;
  o["seq"] = e.seq;
  o["time_ms"] = e.time_ms;
  o["actor"] = e.actor;
  o["action"] = e.action;
  o["subject"] = e.subject;
  o["region"] = e.region;
  o["details"] = e.details;
  o["prev_hash"] = e.prev_hash;
  return o;
}

Result<std::string> string_field(const json::object& o, std::string_view name) {
  const json::value* v = o.if_contains(name);
  if (v == nullptr || !v->is_string()) return data_loss("field '" + std::string(name) + "' is missing or not a string");
  return std::string(v->get_string());
}

template <typename T>
Result<T> number_field(const json::object& o, std::string_view name) {
  const json::value* v = o.if_contains(name);
  boost::system::error_code ec;
  T n = v != nullptr ? v->to_number<T>(ec) : T{};
  if (v == nullptr || ec) return data_loss("field '" + std::string(name) + "' is missing or not an integer");
  return n;
}

// Reads a stored entry back; kDataLoss names what is wrong with it.
Result<Entry> parse_entry(std::string_view stored) {
  boost::system::error_code ec;
  json::value v = json::parse(stored, ec);
  if (ec || !v.is_object()) return data_loss("entry is not a JSON object");
  const json::object& o = v.get_object();
  Entry e;
  auto seq = number_field<uint64_t>(o, "seq");
  auto time = number_field<int64_t>(o, "time_ms");
  if (!seq.is_ok()) return seq.status();
  if (!time.is_ok()) return time.status();
  e.seq = *seq;
  e.time_ms = *time;
  for (auto [field, name] : {std::pair{&e.actor, "actor"}, {&e.action, "action"}, {&e.subject, "subject"},
                             {&e.region, "region"}, {&e.prev_hash, "prev_hash"}, {&e.hash, "hash"}}) {
    auto s = string_field(o, name);
    if (!s.is_ok()) return s.status();
    *field = std::move(s).value();
  }
  const json::value* details = o.if_contains("details");
  if (details == nullptr || !details->is_object()) return data_loss("field 'details' is missing or not an object");
  e.details = details->get_object();
  return e;
}

// The canonical text an entry was hashed over, recovered from its stored bytes, which are the
// canonical object with "hash" appended last. Verifying these bytes, not a re-serialisation of the
// parsed entry, keeps the check exact for doubles, which Boost.JSON 1.81 does not always parse
// back to the same value. nullopt when the stored text does not end with the entry's hash.
std::optional<std::string> hashed_text(std::string_view stored, const std::string& hash) {
  const std::string suffix = ",\"hash\":\"" + hash + "\"}";
  if (!stored.ends_with(suffix)) return std::nullopt;
  std::string text(stored.substr(0, stored.size() - suffix.size()));
  text += '}';
  return text;
}

std::string stored_form(const Entry& e) {
  json::object o = canonical_object(e);
  o["hash"] = e.hash;
  return json::serialize(o);
}

struct Head {
  uint64_t seq = 0;
  std::string hash = kGenesisHash;
};

// The head record; an empty chain when absent. `present` tells the two apart.
Result<Head> parse_head(std::string_view stored) {
  boost::system::error_code ec;
  json::value v = json::parse(stored, ec);
  if (ec || !v.is_object()) return data_loss("audit head record is not a JSON object");
  auto seq = number_field<uint64_t>(v.get_object(), "seq");
  auto hash = string_field(v.get_object(), "hash");
  if (!seq.is_ok()) return data_loss("audit head record: " + seq.status().message());
  if (!hash.is_ok()) return data_loss("audit head record: " + hash.status().message());
  return Head{*seq, *hash};
}

Result<Head> read_head(const store::KvReader& r, bool* present) {
  auto stored = r.get(kHeadKey);
  *present = stored.is_ok();
  if (stored.status().code() == Code::kNotFound) return Head{};
  if (!stored.is_ok()) return stored.status();
  return parse_head(*stored);
}

std::string head_form(uint64_t seq, const std::string& hash) {
  return json::serialize(json::object{{"seq", seq}, {"hash", hash}});
}

// Why the stored tail disagrees with the head record, or "" when it agrees. Cheap: looks at the
// entry the head names and the key after it, not the whole chain.
Result<std::string> tail_damage(const store::KvReader& r, const Head& head, bool head_present) {
  auto after = r.scan(kEntryPrefix, entry_key(head.seq + 1));
  if (after->valid()) {
    auto seq = seq_of_key(after->key());
    return "entries exist beyond the head record (next stored key is seq " + (seq ? std::to_string(*seq) : "?") + ")";
  }
  if (!after->status().is_ok()) return after->status();
  if (head.seq == 0) return std::string();
  if (!head_present) return std::string("audit head record is missing");
  auto last = r.get(entry_key(head.seq));
  if (last.status().code() == Code::kNotFound) return "entry " + std::to_string(head.seq) + " named by the head record is missing";
  if (!last.is_ok()) return last.status();
  auto entry = parse_entry(*last);
  if (!entry.is_ok()) return "entry " + std::to_string(head.seq) + ": " + entry.status().message();
  if (entry->hash != head.hash) return "entry " + std::to_string(head.seq) + " does not match the head record's hash";
  return std::string();
}

bool is_utf8_json_text(const std::string& serialized) {
  boost::system::error_code ec;
  json::parse(serialized, ec);
  return !ec;
}

}  // namespace

int64_t system_clock_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string canonical(const Entry& e) { return json::serialize(canonical_object(e)); }

json::object to_json(const Entry& e) {
  json::object o = canonical_object(e);
  o["hash"] = e.hash;
  return o;
}

Result<std::unique_ptr<AuditLog>> AuditLog::open(store::KvStore& store, Clock clock) {
  auto snap = store.snapshot();
  bool present = false;
  auto head = read_head(*snap, &present);
  std::unique_ptr<AuditLog> log(new AuditLog(store, std::move(clock)));
  if (!head.is_ok()) {
    if (head.status().code() != Code::kDataLoss) return head.status();
    log->damage_ = head.status().message();
    return log;
  }
  auto damage = tail_damage(*snap, *head, present);
  if (!damage.is_ok()) return damage.status();
  log->last_seq_ = head->seq;
  log->last_hash_ = head->hash;
  if (present) log->last_head_ = head_form(head->seq, head->hash);
  log->damage_ = std::move(damage).value();
  return log;
}

thread_local AuditLog::Transaction AuditLog::transaction_;

void AuditLog::back_off(int n) {
  thread_local std::mt19937 random(std::random_device{}());
  const int ceiling_us = std::min(50'000, 250 << std::min(n, 8));
  std::this_thread::sleep_for(std::chrono::microseconds(std::uniform_int_distribution<int>(0, ceiling_us)(random)));
}

std::optional<std::string> AuditLog::decision_head() const {
  std::lock_guard lock(mu_);
  return last_head_;
}

Status AuditLog::reload_head() {
  bool present = false;
  auto head = read_head(store_, &present);
  if (!head.is_ok()) return head.status();
  last_seq_ = head->seq;
  last_hash_ = head->hash;
  last_head_ = present ? std::optional<std::string>(head_form(head->seq, head->hash)) : std::nullopt;
  return Status::ok();
}

Result<std::optional<Entry>> AuditLog::append_refusal(Event event) {
  const std::optional<uint64_t> suppressed = refusals_.admit(event.actor, clock_());
  if (!suppressed) return std::optional<Entry>();
  if (*suppressed > 0) event.details["suppressed"] = *suppressed;
  auto entry = append(std::move(event));
  if (!entry.is_ok()) return entry.status();
  return std::optional<Entry>(std::move(entry).value());
}

std::string escape_controls(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned code = static_cast<unsigned char>(text[i]);
    const unsigned next = i + 1 < text.size() ? static_cast<unsigned char>(text[i + 1]) : 0;
    if (code == 0xC2 && next >= 0x80 && next <= 0x9F) {  // a C1 control, U+0080..U+009F
      code = next;
      ++i;
    } else if (code >= 0x20 && code != 0x7F) {
      out.push_back(text[i]);
      continue;
    }
    constexpr char kHex[] = "0123456789abcdef";
    out += "\\u00";
    out.push_back(kHex[code >> 4]);
    out.push_back(kHex[code & 0xF]);
  }
  return out;
}

Result<Entry> AuditLog::append(Event event) {
  // Nothing but the chain depends on what another process appended meanwhile: build the entry
  // again on the new head.
  for (int attempt = 1;; ++attempt) {
    std::vector<Event> one;
    one.push_back(event);
    auto entries = append_with(std::move(one), store::WriteBatch());
    if (entries.is_ok()) return std::move(entries->front());
    if (entries.status().code() != Code::kAborted || attempt == kMaxAttempts) return entries.status();
    back_off(attempt);
  }
}

Result<std::vector<Entry>> AuditLog::append_with(std::vector<Event> events, const store::WriteBatch& also) {
  for (const auto& e : also.entries()) {
    if (e.key.starts_with(kPrefix)) return invalid_argument("a change may not write audit keys ('" + e.key + "')");
  }
  for (const auto& ev : events) {
    if (ev.actor.empty() || ev.action.empty()) return invalid_argument("an audit event needs an actor and an action");
  }
  std::lock_guard lock(mu_);
  if (!damage_.empty()) {
    return data_loss("the audit chain is damaged (" + damage_ + "); refusing to append; run `fleetgate audit verify`");
  }
  // The head the new entries link to: the one the caller's transaction began on, else the last
  // this log saw.
  uint64_t seq = last_seq_;
  std::string prev = last_hash_;
  std::optional<std::string> expected = last_head_;
  if (transaction_.log == this) {
    expected = transaction_.head;
    Head h;
    if (expected) {
      auto parsed = parse_head(*expected);
      if (!parsed.is_ok()) return parsed.status();
      h = *parsed;
    }
    seq = h.seq;
    prev = h.hash;
  }
  store::WriteBatch batch = also;
  std::vector<Entry> entries;
  const int64_t now = clock_();
  for (auto& ev : events) {
    Entry e{++seq, now, escape_controls(ev.actor), std::move(ev.action), escape_controls(ev.subject),
            escape_controls(ev.region), std::move(ev.details), prev, {}};
    const std::string text = canonical(e);
    if (!is_utf8_json_text(text)) return invalid_argument("audit event for '" + e.subject + "' is not valid UTF-8");
    e.hash = sha256_hex(text);
    if (e.hash.empty()) return internal_error("SHA-256 failed");
    batch.put(entry_key(e.seq), stored_form(e));
    prev = e.hash;
    entries.push_back(std::move(e));
  }
  if (entries.empty() && batch.empty()) return entries;
  std::string head = head_form(seq, prev);
  batch.put(kHeadKey, head);
  // Only onto the head this log last saw: another process sharing the store (a second node) may
  // have appended since, and the chain must not fork.
  if (Status s = store_.write_if(kHeadKey, expected, batch); !s.is_ok()) {
    if (s.code() == Code::kAborted) {
      if (Status r = reload_head(); !r.is_ok()) return r;
    }
    return s;
  }
  last_seq_ = seq;
  last_hash_ = prev;
  last_head_ = std::move(head);
  return entries;
}

Result<VerifyReport> AuditLog::verify() const {
  auto snap = store_.snapshot();
  VerifyReport report;
  report.head_hash = kGenesisHash;
  auto bad = [&report](std::optional<uint64_t> seq, std::string problem) {
    report.bad_seq = seq;
    report.problem = std::move(problem);
    return report;
  };
  bool present = false;
  auto head = read_head(*snap, &present);
  if (!head.is_ok() && head.status().code() != Code::kDataLoss) return head.status();

  uint64_t expected = 1;
  auto it = snap->scan(kEntryPrefix);
  for (; it->valid(); it->next(), ++expected) {
    const std::string n = std::to_string(expected);
    auto key_seq = seq_of_key(it->key());
    if (!key_seq) return bad(expected, "stored key after entry " + std::to_string(expected - 1) + " is malformed");
    if (*key_seq != expected) {
      return bad(expected, "entry " + n + " is missing (the next stored entry is " + std::to_string(*key_seq) + ")");
    }
    auto entry = parse_entry(it->value());
    if (!entry.is_ok()) return bad(expected, "entry " + n + " is unreadable: " + entry.status().message());
    if (entry->seq != expected) {
      return bad(expected, "entry stored as " + n + " claims sequence " + std::to_string(entry->seq) +
                               " (entries moved or swapped)");
    }
    if (entry->prev_hash != report.head_hash) {
      return bad(expected, "entry " + n + " does not link to entry " + std::to_string(expected - 1) +
                               " (prev_hash differs: inserted, reordered, or the previous entry was rewritten)");
    }
    const std::optional<std::string> hashed = hashed_text(it->value(), entry->hash);
    if (!hashed || sha256_hex(*hashed) != entry->hash) {
      return bad(expected, "entry " + n + " does not match its hash (edited)");
    }
    report.entries = expected;
    report.head_hash = entry->hash;
  }
  if (!it->status().is_ok()) return it->status();

  if (!head.is_ok()) return bad(std::nullopt, head.status().message());
  if (!present && report.entries > 0) return bad(std::nullopt, "audit head record is missing");
  if (head->seq > report.entries) {
    return bad(report.entries + 1, "entry " + std::to_string(report.entries + 1) + " is missing: the head records " +
                                       std::to_string(head->seq) + " entries (tail deleted)");
  }
  if (head->seq < report.entries) {
    return bad(head->seq + 1, "entry " + std::to_string(head->seq + 1) + " lies beyond the head record (" +
                                  std::to_string(head->seq) + " entries): appended outside the log");
  }
  if (head->hash != report.head_hash) {
    return bad(head->seq, "entry " + std::to_string(head->seq) + " does not match the head record's hash (replaced)");
  }
  return report;
}

Result<std::vector<Entry>> AuditLog::read(uint64_t from_seq, size_t limit) const {
  std::vector<Entry> out;
  auto it = store_.scan(kEntryPrefix, entry_key(std::max<uint64_t>(from_seq, 1)));
  for (; it->valid() && out.size() < limit; it->next()) {
    auto entry = parse_entry(it->value());
    if (!entry.is_ok()) {
      auto seq = seq_of_key(it->key());
      return data_loss("audit entry " + (seq ? std::to_string(*seq) : "?") + ": " + entry.status().message());
    }
    out.push_back(std::move(entry).value());
  }
  if (!it->status().is_ok()) return it->status();
  return out;
}

Result<std::vector<Entry>> AuditLog::tail(size_t n) const {
  const uint64_t last = size();
  if (n == 0 || last == 0) return std::vector<Entry>{};
  return read(last >= n ? last - n + 1 : 1, n);
}

uint64_t AuditLog::size() const {
  std::lock_guard lock(mu_);
  return last_seq_;
}

std::string AuditLog::head_hash() const {
  std::lock_guard lock(mu_);
  return last_hash_;
}

}  // namespace fleetgate::audit
