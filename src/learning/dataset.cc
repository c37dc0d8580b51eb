#include "fleetgate/learning/dataset.h"

#include <bit>
#include <boost/json.hpp>
#include <charconv>
#include <chrono>
#include <cmath>
#include <map>
#include <optional>

#include "fleetgate/privacy/field_cipher.h"

namespace fleetgate::learning {
namespace {

namespace json = boost::json;

constexpr uint8_t kFormatVersion = 1;
// The sealed examples' encoding with vehicle keys: each vehicle's examples sealed apart.
constexpr uint8_t kVehicleSealedFormat = 2;
// The FieldBinding field id of one vehicle's examples (telemetry's blocks and wrapped keys use
// uint32 max and max - 1).
constexpr uint32_t kVehicleExamplesBinding = 0xfffffffd;
// Versions are short printable names (letters, digits, '-', '_', '.') so keys stay readable.
constexpr size_t kMaxVersionLength = 64;

std::string meta_key(std::string_view version) { return std::string(kDatasetKeyPrefix) + "meta/" + std::string(version); }
std::string data_key(std::string_view version) { return std::string(kDatasetKeyPrefix) + "data/" + std::string(version); }
std::string meta_prefix() { return std::string(kDatasetKeyPrefix) + "meta/"; }

bool valid_version(std::string_view v) {
  if (v.empty() || v.size() > kMaxVersionLength || v == kLatestVersion) return false;
  for (char c : v) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

// The sealed examples are bound to the dataset's key, so a blob copied under another version
// or into another region fails to open.
privacy::FieldBinding binding_for(const std::string& key) { return {key, 0}; }

void put_u32(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
}
void put_u64(std::string& out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
}
void put_f32(std::string& out, float f) { put_u32(out, std::bit_cast<uint32_t>(f)); }
void put_str(std::string& out, std::string_view s) {
  put_u32(out, static_cast<uint32_t>(s.size()));
  out.append(s);
}

// Reads the encoding above; every overrun turns `ok` false and yields zeros.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool ok() const { return ok_; }
  bool done() const { return ok_ && in_.empty(); }
  size_t remaining() const { return in_.size(); }
  uint8_t u8() { return static_cast<uint8_t>(uint_of(1)); }
  uint32_t u32() { return static_cast<uint32_t>(uint_of(4)); }
  uint64_t u64() { return uint_of(8); }
  float f32() { return std::bit_cast<float>(u32()); }
  std::string str() {
    const uint32_t n = u32();
    if (!ok_ || n > in_.size()) return fail_str();
    std::string s(in_.substr(0, n));
    in_.remove_prefix(n);
    return s;
  }

 private:
  uint64_t uint_of(size_t bytes) {
    if (!ok_ || in_.size() < bytes) {
      ok_ = false;
      return 0;
    }
    uint64_t v = 0;
    for (size_t i = 0; i < bytes; ++i) v = (v << 8) | static_cast<uint8_t>(in_[i]);
    in_.remove_prefix(bytes);
    return v;
  }
  std::string fail_str() {
    ok_ = false;
    return {};
  }
  std::string_view in_;
  bool ok_ = true;
};

void encode_example(std::string& out, const Example& e) {
  put_u32(out, static_cast<uint32_t>(e.features.size()));
  for (float f : e.features) put_f32(out, f);
  put_f32(out, e.label);
  put_str(out, e.vehicle);
  put_u64(out, static_cast<uint64_t>(e.t_ms));
  put_str(out, e.trigger);
}

void encode_examples(std::string& out, const std::vector<Example>& examples) {
  put_u64(out, examples.size());
  for (const Example& e : examples) encode_example(out, e);
}

bool decode_example(Reader& in, size_t features_per_example, Example& e) {
  const uint32_t nf = in.u32();
  if (nf != features_per_example) return false;
  e.features.resize(nf);
  for (float& f : e.features) f = in.f32();
  e.label = in.f32();
  e.vehicle = in.str();
  e.t_ms = static_cast<int64_t>(in.u64());
  e.trigger = in.str();
  return in.ok();
}

bool decode_examples(Reader& in, size_t features_per_example, std::vector<Example>& out) {
  const uint64_t n = in.u64();
  for (uint64_t i = 0; i < n && in.ok(); ++i) {
    Example e;
    if (!decode_example(in, features_per_example, e)) return false;
    out.push_back(std::move(e));
  }
  return in.ok();
}

// Format 2: u32 vehicles, then per vehicle its pseudonym, its key's generation and, sealed under
// that key, u64 examples, each u8 split (0 train, 1 test), u32 position in the split, the example.
Status encode_by_vehicle(std::string& out, const Dataset& d, privacy::VehicleKeys& vehicle_keys,
                         const privacy::FieldCipher& cipher, const std::string& dkey) {
  std::map<std::string, std::string> examples_of;  // pseudonym -> its examples, encoded
  std::map<std::string, uint64_t> count_of;
  for (uint8_t split = 0; split < 2; ++split) {
    const std::vector<Example>& examples = split == 0 ? d.train : d.test;
    for (size_t i = 0; i < examples.size(); ++i) {
      std::string& group = examples_of[examples[i].vehicle];
      group.push_back(static_cast<char>(split));
      put_u32(group, static_cast<uint32_t>(i));
      encode_example(group, examples[i]);
      ++count_of[examples[i].vehicle];
    }
  }
  put_u32(out, static_cast<uint32_t>(examples_of.size()));
  for (const auto& [vehicle, group] : examples_of) {
    auto key = vehicle_keys.for_sealing(vehicle);
    if (!key.is_ok()) return key.status();
    std::string plain;
    put_u64(plain, count_of.at(vehicle));
    plain += group;
    auto sealed = cipher.seal(plain, {vehicle, kVehicleExamplesBinding, dkey}, *key);
    if (!sealed.is_ok()) return sealed.status();
    put_str(out, vehicle);
    put_u32(out, key->generation);
    put_str(out, *sealed);
  }
  return Status::ok();
}

// Reads format 2 into `d`'s splits (sized from the summary), leaving out the examples of vehicles
// whose key was destroyed (erased); false when the bytes do not decode.
Result<bool> decode_by_vehicle(Reader& in, Dataset& d, const DatasetInfo& info, privacy::VehicleKeys& vehicle_keys,
                               const privacy::FieldCipher& cipher, const std::string& dkey) {
  const size_t width = static_cast<size_t>(std::max(d.window_steps, 0)) * static_cast<size_t>(std::max(d.step_dim, 0));
  // The counts come from the clear summary: no more slots than the sealed bytes could fill.
  const uint64_t train = static_cast<uint64_t>(std::max<int64_t>(info.train_examples, 0));
  const uint64_t test = static_cast<uint64_t>(std::max<int64_t>(info.test_examples, 0));
  if (train > in.remaining() || test > in.remaining()) return false;
  std::vector<std::optional<Example>> splits[2];
  splits[0].resize(train);
  splits[1].resize(test);
  const uint32_t vehicles = in.u32();
  for (uint32_t v = 0; v < vehicles && in.ok(); ++v) {
    const std::string vehicle = in.str();
    const uint32_t generation = in.u32();
    const std::string sealed = in.str();
    if (!in.ok()) return false;
    auto key = vehicle_keys.for_opening(vehicle, generation);
    if (key.status().code() == Code::kNotFound) continue;  // erased: its examples are gone
    if (!key.is_ok()) return key.status();
    auto plain = cipher.open(sealed, {vehicle, kVehicleExamplesBinding, dkey}, *key);
    if (!plain.is_ok()) return plain.status();
    Reader group(*plain);
    const uint64_t n = group.u64();
    for (uint64_t i = 0; i < n && group.ok(); ++i) {
      const uint8_t split = group.u8();
      const uint32_t at = group.u32();
      Example e;
      if (split > 1 || at >= splits[split].size() || splits[split][at] || !decode_example(group, width, e) ||
          e.vehicle != vehicle) {
        return false;
      }
      splits[split][at] = std::move(e);
    }
    if (!group.done()) return false;
  }
  if (!in.done()) return false;
  for (int split = 0; split < 2; ++split) {
    std::vector<Example>& out = split == 0 ? d.train : d.test;
    for (auto& e : splits[split]) {
      if (e) out.push_back(std::move(*e));
    }
  }
  return true;
}

int64_t positives(const std::vector<Example>& examples) {
  int64_t n = 0;
  for (const Example& e : examples) n += e.label > 0.5f ? 1 : 0;
  return n;
}

json::object encode_meta(const DatasetInfo& info, const std::vector<std::string>& feature_names) {
  json::array names;
  for (const auto& n : feature_names) names.emplace_back(n);
  json::object counts;
  for (const auto& [trigger, n] : info.counts_per_trigger) counts[trigger] = n;
  return json::object{{"format", kFormatVersion},
                      {"region", info.region},
                      {"version", info.version},
                      {"created_ms", info.created_ms},
                      {"window_steps", info.window_steps},
                      {"step_dim", info.step_dim},
                      {"feature_names", std::move(names)},
                      {"train_examples", info.train_examples},
                      {"test_examples", info.test_examples},
                      {"train_positives", info.train_positives},
                      {"test_positives", info.test_positives},
                      {"counts_per_trigger", std::move(counts)}};
}

// Fills `info` and `names` from stored meta JSON; false when a member is missing or mistyped.
bool decode_meta(std::string_view text, DatasetInfo& info, std::vector<std::string>& names) {
  boost::system::error_code ec;
  const json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return false;
  const json::object& o = v.get_object();
  try {
    if (o.at("format").to_number<int64_t>() != kFormatVersion) return false;
    info.region = json::value_to<std::string>(o.at("region"));
    info.version = json::value_to<std::string>(o.at("version"));
    if (const json::value* created = o.if_contains("created_ms")) {
      info.created_ms = created->to_number<int64_t>();
    } else if (info.version.size() > 1 && info.version[0] == 'v') {
      int64_t ms = 0;
      auto [end, err] = std::from_chars(info.version.data() + 1, info.version.data() + info.version.size(), ms);
      if (err == std::errc() && end == info.version.data() + info.version.size()) info.created_ms = ms;
    }
    info.window_steps = o.at("window_steps").to_number<int>();
    info.step_dim = o.at("step_dim").to_number<int>();
    info.train_examples = o.at("train_examples").to_number<int64_t>();
    info.test_examples = o.at("test_examples").to_number<int64_t>();
    info.train_positives = o.at("train_positives").to_number<int64_t>();
    info.test_positives = o.at("test_positives").to_number<int64_t>();
    for (const auto& [trigger, n] : o.at("counts_per_trigger").as_object()) {
      info.counts_per_trigger[std::string(trigger)] = n.to_number<int64_t>();
    }
    names = json::value_to<std::vector<std::string>>(o.at("feature_names"));
  } catch (const std::exception&) {
    return false;
  }
  return true;
}

Result<DatasetInfo> read_info(const store::KvReader& store, const std::string& version,
                              std::vector<std::string>* names = nullptr) {
  auto text = store.get(meta_key(version));
  if (!text.is_ok()) {
    if (text.status().code() == Code::kNotFound) return not_found("no dataset version '" + version + "'");
    return text.status();
  }
  DatasetInfo info;
  std::vector<std::string> feature_names;
  if (!decode_meta(*text, info, feature_names) || info.version != version) {
    return data_loss("dataset '" + version + "': stored summary is damaged");
  }
  if (names != nullptr) *names = std::move(feature_names);
  return info;
}

Result<std::string> newest_version(const store::KvReader& store) {
  auto listed = list_datasets(store);
  if (!listed.is_ok()) return listed.status();
  if (listed->empty()) return not_found("the region has no dataset yet (run `fleetgate train curate`)");
  return listed->back().version;
}

}  // namespace

DatasetInfo dataset_info(const Dataset& d) {
  DatasetInfo info;
  info.version = d.version;
  info.region = d.region;
  info.window_steps = d.window_steps;
  info.step_dim = d.step_dim;
  info.train_examples = static_cast<int64_t>(d.train.size());
  info.test_examples = static_cast<int64_t>(d.test.size());
  info.train_positives = positives(d.train);
  info.test_positives = positives(d.test);
  info.counts_per_trigger = d.counts_per_trigger;
  return info;
}

Status validate_dataset(const Dataset& d) {
  if (d.window_steps <= 0 || d.step_dim <= 0) return invalid_argument("window_steps and step_dim must be positive");
  if (d.feature_names.size() != static_cast<size_t>(d.step_dim)) {
    return invalid_argument("feature_names has " + std::to_string(d.feature_names.size()) + " names for step_dim " +
                            std::to_string(d.step_dim));
  }
  const size_t width = static_cast<size_t>(d.window_steps) * static_cast<size_t>(d.step_dim);
  for (const auto* split : {&d.train, &d.test}) {
    const char* name = split == &d.train ? "train" : "test";
    for (size_t i = 0; i < split->size(); ++i) {
      const Example& e = (*split)[i];
      const std::string where = std::string(name) + "[" + std::to_string(i) + "]";
      if (e.features.size() != width) {
        return invalid_argument(where + " has " + std::to_string(e.features.size()) + " features, expected " +
                                std::to_string(width));
      }
      for (float f : e.features) {
        if (!std::isfinite(f)) return invalid_argument(where + " has a feature that is not finite");
      }
      if (e.label != 0.0f && e.label != 1.0f) return invalid_argument(where + " has a label other than 0 or 1");
      if (e.vehicle.empty()) return invalid_argument(where + " names no vehicle");
    }
  }
  return Status::ok();
}

Result<std::string> save_dataset(store::KvStore& store, const std::shared_ptr<const privacy::RegionKeys>& keys,
                                 const Dataset& dataset, const std::shared_ptr<privacy::VehicleKeys>& vehicle_keys) {
  if (Status s = validate_dataset(dataset); !s.is_ok()) return s;
  if (dataset.region != keys->region()) {
    return invalid_argument("dataset of region '" + dataset.region + "' cannot be stored with the keys of region '" +
                            keys->region() + "'");
  }
  const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::system_clock::now().time_since_epoch()).count();
  std::string version = dataset.version.empty() ? "v" + std::to_string(now_ms) : dataset.version;
  if (!valid_version(version)) return invalid_argument("bad dataset version '" + version + "'");
  const std::string key = meta_key(version);
  auto existing = store.get(key);
  if (existing.is_ok()) return already_exists("dataset version '" + version + "' is already stored");
  if (existing.status().code() != Code::kNotFound) return existing.status();

  const std::string dkey = data_key(version);
  const privacy::FieldCipher cipher(keys);
  std::string plain;
  if (vehicle_keys) {
    plain.push_back(static_cast<char>(kVehicleSealedFormat));
    if (Status s = encode_by_vehicle(plain, dataset, *vehicle_keys, cipher, dkey); !s.is_ok()) return s;
  } else {
    plain.push_back(static_cast<char>(kFormatVersion));
    encode_examples(plain, dataset.train);
    encode_examples(plain, dataset.test);
  }
  auto sealed = cipher.seal(plain, binding_for(dkey));
  if (!sealed.is_ok()) return sealed.status();

  DatasetInfo info = dataset_info(dataset);
  info.version = version;
  info.created_ms = now_ms;
  const json::object meta = encode_meta(info, dataset.feature_names);
  store::WriteBatch batch;
  batch.put(dkey, *sealed);
  batch.put(key, json::serialize(meta));
  if (Status s = store.write(batch); !s.is_ok()) return s;
  return version;
}

Result<Dataset> load_dataset(const store::KvReader& store, const std::shared_ptr<const privacy::RegionKeys>& keys,
                             std::string_view version, const std::shared_ptr<privacy::VehicleKeys>& vehicle_keys) {
  std::string wanted(version);
  if (wanted == kLatestVersion) {
    auto newest = newest_version(store);
    if (!newest.is_ok()) return newest.status();
    wanted = *newest;
  }
  if (!valid_version(wanted)) return invalid_argument("bad dataset version '" + wanted + "'");
  Dataset d;
  auto info = read_info(store, wanted, &d.feature_names);
  if (!info.is_ok()) return info.status();
  if (info->region != keys->region()) {
    return data_loss("dataset '" + wanted + "' belongs to region '" + info->region + "', not '" + keys->region() + "'");
  }
  d.region = info->region;
  d.version = info->version;
  d.window_steps = info->window_steps;
  d.step_dim = info->step_dim;
  d.counts_per_trigger = info->counts_per_trigger;

  const std::string dkey = data_key(wanted);
  auto sealed = store.get(dkey);
  if (!sealed.is_ok()) {
    if (sealed.status().code() == Code::kNotFound) return data_loss("dataset '" + wanted + "': examples are missing");
    return sealed.status();
  }
  const privacy::FieldCipher cipher(keys);
  auto plain = cipher.open(*sealed, binding_for(dkey));
  if (!plain.is_ok()) return data_loss("dataset '" + wanted + "': " + plain.status().message());
  const uint8_t format = plain->empty() ? 0 : static_cast<uint8_t>((*plain)[0]);
  Reader in(std::string_view(*plain).substr(std::min<size_t>(1, plain->size())));
  if (format == kVehicleSealedFormat) {
    if (!vehicle_keys) return data_loss("dataset '" + wanted + "': sealed under vehicle keys, and no vehicle key store is open");
    auto decoded = decode_by_vehicle(in, d, *info, *vehicle_keys, cipher, dkey);
    if (!decoded.is_ok()) return data_loss("dataset '" + wanted + "': " + decoded.status().message());
    if (!*decoded) return data_loss("dataset '" + wanted + "': examples do not decode");
    if (Status s = validate_dataset(d); !s.is_ok()) return data_loss("dataset '" + wanted + "': " + s.message());
    return d;
  }
  if (format != kFormatVersion) return data_loss("dataset '" + wanted + "': unknown format");
  const size_t width = static_cast<size_t>(std::max(d.window_steps, 0)) * static_cast<size_t>(std::max(d.step_dim, 0));
  if (!decode_examples(in, width, d.train) || !decode_examples(in, width, d.test) || !in.done() ||
      static_cast<int64_t>(d.train.size()) != info->train_examples ||
      static_cast<int64_t>(d.test.size()) != info->test_examples) {
    return data_loss("dataset '" + wanted + "': examples do not decode");
  }
  if (Status s = validate_dataset(d); !s.is_ok()) return data_loss("dataset '" + wanted + "': " + s.message());
  return d;
}

Result<std::vector<DatasetInfo>> list_datasets(const store::KvReader& store) {
  std::vector<DatasetInfo> out;
  const std::string prefix = meta_prefix();
  auto it = store.scan(prefix);
  for (; it->valid(); it->next()) {
    const std::string version(it->key().substr(prefix.size()));
    DatasetInfo info;
    std::vector<std::string> names;
    if (!decode_meta(it->value(), info, names) || info.version != version) {
      return data_loss("dataset '" + version + "': stored summary is damaged");
    }
    out.push_back(std::move(info));
  }
  if (Status s = it->status(); !s.is_ok()) return s;
  return out;
}

Status delete_dataset(store::KvStore& store, std::string_view version) {
  if (!valid_version(version)) return invalid_argument("bad dataset version '" + std::string(version) + "'");
  auto existing = store.get(meta_key(version));
  if (!existing.is_ok()) {
    if (existing.status().code() == Code::kNotFound) return not_found("no dataset version '" + std::string(version) + "'");
    return existing.status();
  }
  store::WriteBatch batch;
  batch.remove(meta_key(version));
  batch.remove(data_key(version));
  return store.write(batch);
}

}  // namespace fleetgate::learning
