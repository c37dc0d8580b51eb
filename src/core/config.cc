#include "fleetgate/core/config.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <set>
#include <sstream>
#include <toml.hpp>

#include "fleetgate/core/toml_fields.h"

namespace fleetgate::config {
namespace {

using namespace toml_fields;

bool is_region_id(std::string_view s) {
  return !s.empty() && s.size() <= 16 &&
         std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
         }) &&
         s != kVehicleLocation;
}

std::filesystem::path resolve(const std::filesystem::path& base, const std::string& p) {
  std::filesystem::path path(p);
  return path.is_absolute() ? path : (base / path).lexically_normal();
}

TlsConfig parse_tls(const TomlValue& t, const std::filesystem::path& base) {
  const std::string key = "server.tls";
  as_table(t, key);
  reject_unknown_keys(t, key, {"cert", "key", "client_ca", "client_cert"});
  TlsConfig tls;
  tls.cert = resolve(base, as_nonempty_string(required_field(t, key, "cert"), key + ".cert"));
  tls.key = resolve(base, as_nonempty_string(required_field(t, key, "key"), key + ".key"));
  if (auto* v = optional_field(t, "client_ca")) tls.client_ca = resolve(base, as_nonempty_string(*v, key + ".client_ca"));
  if (auto* v = optional_field(t, "client_cert")) {
    const std::string mode = as_string(*v, key + ".client_cert");
    if (mode == "off") {
      tls.client_cert = ClientCertMode::kOff;
    } else if (mode == "optional") {
      tls.client_cert = ClientCertMode::kOptional;
    } else if (mode == "require") {
      tls.client_cert = ClientCertMode::kRequire;
    } else {
      fail(ref_of(*v, key + ".client_cert"), "unknown mode '" + mode + "' (expected off, optional or require)");
    }
  }
  return tls;
}

ServerOptions parse_server(const TomlValue& t, const std::filesystem::path& base) {
  ServerOptions s;
  reject_unknown_keys(t, "server", {"listen", "port", "threads", "max_body_bytes", "max_connections", "data_dir", "tls"});
  if (auto* v = optional_field(t, "listen")) s.listen_address = as_nonempty_string(*v, "server.listen");
  if (auto* v = optional_field(t, "port")) s.port = static_cast<uint16_t>(as_int_in(*v, "server.port", 0, 65535));
  if (auto* v = optional_field(t, "threads")) s.threads = static_cast<int>(as_int_in(*v, "server.threads", 1, 256));
  if (auto* v = optional_field(t, "max_body_bytes")) {
    s.max_body_bytes = static_cast<size_t>(as_int_in(*v, "server.max_body_bytes", 1024, int64_t{1} << 30));
  }
  if (auto* v = optional_field(t, "max_connections")) {
    s.max_connections = static_cast<size_t>(as_int_in(*v, "server.max_connections", 1, 1'000'000));
  }
  s.data_dir = resolve(base, "data");
  if (auto* v = optional_field(t, "data_dir")) s.data_dir = resolve(base, as_nonempty_string(*v, "server.data_dir"));
  if (auto* v = optional_field(t, "tls")) s.tls = parse_tls(*v, base);
  return s;
}

TransferSettings parse_transfer(const TomlValue& t) {
  TransferSettings s;
  reject_unknown_keys(t, "transfer", {"auto_approve_model_weights"});
  if (auto* v = optional_field(t, "auto_approve_model_weights")) {
    if (!v->is_boolean()) fail(ref_of(*v, "transfer.auto_approve_model_weights"), "must be true or false");
    s.auto_approve_model_weights = v->as_boolean();
  }
  return s;
}

ConsoleSettings parse_console(const TomlValue& t) {
  ConsoleSettings s;
  reject_unknown_keys(t, "console", {"session_seconds"});
  if (auto* v = optional_field(t, "session_seconds")) s.session_seconds = as_int_in(*v, "console.session_seconds", 1, 604'800);
  return s;
}

LogSettings parse_log(const TomlValue& t) {
  LogSettings s;
  reject_unknown_keys(t, "log", {"format", "level"});
  if (auto* v = optional_field(t, "format")) {
    const std::string format = as_nonempty_string(*v, "log.format");
    if (format == "text") s.format = LogSettings::Format::kText;
    else if (format == "json") s.format = LogSettings::Format::kJson;
    else fail(ref_of(*v, "log.format"), "must be \"text\" or \"json\"");
  }
  if (auto* v = optional_field(t, "level")) {
    static const std::pair<std::string_view, LogSettings::Level> kLevels[] = {
        {"trace", LogSettings::Level::kTrace}, {"debug", LogSettings::Level::kDebug},
        {"info", LogSettings::Level::kInfo},   {"warn", LogSettings::Level::kWarn},
        {"error", LogSettings::Level::kError}, {"off", LogSettings::Level::kOff}};
    const std::string level = as_nonempty_string(*v, "log.level");
    auto it = std::find_if(std::begin(kLevels), std::end(kLevels), [&](const auto& l) { return l.first == level; });
    if (it == std::end(kLevels)) fail(ref_of(*v, "log.level"), "must be one of trace, debug, info, warn, error, off");
    s.level = it->second;
  }
  return s;
}

ControlSettings parse_control(const TomlValue& t) {
  ControlSettings s;
  reject_unknown_keys(t, "control", {"backend", "dsn_env"});
  if (auto* v = optional_field(t, "backend")) {
    const std::string backend = as_nonempty_string(*v, "control.backend");
    if (backend == "embedded") s.backend = ControlSettings::Backend::kEmbedded;
    else if (backend == "postgres") s.backend = ControlSettings::Backend::kPostgres;
    else fail(ref_of(*v, "control.backend"), "must be \"embedded\" or \"postgres\"");
  }
  if (auto* v = optional_field(t, "dsn_env")) s.dsn_env = as_nonempty_string(*v, "control.dsn_env");
  return s;
}

DirectorySettings parse_directory(const TomlValue& t, const std::filesystem::path& base) {
  DirectorySettings s;
  reject_unknown_keys(t, "directory", {"dsn_env", "key_env", "key_file"});
  if (auto* v = optional_field(t, "dsn_env")) s.dsn_env = as_nonempty_string(*v, "directory.dsn_env");
  if (auto* v = optional_field(t, "key_env")) s.key_env = as_nonempty_string(*v, "directory.key_env");
  if (auto* v = optional_field(t, "key_file")) s.key_file = resolve(base, as_nonempty_string(*v, "directory.key_file"));
  return s;
}

// A region endpoint becomes the front of a Location header, so it must be a plain http(s) base
// URL: a host, no query or fragment, no trailing slash (the request target brings its own), and
// nothing that could end the header line.
void check_endpoint(const TomlValue& v, const std::string& key, const std::string& url) {
  std::string_view rest = url;
  if (rest.starts_with("https://")) rest.remove_prefix(8);
  else if (rest.starts_with("http://")) rest.remove_prefix(7);
  else fail(ref_of(v, key), "must start with http:// or https://");
  if (rest.empty() || rest.front() == '/') fail(ref_of(v, key), "has no host");
  if (rest.back() == '/') fail(ref_of(v, key), "must not end with '/' (the request path is appended)");
  for (char c : rest) {
    if (c == '?' || c == '#') fail(ref_of(v, key), "must not hold a query or fragment");
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) fail(ref_of(v, key), "must not hold spaces or control characters");
  }
}

void parse_budgets(const TomlValue& v, const Config& c, AssistantSettings& s) {
  const auto& list = as_array(v, "assistant.budgets");
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string key = "assistant.budgets[" + std::to_string(i) + "]";
    as_table(list[i], key);
    reject_unknown_keys(list[i], key, {"scope", "region", "provider", "requests_per_minute", "tokens_per_day"});
    Budget b;
    b.where = ref_of(list[i], key);
    const TomlValue& scope = required_field(list[i], key, "scope");
    const std::string name = as_nonempty_string(scope, key + ".scope");
    if (name == "vehicle") b.scope = Budget::Scope::kVehicle;
    else if (name == "region") b.scope = Budget::Scope::kRegion;
    else if (name == "provider") b.scope = Budget::Scope::kProvider;
    else fail(ref_of(scope, key + ".scope"), "must be \"vehicle\", \"region\" or \"provider\"");
    if (auto* r = optional_field(list[i], "region")) {
      if (b.scope == Budget::Scope::kProvider) fail(ref_of(*r, key + ".region"), "a provider's budget has no region");
      b.region = as_nonempty_string(*r, key + ".region");
      if (c.region(b.region) == nullptr) fail(ref_of(*r, key + ".region"), "unknown region '" + b.region + "'");
    } else if (b.scope == Budget::Scope::kRegion) {
      required_field(list[i], key, "region");
    }
    if (auto* p = optional_field(list[i], "provider")) {
      if (b.scope != Budget::Scope::kProvider) fail(ref_of(*p, key + ".provider"), "only a provider's budget names a provider");
      b.provider = as_nonempty_string(*p, key + ".provider");
      if (c.provider(b.provider) == nullptr) fail(ref_of(*p, key + ".provider"), "unknown provider '" + b.provider + "'");
    } else if (b.scope == Budget::Scope::kProvider) {
      required_field(list[i], key, "provider");
    }
    constexpr int64_t kMax = 1'000'000'000'000;
    if (auto* n = optional_field(list[i], "requests_per_minute")) {
      b.requests_per_minute = static_cast<uint64_t>(as_int_in(*n, key + ".requests_per_minute", 1, kMax));
    }
    if (auto* n = optional_field(list[i], "tokens_per_day")) {
      b.tokens_per_day = static_cast<uint64_t>(as_int_in(*n, key + ".tokens_per_day", 1, kMax));
    }
    if (b.requests_per_minute == 0 && b.tokens_per_day == 0) fail(b.where, "sets neither requests_per_minute nor tokens_per_day");
    for (const Budget& other : s.budgets) {
      if (other.scope == b.scope && other.region == b.region && other.provider == b.provider) {
        fail(b.where, "the same scope has a budget already (" + other.where.key + ")");
      }
    }
    s.budgets.push_back(std::move(b));
  }
}

// [assistant]: after regions and providers, which its budgets name.
AssistantSettings parse_assistant(const TomlValue& t, const Config& c) {
  AssistantSettings s;
  reject_unknown_keys(t, "assistant", {"tool_functions", "budgets"});
  if (auto* v = optional_field(t, "budgets")) parse_budgets(*v, c, s);
  if (auto* v = optional_field(t, "tool_functions")) {
    const TomlValue& pins = as_table(*v, "assistant.tool_functions");
    for (const auto& [tool, function] : pins.as_table()) {
      const std::string key = "assistant.tool_functions." + tool;
      s.tool_functions.push_back({tool, as_nonempty_string(function, key), ref_of(function, key)});
    }
    // TOML tables have no order; errors and listings do, by name.
    std::sort(s.tool_functions.begin(), s.tool_functions.end(),
              [](const ToolFunctionPin& a, const ToolFunctionPin& b) { return a.tool < b.tool; });
  }
  return s;
}

LearningSettings parse_learning(const TomlValue& t) {
  LearningSettings s;
  reject_unknown_keys(t, "learning", {"triggers"});
  if (auto* v = optional_field(t, "triggers")) {
    const TomlValue& tr = as_table(*v, "learning.triggers");
    reject_unknown_keys(tr, "learning.triggers",
                        {"hard_brake_mps2", "harsh_steering_deg_s", "harsh_steering_min_kmh", "stop_and_go_low_kmh",
                         "stop_and_go_high_kmh", "stop_and_go_window_s", "neighbour_radius_m"});
    LearningTriggers& g = s.triggers;
    auto number = [&tr](const char* k, double& out, double lo, double hi) {
      if (auto* x = optional_field(tr, k)) out = as_number_in(*x, std::string("learning.triggers.") + k, lo, hi);
    };
    number("hard_brake_mps2", g.hard_brake_mps2, 0.5, 50);
    number("harsh_steering_deg_s", g.harsh_steering_deg_s, 1, 360);
    number("harsh_steering_min_kmh", g.harsh_steering_min_kmh, 0, 500);
    number("stop_and_go_low_kmh", g.stop_and_go_low_kmh, 0, 500);
    number("stop_and_go_high_kmh", g.stop_and_go_high_kmh, 0, 500);
    number("neighbour_radius_m", g.neighbour_radius_m, 1, 100000);
    if (auto* x = optional_field(tr, "stop_and_go_window_s")) {
      g.stop_and_go_window_s = static_cast<uint32_t>(as_int_in(*x, "learning.triggers.stop_and_go_window_s", 1, 3600));
    }
    if (g.stop_and_go_high_kmh <= g.stop_and_go_low_kmh) {
      fail(ref_of(*v, "learning.triggers.stop_and_go_high_kmh"), "must be above stop_and_go_low_kmh");
    }
  }
  return s;
}

Provider parse_provider(const TomlValue& t, const std::string& key, const std::filesystem::path& base) {
  as_table(t, key);
  reject_unknown_keys(t, key, {"id", "kind", "base_url", "api_key_env", "location", "models",
                               "connect_timeout_ms", "first_byte_timeout_ms", "total_timeout_ms",
                               "max_retries", "ca_file", "developer_jurisdiction"});
  Provider p;
  p.where = ref_of(t, key);
  p.id = as_nonempty_string(required_field(t, key, "id"), key + ".id");
  const TomlValue& kind = required_field(t, key, "kind");
  std::string k = as_string(kind, key + ".kind");
  if (k == "openai-compatible") {
    p.kind = ProviderKind::kOpenAICompatible;
  } else if (k == "onboard") {
    p.kind = ProviderKind::kOnboard;
  } else {
    fail(ref_of(kind, key + ".kind"), "unknown provider kind '" + k + "' (expected openai-compatible or onboard)");
  }
  p.location = as_nonempty_string(required_field(t, key, "location"), key + ".location");
  if (p.kind == ProviderKind::kOpenAICompatible) {
    const TomlValue& url = required_field(t, key, "base_url");
    p.base_url = as_nonempty_string(url, key + ".base_url");
    if (p.base_url.rfind("http://", 0) != 0 && p.base_url.rfind("https://", 0) != 0) {
      fail(ref_of(url, key + ".base_url"), "must start with http:// or https://");
    }
    if (auto* v = optional_field(t, "api_key_env")) p.api_key_env = as_string(*v, key + ".api_key_env");
  } else if (p.location != kVehicleLocation) {
    fail(ref_of(required_field(t, key, "location"), key + ".location"),
         "an onboard provider runs in the vehicle: location must be \"vehicle\"");
  }
  const auto& models = as_array(required_field(t, key, "models"), key + ".models");
  if (models.empty()) fail(ref_of(t, key + ".models"), "a provider needs at least one model");
  for (size_t i = 0; i < models.size(); ++i) {
    p.models.push_back(as_nonempty_string(models[i], key + ".models[" + std::to_string(i) + "]"));
  }
  if (auto* v = optional_field(t, "connect_timeout_ms")) p.timeouts.connect_ms = static_cast<uint32_t>(as_int_in(*v, key + ".connect_timeout_ms", 1, 600000));
  if (auto* v = optional_field(t, "first_byte_timeout_ms")) p.timeouts.first_byte_ms = static_cast<uint32_t>(as_int_in(*v, key + ".first_byte_timeout_ms", 1, 600000));
  if (auto* v = optional_field(t, "total_timeout_ms")) p.timeouts.total_ms = static_cast<uint32_t>(as_int_in(*v, key + ".total_timeout_ms", 1, 3600000));
  if (auto* v = optional_field(t, "max_retries")) p.max_retries = static_cast<uint32_t>(as_int_in(*v, key + ".max_retries", 0, 10));
  if (auto* v = optional_field(t, "ca_file")) {
    if (p.kind != ProviderKind::kOpenAICompatible) fail(ref_of(*v, key + ".ca_file"), "only an openai-compatible provider has a CA file");
    p.ca_file = resolve(base, as_nonempty_string(*v, key + ".ca_file"));
  }
  if (auto* v = optional_field(t, "developer_jurisdiction")) {
    p.developer_jurisdiction = as_string(*v, key + ".developer_jurisdiction");
    if (!is_market_code(p.developer_jurisdiction)) {
      fail(ref_of(*v, key + ".developer_jurisdiction"), "must be an ISO 3166 alpha-2 code (two capital letters)");
    }
  }
  return p;
}

// A non-empty array of ISO 3166 alpha-2 codes.
std::vector<std::string> as_country_codes(const TomlValue& v, const std::string& key) {
  const auto& list = as_array(v, key);
  if (list.empty()) fail(ref_of(v, key), "must list at least one ISO 3166 alpha-2 code");
  std::vector<std::string> out;
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string item_key = key + "[" + std::to_string(i) + "]";
    std::string code = as_string(list[i], item_key);
    if (!is_market_code(code)) fail(ref_of(list[i], item_key), "'" + code + "' is not an ISO 3166 alpha-2 code (two capital letters)");
    out.push_back(std::move(code));
  }
  return out;
}

std::vector<std::string> as_string_list(const TomlValue& v, const std::string& key) {
  const auto& list = as_array(v, key);
  std::vector<std::string> out;
  for (size_t i = 0; i < list.size(); ++i) out.push_back(as_nonempty_string(list[i], key + "[" + std::to_string(i) + "]"));
  return out;
}

void parse_cross_border(const TomlValue& rules, Config& c) {
  const auto& list = as_array(rules, "compliance.cross_border");
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string key = "compliance.cross_border[" + std::to_string(i) + "]";
    as_table(list[i], key);
    reject_unknown_keys(list[i], key, {"region", "reference", "exempt_below", "assessment_above",
                                       "sensitive_assessment_above", "sensitive_fields", "important_fields"});
    CrossBorderRule rule;
    rule.where = ref_of(list[i], key);
    const TomlValue& region = required_field(list[i], key, "region");
    rule.region = as_nonempty_string(region, key + ".region");
    if (c.region(rule.region) == nullptr) fail(ref_of(region, key + ".region"), "unknown region '" + rule.region + "'");
    if (c.cross_border_rule(rule.region) != nullptr) fail(ref_of(region, key + ".region"), "region '" + rule.region + "' has a cross-border rule already");
    rule.reference = as_nonempty_string(required_field(list[i], key, "reference"), key + ".reference");
    constexpr int64_t kMax = 1'000'000'000'000;
    if (auto* v = optional_field(list[i], "exempt_below")) rule.exempt_below = static_cast<uint64_t>(as_int_in(*v, key + ".exempt_below", 0, kMax));
    if (auto* v = optional_field(list[i], "assessment_above")) rule.assessment_above = static_cast<uint64_t>(as_int_in(*v, key + ".assessment_above", 0, kMax));
    if (auto* v = optional_field(list[i], "sensitive_assessment_above")) {
      rule.sensitive_assessment_above = static_cast<uint64_t>(as_int_in(*v, key + ".sensitive_assessment_above", 0, kMax));
    }
    if (rule.assessment_above < rule.exempt_below) fail(rule.where, "assessment_above must not be below exempt_below");
    if (auto* v = optional_field(list[i], "sensitive_fields")) rule.sensitive_fields = as_string_list(*v, key + ".sensitive_fields");
    if (auto* v = optional_field(list[i], "important_fields")) rule.important_fields = as_string_list(*v, key + ".important_fields");
    c.cross_border.push_back(std::move(rule));
  }
}

void parse_ai_labels(const TomlValue& rules, Config& c) {
  const auto& list = as_array(rules, "compliance.ai_labels");
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string key = "compliance.ai_labels[" + std::to_string(i) + "]";
    as_table(list[i], key);
    reject_unknown_keys(list[i], key, {"markets", "reference", "when", "notice"});
    AiLabelRule rule;
    rule.where = ref_of(list[i], key);
    const TomlValue& markets = required_field(list[i], key, "markets");
    rule.markets = as_country_codes(markets, key + ".markets");
    for (const std::string& m : rule.markets) {
      if (!c.markets.contains(m)) fail(ref_of(markets, key + ".markets"), "unknown market '" + m + "'");
      if (c.ai_label_rule(m) != nullptr) fail(ref_of(markets, key + ".markets"), "market '" + m + "' has an AI label rule already");
    }
    rule.reference = as_nonempty_string(required_field(list[i], key, "reference"), key + ".reference");
    const TomlValue& when = required_field(list[i], key, "when");
    const std::string w = as_nonempty_string(when, key + ".when");
    if (w == "first_turn") rule.when = AiLabelRule::When::kFirstTurn;
    else if (w == "every_answer") rule.when = AiLabelRule::When::kEveryAnswer;
    else fail(ref_of(when, key + ".when"), "must be \"first_turn\" or \"every_answer\"");
    const std::string notice_key = key + ".notice";
    const TomlValue& notice = as_table(required_field(list[i], key, "notice"), notice_key);
    reject_unknown_keys(notice, notice_key, {"en", "zh", "de"});
    rule.notice_en = as_nonempty_string(required_field(notice, notice_key, "en"), notice_key + ".en");
    rule.notice_zh = as_nonempty_string(required_field(notice, notice_key, "zh"), notice_key + ".zh");
    rule.notice_de = as_nonempty_string(required_field(notice, notice_key, "de"), notice_key + ".de");
    c.ai_labels.push_back(std::move(rule));
  }
}

void parse_processing(const TomlValue& rules, Config& c) {
  const auto& list = as_array(rules, "compliance.processing");
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string key = "compliance.processing[" + std::to_string(i) + "]";
    as_table(list[i], key);
    reject_unknown_keys(list[i], key, {"data_class", "regions", "purpose", "legal_basis"});
    ProcessingPurpose p;
    p.where = ref_of(list[i], key);
    const TomlValue& data_class = required_field(list[i], key, "data_class");
    p.data_class = as_nonempty_string(data_class, key + ".data_class");
    if (std::find(std::begin(kProcessedDataClasses), std::end(kProcessedDataClasses), p.data_class) == std::end(kProcessedDataClasses)) {
      std::string known;
      for (std::string_view k : kProcessedDataClasses) known += (known.empty() ? "" : ", ") + std::string(k);
      fail(ref_of(data_class, key + ".data_class"), "unknown data class '" + p.data_class + "' (known: " + known + ")");
    }
    if (const auto* regions = optional_field(list[i], "regions")) {
      p.regions = as_string_list(*regions, key + ".regions");
      for (const std::string& r : p.regions) {
        if (c.region(r) == nullptr) fail(ref_of(*regions, key + ".regions"), "unknown region '" + r + "'");
      }
    }
    p.purpose = as_nonempty_string(required_field(list[i], key, "purpose"), key + ".purpose");
    p.legal_basis = as_nonempty_string(required_field(list[i], key, "legal_basis"), key + ".legal_basis");
    for (const ProcessingPurpose& other : c.processing) {
      if (other.data_class != p.data_class) continue;
      const bool overlap = other.regions.empty() == p.regions.empty() &&
                           (p.regions.empty() || std::any_of(p.regions.begin(), p.regions.end(), [&](const std::string& r) {
                              return std::find(other.regions.begin(), other.regions.end(), r) != other.regions.end();
                            }));
      if (overlap) fail(p.where, "data class '" + p.data_class + "' is declared already for these regions (" + other.where.key + ")");
    }
    c.processing.push_back(std::move(p));
  }
}

void parse_retention(const TomlValue& rules, Config& c) {
  const auto& list = as_array(rules, "compliance.retention");
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string key = "compliance.retention[" + std::to_string(i) + "]";
    as_table(list[i], key);
    reject_unknown_keys(list[i], key, {"data_class", "days", "markets", "regions", "reference"});
    RetentionRule r;
    r.where = ref_of(list[i], key);
    const TomlValue& data_class = required_field(list[i], key, "data_class");
    r.data_class = as_nonempty_string(data_class, key + ".data_class");
    if (std::find(std::begin(kRetainedDataClasses), std::end(kRetainedDataClasses), r.data_class) == std::end(kRetainedDataClasses)) {
      std::string known;
      for (std::string_view k : kRetainedDataClasses) known += (known.empty() ? "" : ", ") + std::string(k);
      fail(ref_of(data_class, key + ".data_class"), "unknown data class '" + r.data_class + "' (a retention rule names one of " + known + ")");
    }
    r.days = static_cast<uint32_t>(as_int_in(required_field(list[i], key, "days"), key + ".days", 1, 36500));
    if (const auto* markets = optional_field(list[i], "markets")) {
      if (r.data_class != "telemetry" && r.data_class != "assistant_usage") {
        fail(ref_of(*markets, key + ".markets"), "only telemetry and assistant_usage belong to a vehicle's market");
      }
      r.markets = as_country_codes(*markets, key + ".markets");
      for (const std::string& m : r.markets) {
        if (!c.markets.contains(m)) fail(ref_of(*markets, key + ".markets"), "unknown market '" + m + "'");
      }
    }
    if (const auto* regions = optional_field(list[i], "regions")) {
      r.regions = as_string_list(*regions, key + ".regions");
      for (const std::string& id : r.regions) {
        if (c.region(id) == nullptr) fail(ref_of(*regions, key + ".regions"), "unknown region '" + id + "'");
      }
    }
    r.reference = as_nonempty_string(required_field(list[i], key, "reference"), key + ".reference");
    c.retention.push_back(std::move(r));
  }
}

// [compliance]: after markets and providers, which its rules refer to.
void parse_compliance(const TomlValue& t, Config& c) {
  reject_unknown_keys(t, "compliance", {"prohibited_origins", "cross_border", "ai_labels", "processing", "retention"});
  if (const auto* processing = optional_field(t, "processing")) parse_processing(*processing, c);
  if (const auto* retention = optional_field(t, "retention")) parse_retention(*retention, c);
  if (const auto* cross = optional_field(t, "cross_border")) parse_cross_border(*cross, c);
  if (const auto* labels = optional_field(t, "ai_labels")) parse_ai_labels(*labels, c);
  const auto* rules = optional_field(t, "prohibited_origins");
  if (rules == nullptr) return;
  const auto& list = as_array(*rules, "compliance.prohibited_origins");
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string key = "compliance.prohibited_origins[" + std::to_string(i) + "]";
    as_table(list[i], key);
    reject_unknown_keys(list[i], key, {"markets", "origins", "from_model_year", "reference"});
    ProhibitedOrigin rule;
    rule.where = ref_of(list[i], key);
    rule.markets = as_country_codes(required_field(list[i], key, "markets"), key + ".markets");
    for (const std::string& m : rule.markets) {
      if (!c.markets.contains(m)) fail(ref_of(required_field(list[i], key, "markets"), key + ".markets"), "unknown market '" + m + "'");
    }
    rule.origins = as_country_codes(required_field(list[i], key, "origins"), key + ".origins");
    rule.from_model_year = static_cast<int>(as_int_in(required_field(list[i], key, "from_model_year"), key + ".from_model_year", 1980, 2100));
    rule.reference = as_nonempty_string(required_field(list[i], key, "reference"), key + ".reference");
    c.prohibited_origins.push_back(std::move(rule));
  }
  if (c.prohibited_origins.empty()) return;
  for (const Provider& p : c.providers) {
    if (p.developer_jurisdiction.empty()) {
      fail(p.where, "provider '" + p.id + "' must declare developer_jurisdiction: the config has rules on providers' origin");
    }
  }
}

// "FLEETGATE_<PREFIX>_<ID>", the region id upper-cased with '-' as '_' (a valid variable name).
std::string region_env(std::string_view prefix, std::string_view id) {
  std::string name = "FLEETGATE_" + std::string(prefix) + "_";
  for (char c : id) name += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return name;
}

RegionTelemetrySettings parse_region_telemetry(const TomlValue* t, const std::string& key, const std::string& id) {
  RegionTelemetrySettings s;
  s.nats_env = region_env("NATS", id);
  s.dsn_env = region_env("REGION_DSN", id);
  if (!t) return s;
  as_table(*t, key);
  reject_unknown_keys(*t, key, {"log", "ack", "nats_env", "dsn_env", "shards", "replicas", "materialize"});
  if (auto* v = optional_field(*t, "log")) {
    const std::string log = as_nonempty_string(*v, key + ".log");
    if (log == "embedded") s.log = RegionTelemetrySettings::Log::kEmbedded;
    else if (log == "jetstream") s.log = RegionTelemetrySettings::Log::kJetStream;
    else fail(ref_of(*v, key + ".log"), "must be \"embedded\" or \"jetstream\"");
  }
  if (auto* v = optional_field(*t, "ack")) {
    const std::string ack = as_nonempty_string(*v, key + ".ack");
    if (ack == "persisted") s.ack = RegionTelemetrySettings::Ack::kPersisted;
    else if (ack == "replicated") s.ack = RegionTelemetrySettings::Ack::kReplicated;
    else fail(ref_of(*v, key + ".ack"), "must be \"persisted\" or \"replicated\"");
  }
  if (auto* v = optional_field(*t, "nats_env")) s.nats_env = as_nonempty_string(*v, key + ".nats_env");
  if (auto* v = optional_field(*t, "dsn_env")) s.dsn_env = as_nonempty_string(*v, key + ".dsn_env");
  if (auto* v = optional_field(*t, "shards")) s.shards = static_cast<int>(as_int_in(*v, key + ".shards", 1, 256));
  if (auto* v = optional_field(*t, "replicas")) s.replicas = static_cast<int>(as_int_in(*v, key + ".replicas", 1, 5));
  if (auto* v = optional_field(*t, "materialize")) {
    if (!v->is_boolean()) fail(ref_of(*v, key + ".materialize"), "must be true or false");
    s.materialize = v->as_boolean();
  }
  return s;
}

Region parse_region(const TomlValue& t, const std::string& key, const std::filesystem::path& data_root) {
  as_table(t, key);
  reject_unknown_keys(t, key, {"id", "name", "data_dir", "chain", "retention_days", "endpoint", "telemetry"});
  Region r;
  r.where = ref_of(t, key);
  const TomlValue& id = required_field(t, key, "id");
  r.id = as_string(id, key + ".id");
  if (!is_region_id(r.id)) {
    fail(ref_of(id, key + ".id"), "region id '" + r.id + "' must be 1-16 of [a-z0-9-] and not \"vehicle\"");
  }
  r.name = r.id;
  if (auto* v = optional_field(t, "name")) r.name = as_nonempty_string(*v, key + ".name");
  r.data_dir = data_root / r.id;
  if (auto* v = optional_field(t, "data_dir")) r.data_dir = resolve(data_root, as_nonempty_string(*v, key + ".data_dir"));
  if (auto* v = optional_field(t, "retention_days")) {
    r.retention_days = static_cast<uint32_t>(as_int_in(*v, key + ".retention_days", 1, 36500));
  }
  if (auto* v = optional_field(t, "endpoint")) {
    r.endpoint = as_nonempty_string(*v, key + ".endpoint");
    check_endpoint(*v, key + ".endpoint", r.endpoint);
  }
  r.telemetry = parse_region_telemetry(optional_field(t, "telemetry"), key + ".telemetry", r.id);
  const TomlValue& chain = required_field(t, key, "chain");
  const auto& entries = as_array(chain, key + ".chain");
  if (entries.empty()) fail(ref_of(chain, key + ".chain"), "region '" + r.id + "' has no provider");
  for (size_t i = 0; i < entries.size(); ++i) {
    std::string k = key + ".chain[" + std::to_string(i) + "]";
    r.chain.push_back({as_nonempty_string(entries[i], k), ref_of(entries[i], k)});
  }
  return r;
}

// [node] regions: the served regions must be configured ones; absent means all of them.
void parse_node(const TomlValue& root, Config& c) {
  const TomlValue* node = optional_field(root, "node");
  const TomlValue* list = nullptr;
  if (node != nullptr) {
    reject_unknown_keys(as_table(*node, "node"), "node", {"regions"});
    list = optional_field(*node, "regions");
  }
  if (list == nullptr) {
    for (const Region& r : c.regions) c.served_regions.push_back(r.id);
    return;
  }
  const auto& ids = as_array(*list, "node.regions");
  if (ids.empty()) fail(ref_of(*list, "node.regions"), "a node serves at least one region");
  for (size_t i = 0; i < ids.size(); ++i) {
    const std::string key = "node.regions[" + std::to_string(i) + "]";
    std::string id = as_nonempty_string(ids[i], key);
    if (c.region(id) == nullptr) fail(ref_of(ids[i], key), "unknown region '" + id + "'");
    if (c.serves(id)) fail(ref_of(ids[i], key), "region '" + id + "' listed twice");
    c.served_regions.push_back(std::move(id));
  }
}

Config parse_document(const TomlValue& root, const std::filesystem::path& source) {
  Config c;
  c.source = source;
  const auto base = source.has_parent_path() ? source.parent_path() : std::filesystem::path(".");
  reject_unknown_keys(root, "", {"server", "control", "regions", "markets", "providers", "transfer", "learning", "node",
                                 "directory", "compliance", "assistant", "console", "log"});
  if (auto* t = optional_field(root, "control")) c.control = parse_control(as_table(*t, "control"));
  if (auto* t = optional_field(root, "transfer")) c.transfer = parse_transfer(as_table(*t, "transfer"));
  if (auto* t = optional_field(root, "console")) c.console = parse_console(as_table(*t, "console"));
  if (auto* t = optional_field(root, "log")) c.log = parse_log(as_table(*t, "log"));
  if (auto* l = optional_field(root, "learning")) c.learning = parse_learning(as_table(*l, "learning"));
  if (auto* d = optional_field(root, "directory")) c.directory = parse_directory(as_table(*d, "directory"), base);

  if (auto* s = optional_field(root, "server")) c.server = parse_server(as_table(*s, "server"), base);
  else c.server.data_dir = resolve(base, "data");

  const TomlValue& regions = required_field(root, "", "regions");
  const auto& region_list = as_array(regions, "regions");
  if (region_list.empty()) fail(ref_of(regions, "regions"), "at least one region is required");
  for (size_t i = 0; i < region_list.size(); ++i) {
    std::string key = "regions[" + std::to_string(i) + "]";
    Region r = parse_region(region_list[i], key, c.server.data_dir);
    if (c.region(r.id) != nullptr) fail(ref_of(region_list[i], key + ".id"), "duplicate region id '" + r.id + "'");
    c.regions.push_back(std::move(r));
  }
  parse_node(root, c);

  const TomlValue& providers = required_field(root, "", "providers");
  const auto& provider_list = as_array(providers, "providers");
  for (size_t i = 0; i < provider_list.size(); ++i) {
    std::string key = "providers[" + std::to_string(i) + "]";
    Provider p = parse_provider(provider_list[i], key, base);
    if (c.provider(p.id) != nullptr) fail(ref_of(provider_list[i], key + ".id"), "duplicate provider id '" + p.id + "'");
    if (p.location != kVehicleLocation && c.region(p.location) == nullptr) {
      fail(ref_of(provider_list[i], key + ".location"), "unknown region '" + p.location + "'");
    }
    c.providers.push_back(std::move(p));
  }

  const TomlValue& markets = as_table(required_field(root, "", "markets"), "markets");
  for (const auto& [code, region] : markets.as_table()) {
    std::string key = "markets." + code;
    if (!is_market_code(code)) fail(ref_of(region, key), "market '" + code + "' is not an ISO 3166 alpha-2 code (two capital letters)");
    std::string region_id = as_string(region, key);
    if (c.region(region_id) == nullptr) fail(ref_of(region, key), "unknown region '" + region_id + "'");
    c.markets.emplace(code, region_id);
  }
  if (c.markets.empty()) fail(ref_of(markets, "markets"), "at least one market is required");
  if (auto* a = optional_field(root, "assistant")) c.assistant = parse_assistant(as_table(*a, "assistant"), c);
  if (auto* t = optional_field(root, "compliance")) parse_compliance(as_table(*t, "compliance"), c);

  for (const Region& r : c.regions) {
    for (const ChainEntry& e : r.chain) {
      if (c.provider(e.provider_id) == nullptr) fail(e.where, "unknown provider '" + e.provider_id + "'");
    }
    std::set<std::string> seen;
    for (const ChainEntry& e : r.chain) {
      if (!seen.insert(e.provider_id).second) fail(e.where, "provider '" + e.provider_id + "' listed twice in the chain");
    }
  }
  return c;
}

Result<Config> parse_stream(std::istream& in, const std::filesystem::path& source) {
  Config c;
  Status s = toml_fields::parse_toml(in, source, [&](const TomlValue& root) { c = parse_document(root, source); });
  if (!s.is_ok()) return s;
  return c;
}

}  // namespace

bool is_market_code(std::string_view s) {
  return s.size() == 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z';
}

std::string SourceRef::describe() const {
  std::string s = file + ":" + std::to_string(line);
  if (!key.empty()) s += ": " + key;
  return s;
}

const Region* Config::region(std::string_view id) const {
  for (const auto& r : regions) {
    if (r.id == id) return &r;
  }
  return nullptr;
}

const Provider* Config::provider(std::string_view id) const {
  for (const auto& p : providers) {
    if (p.id == id) return &p;
  }
  return nullptr;
}

bool Config::serves(std::string_view region_id) const {
  return std::find(served_regions.begin(), served_regions.end(), region_id) != served_regions.end();
}

const CrossBorderRule* Config::cross_border_rule(std::string_view region) const {
  for (const auto& r : cross_border) {
    if (r.region == region) return &r;
  }
  return nullptr;
}

const AiLabelRule* Config::ai_label_rule(std::string_view market) const {
  for (const auto& r : ai_labels) {
    if (std::find(r.markets.begin(), r.markets.end(), market) != r.markets.end()) return &r;
  }
  return nullptr;
}

std::optional<std::pair<uint32_t, const RetentionRule*>> Config::retention_for(std::string_view data_class,
                                                                               std::string_view region,
                                                                               std::string_view market) const {
  auto covers = [](const std::vector<std::string>& list, std::string_view v) {
    return list.empty() || std::find(list.begin(), list.end(), v) != list.end();
  };
  std::optional<std::pair<uint32_t, const RetentionRule*>> shortest;
  for (const RetentionRule& r : retention) {
    if (r.data_class != data_class || !covers(r.regions, region) || !covers(r.markets, market)) continue;
    if (!shortest || r.days < shortest->first) shortest = std::pair(r.days, &r);
  }
  return shortest;
}

const ProcessingPurpose* Config::processing_purpose(std::string_view data_class, std::string_view region) const {
  const ProcessingPurpose* general = nullptr;
  for (const auto& p : processing) {
    if (p.data_class != data_class) continue;
    if (std::find(p.regions.begin(), p.regions.end(), region) != p.regions.end()) return &p;
    if (p.regions.empty()) general = &p;
  }
  return general;
}

const Region* Config::region_for_market(std::string_view market) const {
  auto it = markets.find(std::string(market));
  return it == markets.end() ? nullptr : region(it->second);
}

Result<Config> load_config(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return not_found(file.string() + ": cannot open config file");
  return parse_stream(in, file);
}

Result<Config> parse_config(std::string_view text, const std::filesystem::path& source_name) {
  std::istringstream in{std::string(text)};
  return parse_stream(in, source_name);
}

}  // namespace fleetgate::config
