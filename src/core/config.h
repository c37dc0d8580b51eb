// Typed fleetgate configuration loaded from TOML. load_config() validates structure and
// cross-references (regions, markets, providers, chains) and reports the first problem as
// "FILE:LINE: KEY: reason". Residency of provider chains is checked by residency::Policy.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <utility>
#include <string>
#include <string_view>
#include <vector>

#include "fleetgate/core/result.h"

namespace fleetgate::config {

// Where a value came from, for error messages that point at the file.
struct SourceRef {
  std::string file;
  uint32_t line = 0;
  std::string key;  // dotted path, e.g. "regions[1].chain[0]"
  std::string describe() const;  // "FILE:LINE: KEY"
};

// Whether the server asks TLS clients for a certificate: never, accepts it when sent (a sent
// certificate must verify), or refuses the handshake without one.
enum class ClientCertMode { kOff, kOptional, kRequire };

// [server.tls]: HTTPS/WSS on the server's port (TLS 1.2 or later). Paths are PEM files.
struct TlsConfig {
  std::filesystem::path cert;       // server certificate chain, leaf first; required
  std::filesystem::path key;        // its private key; required
  // CAs client certificates must chain to; empty: the fleet CA of the control plane
  // (`fleetgate fleet ca`), when client_cert is not off.
  std::filesystem::path client_ca;
  ClientCertMode client_cert = ClientCertMode::kOff;
};

struct ServerOptions {
  std::string listen_address = "127.0.0.1";
  uint16_t port = 8080;
  int threads = 2;                        // I/O threads of the HTTP server
  size_t max_body_bytes = 1 << 20;        // larger request bodies get 413
  size_t max_connections = 4096;          // open HTTP connections at most; more are closed at once
  std::filesystem::path data_dir = "data";  // root of embedded stores; regions default below it
  std::optional<TlsConfig> tls = {};      // nullopt: plain HTTP
};

enum class ProviderKind { kOpenAICompatible, kOnboard };

// A location that is not a region: the vehicle itself (the on-board engine runs there).
inline constexpr std::string_view kVehicleLocation = "vehicle";

// True for a market code as config and ledger use them: ISO 3166 alpha-2, two capital letters.
bool is_market_code(std::string_view s);

struct Timeouts {
  uint32_t connect_ms = 2000;
  uint32_t first_byte_ms = 15000;
  uint32_t total_ms = 120000;
};

struct Provider {
  std::string id;
  ProviderKind kind = ProviderKind::kOpenAICompatible;
  std::string base_url;     // e.g. https://api.deepseek.com (empty for onboard)
  std::string api_key_env;  // name of the environment variable holding the key
  std::string location;     // region id where the provider processes data, or "vehicle"
  std::vector<std::string> models;
  Timeouts timeouts;
  uint32_t max_retries = 2;
  // PEM CAs trusted for this provider's https base_url besides the system store (private or
  // test CAs); empty: the system store only. The certificate is always verified.
  std::filesystem::path ca_file = {};
  // Where the provider's model developer is established (ISO 3166 alpha-2), for the rules on
  // providers' origin ([[compliance.prohibited_origins]]); "" when not declared, which a config
  // with such rules refuses.
  std::string developer_jurisdiction;
  SourceRef where;
};

// [[compliance.prohibited_origins]]: cars registered in `markets` whose model year is
// `from_model_year` or later may not use a provider whose developer is established in one of
// `origins` (e.g. the US connected-vehicle rule, 15 CFR part 791 subpart D, for model year 2027
// on). `reference` names the legal text, for refusals and reports.
// [[compliance.cross_border]]: China's Provisions on Promoting and Regulating Cross-Border Data
// Flows (CAC, in force 2024-03-22) for transfers out of `region`: the distinct individuals whose
// personal information left per calendar year, counted apart for non-sensitive and sensitive
// information, decide the legal basis a transfer needs (transfer/cross_border.h).
struct CrossBorderRule {
  std::string region;
  std::string reference;
  uint64_t exempt_below = 100'000;            // non-sensitive individuals a year without a basis
  uint64_t assessment_above = 1'000'000;      // non-sensitive: above this a security assessment
  uint64_t sensitive_assessment_above = 10'000;  // sensitive: above this a security assessment
  std::vector<std::string> sensitive_fields;  // telemetry catalogue fields that are sensitive PI
  std::vector<std::string> important_fields;  // fields that are important data: assessment always
  SourceRef where;
};

// [[compliance.ai_labels]]: answers of the assistant to cars of `markets` are labelled as
// AI-generated (CN: Measures for Labelling AI-Generated Synthetic Content, 2025-09-01; EU: AI Act
// Art. 50, from 2026-08-02): the notice, in the user's language, before the answer's text on
// every answer (`when = "every_answer"`) or on a conversation's first turn (`"first_turn"`), and
// a machine-readable label on every answer (assistant/ai_label.h).
struct AiLabelRule {
  enum class When { kFirstTurn, kEveryAnswer };
  std::vector<std::string> markets;  // ISO 3166 alpha-2, each a configured market, in one rule only
  std::string reference;
  When when = When::kFirstTurn;
  std::string notice_en, notice_zh, notice_de;
  SourceRef where;
};

// [[compliance.processing]]: why a data class is processed and on what legal basis, as the
// controller declares it, for the record of processing activities (`fleetgate compliance
// records`); what is stored, where, for how long and who receives it come from the config and
// the control plane. `regions` empty: every region; a rule naming the region beats one without.
struct ProcessingPurpose {
  std::string data_class;            // one of kProcessedDataClasses
  std::vector<std::string> regions;  // configured region ids
  std::string purpose;
  std::string legal_basis;
  SourceRef where;
};

// The data classes fleetgate processes, as the record of processing names them.
inline constexpr std::string_view kProcessedDataClasses[] = {
    "vehicle_registry", "telemetry", "vehicle_state", "assistant_prompts", "assistant_usage",
    "audit",            "datasets",  "models",        "transfer_bundles"};

// [[compliance.retention]]: how long a data class is kept (storage limitation: GDPR Art. 5(1)(e),
// PIPL Art. 19) for the vehicles of `markets` (telemetry and assistant usage only) in `regions`;
// either empty: every one. Where rules overlap, the shortest period applies; a region's
// retention_days still bounds all of its telemetry.
struct RetentionRule {
  std::string data_class;            // one of kRetainedDataClasses
  uint32_t days = 0;                 // 1..36500
  std::vector<std::string> markets;  // configured markets
  std::vector<std::string> regions;  // configured region ids
  std::string reference;             // the legal reference or policy that sets the period
  SourceRef where;
};

// The data classes a retention rule may name (kProcessedDataClasses' names).
inline constexpr std::string_view kRetainedDataClasses[] = {"telemetry", "assistant_usage", "datasets", "models"};

struct ProhibitedOrigin {
  std::vector<std::string> markets;  // ISO 3166 alpha-2, each a configured market
  std::vector<std::string> origins;  // ISO 3166 alpha-2
  int from_model_year = 0;
  std::string reference;
  SourceRef where;
};

struct ChainEntry {
  std::string provider_id;
  SourceRef where;
};

// [regions.telemetry]: where a region keeps its telemetry. "embedded": RocksDB under the region's
// data_dir, one process. "jetstream": sealed blocks published to the region's own JetStream
// cluster (`shards` streams of `replicas` replicas, placed on tag region:<id>) and materialized
// into a query store in the region's PostgreSQL, which every node of the region reads. The
// cluster's URLs and the database's connection string are read from the environment variables
// `nats_env` and `dsn_env` (they may hold credentials), never from this file. `ack` says when a
// car's frame is acknowledged: "persisted" once its blocks are committed in the region's
// PostgreSQL (fsynced), "replicated" once the stream holds them on a majority of its servers, in
// memory (nats-server 2.9 acknowledges before its fsync).
struct RegionTelemetrySettings {
  enum class Log { kEmbedded, kJetStream };
  enum class Ack { kPersisted, kReplicated };
  Log log = Log::kEmbedded;
  Ack ack = Ack::kPersisted;
  std::string nats_env;  // default FLEETGATE_NATS_<ID>, the id upper-cased with '-' as '_'
  std::string dsn_env;   // default FLEETGATE_REGION_DSN_<ID>
  int shards = 4;
  int replicas = 3;
  bool materialize = true;  // this node also runs the region's materializers (nodes share the work)
};

struct Region {
  std::string id;    // short, lowercase: "cn", "us", "eu"
  std::string name;  // human-readable
  std::filesystem::path data_dir;
  std::vector<ChainEntry> chain;  // ordered assistant providers, first preferred
  // Telemetry older than this many days is deleted by compaction; nullopt keeps it forever.
  std::optional<uint32_t> retention_days;
  // Public base URL of the nodes serving this region ("https://cn.fleet.example"), where other
  // regions' nodes redirect its cars; empty: none known (they answer 421 instead).
  std::string endpoint;
  RegionTelemetrySettings telemetry;
  SourceRef where;
};

// [transfer]: cross-border transfers (transfer/transfer_service.h).
struct TransferSettings {
  bool auto_approve_model_weights = false;  // model.weights requests need no human approvers
};

// [console]: the operator console served at /console (src/console/).
struct ConsoleSettings {
  // A browser session ends this many seconds after sign-in, whatever it does meanwhile
  // (1 to 604800, a week; default 8 hours).
  int64_t session_seconds = 28'800;
};

// [log]: what `fleetgate serve` writes to stdout (src/core/log_line.h). Every line carries the
// time (UTC), the level, and the region, route and request id of the request it is about (empty
// when it is about none). "text": one readable line; "json": one JSON object per line.
struct LogSettings {
  enum class Format { kText, kJson };
  enum class Level { kTrace, kDebug, kInfo, kWarn, kError, kOff };
  Format format = Format::kText;
  Level level = Level::kInfo;  // lines below it are not written (access lines are at info)
};

// [control]: where the control plane (registry, credentials, transfers, ledger state, audit
// chain) is stored. "embedded": RocksDB in <server.data_dir>/control, one process at a time.
// "postgres": a PostgreSQL database that several nodes share; its libpq connection string (with
// any password) is read from the environment variable `dsn_env`, never from this file.
struct ControlSettings {
  enum class Backend { kEmbedded, kPostgres };
  Backend backend = Backend::kEmbedded;
  std::string dsn_env = "FLEETGATE_CONTROL_DSN";
};

// [directory]: the global directory HMAC-SHA256(key, VIN) -> region (vehicle/vin_directory.h).
// It lives in the control store unless `dsn_env` names the environment variable holding the
// connection string of a PostgreSQL database shared by all regions. The 32-byte key (64 hex
// digits) comes from $<key_env>, else from `key_file`; with neither, an embedded deployment
// creates <server.data_dir>/directory.key on first use. Never from this file.
struct DirectorySettings {
  std::string dsn_env;                        // empty: the control store
  std::string key_env = "FLEETGATE_DIRECTORY_KEY";
  std::filesystem::path key_file;             // empty: see above
};

// [learning.triggers]: driving events that curation (learning/curation.h) selects windows around.
struct LearningTriggers {
  double hard_brake_mps2 = 4.0;          // a deceleration of at least this is hard braking
  double harsh_steering_deg_s = 30;      // a heading change at least this fast is harsh steering…
  double harsh_steering_min_kmh = 15;    // …when driving faster than this
  double stop_and_go_low_kmh = 5;        // stop-and-go: below low, up past high, back below low…
  double stop_and_go_high_kmh = 20;
  uint32_t stop_and_go_window_s = 30;    // …within this many seconds
  double neighbour_radius_m = 100;       // other vehicles this close count as the neighbourhood
};

// [learning]: in-region curation and training.
struct LearningSettings {
  LearningTriggers triggers;
};

// A function an app's tool performs, pinned by config for a name the classifier cannot place
// (assistant/tool_classifier.h checks `function` against the vehicle tool catalogue).
struct ToolFunctionPin {
  std::string tool;      // the app's function name, e.g. "acme_hatch"
  std::string function;  // a catalogue function name, e.g. "trunk"
  SourceRef where;
};

// [[assistant.budgets]]: how much assistant traffic a scope may have, counted by each node:
// `requests_per_minute` (a bucket of that many that refills evenly) and `tokens_per_day` (prompt
// and completion tokens of answered requests per UTC day); 0 = no limit, at least one is set.
// Scopes: "vehicle" (each car on its own; with `region`, that region's cars, beating a rule
// without), "region" (the cars of `region` together) and "provider" (what this node sends
// `provider`).
struct Budget {
  enum class Scope { kVehicle, kRegion, kProvider };
  Scope scope = Scope::kVehicle;
  std::string region;    // region scope: required; vehicle scope: optional
  std::string provider;  // provider scope: required
  uint64_t requests_per_minute = 0;
  uint64_t tokens_per_day = 0;
  SourceRef where;
};

// [assistant]: the assistant gateway. [assistant.tool_functions] maps app tool names to vehicle
// functions: "acme_hatch" = "trunk".
struct AssistantSettings {
  std::vector<ToolFunctionPin> tool_functions;
  std::vector<Budget> budgets;
};

struct Config {
  std::filesystem::path source;
  AssistantSettings assistant;
  ServerOptions server;
  ControlSettings control;
  TransferSettings transfer;
  ConsoleSettings console;
  LogSettings log;
  LearningSettings learning;
  DirectorySettings directory;
  std::vector<Region> regions;
  // [node] regions: ids of the regions this node serves (default: every region). Vehicle tokens
  // and registrations of any other region are turned away (redirect or refusal).
  std::vector<std::string> served_regions;
  std::map<std::string, std::string> markets;  // ISO 3166 alpha-2 -> region id
  std::vector<Provider> providers;
  std::vector<ProhibitedOrigin> prohibited_origins;
  std::vector<CrossBorderRule> cross_border;
  std::vector<AiLabelRule> ai_labels;
  std::vector<ProcessingPurpose> processing;
  std::vector<RetentionRule> retention;

  const Region* region(std::string_view id) const;
  const Provider* provider(std::string_view id) const;
  bool serves(std::string_view region_id) const;
  // The cross-border rule of transfers out of `region`, or nullptr.
  const CrossBorderRule* cross_border_rule(std::string_view region) const;
  // The AI label rule of cars of `market`, or nullptr.
  const AiLabelRule* ai_label_rule(std::string_view market) const;
  // The declared purpose of `data_class` in `region` (the region's own rule first), or nullptr.
  const ProcessingPurpose* processing_purpose(std::string_view data_class, std::string_view region) const;
  // The shortest period of the retention rules covering `data_class` in `region` for vehicles of
  // `market` ("" for data of no vehicle: datasets, models), with the rule that sets it; nullopt
  // when none covers it.
  std::optional<std::pair<uint32_t, const RetentionRule*>> retention_for(std::string_view data_class, std::string_view region,
                                                                         std::string_view market) const;
  // The region a market belongs to, or nullptr when the market is not configured.
  const Region* region_for_market(std::string_view market) const;
};

// Parses and validates a config file. Relative data dirs resolve against the file's folder.
Result<Config> load_config(const std::filesystem::path& file);
// Same, from text; `source_name` names the origin in errors and anchors relative paths.
Result<Config> parse_config(std::string_view text, const std::filesystem::path& source_name);

}  // namespace fleetgate::config
