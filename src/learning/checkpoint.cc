#include "fleetgate/learning/checkpoint.h"

#include <bit>
#include <boost/json.hpp>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

namespace fleetgate::learning {
namespace {

namespace json = boost::json;

constexpr std::string_view kMagic = "FGMODEL1";
static_assert(std::endian::native == std::endian::little, "checkpoint payloads are little-endian float32");

// Floating-point values are written as their shortest round-trip decimal text (std::to_chars)
// because Boost.JSON 1.81 parses numbers without correct rounding; decoding is then exact.
template <typename F>
json::string exact(F f) {
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, f);
  return json::string(buf, r.ptr);
}

template <typename F>
bool parse_exact(const json::value& v, F& out) {
  if (!v.is_string()) return false;
  const json::string& s = v.as_string();
  const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size() && std::isfinite(out);
}

json::array floats_to_json(const std::vector<float>& v) {
  json::array a;
  for (float f : v) a.emplace_back(exact(f));
  return a;
}

json::object metrics_to_json(const BinaryMetrics& m) {
  json::object o{{"examples", m.examples}, {"positives", m.positives}, {"accuracy", exact(m.accuracy)}, {"log_loss", exact(m.log_loss)}};
  if (m.auc) o["auc"] = exact(*m.auc);
  return o;
}

json::object header_json(const Checkpoint& c) {
  const ModelMeta& m = c.meta;
  json::array names;
  for (const auto& n : m.feature_names) names.emplace_back(n);
  json::object meta{{"kind", m.kind},
                    {"region", m.region},
                    {"dataset_version", m.dataset_version},
                    {"window_steps", m.spec.window_steps},
                    {"step_dim", m.spec.step_dim},
                    {"hidden", m.spec.hidden},
                    {"feature_names", names},
                    {"seed", m.seed},
                    {"epochs", m.epochs},
                    {"rounds", m.rounds},
                    {"train_examples", m.train_examples},
                    {"created_ms", m.created_ms}};
  if (m.test) meta["test"] = metrics_to_json(*m.test);
  json::array tensors;
  for (const Tensor& t : c.weights.tensors) {
    json::array shape;
    for (int64_t d : t.shape) shape.emplace_back(d);
    tensors.emplace_back(json::object{{"name", t.name}, {"shape", shape}});
  }
  json::object h{{"meta", meta}, {"tensors", tensors}};
  if (c.normaliser) h["normaliser"] = json::object{{"mean", floats_to_json(c.normaliser->mean)}, {"stddev", floats_to_json(c.normaliser->stddev)}};
  return h;
}

// Typed reads of the header, failing with kDataLoss that names the key.
class Reader {
 public:
  explicit Reader(const json::object& o, std::string where) : o_(o), where_(std::move(where)) {}
  Status error() const { return error_; }

  const json::value* field(std::string_view key) {
    const json::value* v = o_.if_contains(key);
    if (v == nullptr) fail(key, "missing");
    return v;
  }
  std::string str(std::string_view key) {
    const json::value* v = field(key);
    if (v == nullptr || !v->is_string()) return fail(key, "not a string"), std::string();
    return std::string(v->as_string());
  }
  template <typename T>
  T integer(std::string_view key) {
    const json::value* v = field(key);
    if (v == nullptr) return T{};
    std::error_code ec;
    const auto x = v->to_number<T>(ec);
    if (ec) return fail(key, "not an integer in range"), T{};
    return x;
  }
  double number(std::string_view key) {
    const json::value* v = field(key);
    double x = 0;
    if (v != nullptr && !parse_exact(*v, x)) return fail(key, "not a finite number"), 0.0;
    return x;
  }
  std::vector<float> floats(std::string_view key) {
    std::vector<float> out;
    const json::value* v = field(key);
    if (v == nullptr) return out;
    if (!v->is_array()) return fail(key, "not an array"), out;
    for (const json::value& x : v->as_array()) {
      float f = 0;
      if (!parse_exact(x, f)) return fail(key, "holds a value that is not a finite number"), out;
      out.push_back(f);
    }
    return out;
  }
  const json::array* array(std::string_view key) {
    const json::value* v = field(key);
    if (v != nullptr && !v->is_array()) fail(key, "not an array");
    return v != nullptr && v->is_array() ? &v->as_array() : nullptr;
  }
  const json::object* object(std::string_view key) {
    const json::value* v = field(key);
    if (v != nullptr && !v->is_object()) fail(key, "not an object");
    return v != nullptr && v->is_object() ? &v->as_object() : nullptr;
  }
  void fail(std::string_view key, std::string_view why) {
    if (error_.is_ok()) error_ = data_loss("checkpoint: " + where_ + std::string(key) + " " + std::string(why));
  }

 private:
  const json::object& o_;
  std::string where_;
  Status error_;
};

Result<BinaryMetrics> metrics_from_json(const json::object& o) {
  Reader r(o, "meta.test.");
  BinaryMetrics m;
  m.examples = r.integer<size_t>("examples");
  m.positives = r.integer<size_t>("positives");
  m.accuracy = r.number("accuracy");
  m.log_loss = r.number("log_loss");
  if (o.contains("auc")) m.auc = r.number("auc");
  if (!r.error().is_ok()) return r.error();
  return m;
}

Result<ModelMeta> meta_from_json(const json::object& o) {
  Reader r(o, "meta.");
  ModelMeta m;
  m.kind = r.str("kind");
  m.region = r.str("region");
  m.dataset_version = r.str("dataset_version");
  m.spec.window_steps = r.integer<int>("window_steps");
  m.spec.step_dim = r.integer<int>("step_dim");
  m.spec.hidden = r.integer<int>("hidden");
  if (const json::array* names = r.array("feature_names")) {
    for (const json::value& n : *names) {
      if (!n.is_string()) return data_loss("checkpoint: meta.feature_names holds a non-string");
      m.feature_names.emplace_back(n.as_string());
    }
  }
  m.seed = r.integer<uint64_t>("seed");
  m.epochs = r.integer<uint32_t>("epochs");
  m.rounds = r.integer<uint32_t>("rounds");
  m.train_examples = r.integer<uint64_t>("train_examples");
  m.created_ms = r.integer<int64_t>("created_ms");
  if (!r.error().is_ok()) return r.error();
  if (const json::value* test = o.if_contains("test")) {
    if (!test->is_object()) return data_loss("checkpoint: meta.test is not an object");
    auto metrics = metrics_from_json(test->as_object());
    if (!metrics.is_ok()) return metrics.status();
    m.test = *metrics;
  }
  return m;
}

}  // namespace

std::string encode_checkpoint(const Checkpoint& c) {
  const std::string header = json::serialize(header_json(c));
  std::string out(kMagic);
  const auto len = static_cast<uint32_t>(header.size());
  char len_bytes[4];
  std::memcpy(len_bytes, &len, 4);
  out.append(len_bytes, 4);
  out += header;
  for (const Tensor& t : c.weights.tensors) {
    out.append(reinterpret_cast<const char*>(t.values.data()), t.values.size() * sizeof(float));
  }
  return out;
}

Result<Checkpoint> decode_checkpoint(std::string_view bytes) {
  if (bytes.size() < kMagic.size() + 4 || bytes.substr(0, kMagic.size()) != kMagic) {
    return data_loss("checkpoint: not a fleetgate model (bad magic)");
  }
  uint32_t len = 0;
  std::memcpy(&len, bytes.data() + kMagic.size(), 4);
  bytes.remove_prefix(kMagic.size() + 4);
  if (len > bytes.size()) return data_loss("checkpoint: truncated header");
  std::error_code ec;
  json::value header = json::parse(bytes.substr(0, len), ec);
  if (ec || !header.is_object()) return data_loss("checkpoint: header is not a JSON object");
  bytes.remove_prefix(len);

  Reader r(header.as_object(), "");
  const json::object* meta_json = r.object("meta");
  const json::array* tensors = r.array("tensors");
  if (!r.error().is_ok()) return r.error();
  Checkpoint c;
  auto meta = meta_from_json(*meta_json);
  if (!meta.is_ok()) return meta.status();
  c.meta = std::move(meta).value();

  if (const json::value* n = header.as_object().if_contains("normaliser")) {
    if (!n->is_object()) return data_loss("checkpoint: normaliser is not an object");
    Reader nr(n->as_object(), "normaliser.");
    Normaliser norm{nr.floats("mean"), nr.floats("stddev")};
    if (!nr.error().is_ok()) return nr.error();
    if (norm.mean.size() != norm.stddev.size() || norm.mean.empty()) return data_loss("checkpoint: normaliser sizes differ");
    for (float s : norm.stddev) {
      if (!(s > 0)) return data_loss("checkpoint: normaliser stddev must be positive");
    }
    c.normaliser = std::move(norm);
  }

  for (const json::value& tv : *tensors) {
    if (!tv.is_object()) return data_loss("checkpoint: tensors holds a non-object");
    Reader tr(tv.as_object(), "tensors[].");
    Tensor t;
    t.name = tr.str("name");
    const json::array* shape = tr.array("shape");
    if (!tr.error().is_ok()) return tr.error();
    uint64_t count = 1;
    for (const json::value& d : *shape) {
      std::error_code dec;
      const auto dim = d.to_number<int64_t>(dec);
      if (dec || dim < 0 || dim > (int64_t{1} << 31)) return data_loss("checkpoint: tensor '" + t.name + "' has a bad shape");
      t.shape.push_back(dim);
      count *= static_cast<uint64_t>(dim);
      if (count > bytes.size() / sizeof(float)) return data_loss("checkpoint: truncated parameters of '" + t.name + "'");
    }
    t.values.resize(count);
    std::memcpy(t.values.data(), bytes.data(), count * sizeof(float));
    bytes.remove_prefix(count * sizeof(float));
    for (float v : t.values) {
      if (!std::isfinite(v)) return data_loss("checkpoint: tensor '" + t.name + "' holds a non-finite parameter");
    }
    c.weights.tensors.push_back(std::move(t));
  }
  if (!bytes.empty()) return data_loss("checkpoint: " + std::to_string(bytes.size()) + " trailing bytes");
  return c;
}

Status save_checkpoint(store::KvStore& store, std::string_view name, const Checkpoint& c) {
  if (name.empty()) return invalid_argument("checkpoint name is empty");
  return store.put(std::string(kModelKeyPrefix) + std::string(name), encode_checkpoint(c));
}

Result<Checkpoint> load_checkpoint(const store::KvReader& store, std::string_view name) {
  auto bytes = store.get(std::string(kModelKeyPrefix) + std::string(name));
  if (!bytes.is_ok()) {
    if (bytes.status().code() == Code::kNotFound) return not_found("no model '" + std::string(name) + "' in this region");
    return bytes.status();
  }
  return decode_checkpoint(*bytes);
}

Result<std::vector<StoredModel>> list_models(const store::KvReader& store) {
  std::vector<StoredModel> out;
  auto it = store.scan(kModelKeyPrefix);
  for (; it->valid(); it->next()) {
    std::string name(it->key().substr(kModelKeyPrefix.size()));
    auto checkpoint = decode_checkpoint(it->value());
    if (!checkpoint.is_ok()) return data_loss("model '" + name + "': " + checkpoint.status().message());
    out.push_back({std::move(name), std::move(checkpoint->meta)});
  }
  if (!it->status().is_ok()) return it->status();
  return out;
}

Status delete_checkpoint(store::KvStore& store, std::string_view name) {
  const std::string key = std::string(kModelKeyPrefix) + std::string(name);
  auto existing = store.get(key);
  if (!existing.is_ok()) {
    if (existing.status().code() == Code::kNotFound) return not_found("no model '" + std::string(name) + "' in this region");
    return existing.status();
  }
  return store.remove(key);
}

}  // namespace fleetgate::learning
