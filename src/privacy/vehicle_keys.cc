#include "fleetgate/privacy/vehicle_keys.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <chrono>
#include <limits>
#include <map>

#include "fleetgate/privacy/openssl_util.h"
#include "fleetgate/store/embedded_store.h"

namespace fleetgate::privacy {
namespace {

namespace fs = std::filesystem;

// Store keys: "k/<pseudonym>" holds the current key as u32 generation (big-endian) + the key
// sealed by the region (a FieldCipher envelope bound to the pseudonym, kKeyBinding and the
// generation bytes); "g/<pseudonym>" is the erasure marker: the generation of the vehicle's last
// destroyed key (u32) and when it was destroyed (i64 ms since the Unix epoch), big-endian.
constexpr std::string_view kKeyPrefix = "k/";
constexpr std::string_view kGenerationPrefix = "g/";
// The FieldBinding field id of wrapped keys; telemetry's block binding is uint32 max.
constexpr uint32_t kKeyBinding = std::numeric_limits<uint32_t>::max() - 1;
constexpr size_t kMaxCached = 1 << 20;

std::string key_of(std::string_view pseudonym) { return std::string(kKeyPrefix) + std::string(pseudonym); }
std::string generation_key_of(std::string_view pseudonym) { return std::string(kGenerationPrefix) + std::string(pseudonym); }

std::string u32_bytes(uint32_t v) {
  std::string out(4, '\0');
  for (int i = 0; i < 4; ++i) out[static_cast<size_t>(i)] = static_cast<char>((v >> (24 - 8 * i)) & 0xff);
  return out;
}

uint32_t read_u32(std::string_view bytes) {
  uint32_t v = 0;
  for (size_t i = 0; i < 4; ++i) v = (v << 8) | static_cast<uint8_t>(bytes[i]);
  return v;
}

int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

Status erased(std::string_view pseudonym, uint32_t generation) {
  return not_found("the data key of vehicle " + std::string(pseudonym) + " (generation " + std::to_string(generation) +
                   ") does not exist: the vehicle's data was erased");
}

}  // namespace

VehicleKeys::VehicleKeys(std::shared_ptr<const RegionKeys> region_keys, std::unique_ptr<store::KvStore> store, Clock clock)
    : region_keys_(region_keys),
      wrapper_(std::move(region_keys)),
      store_(std::move(store)),
      clock_(clock ? std::move(clock) : Clock(unix_ms)) {}

VehicleKeys::~VehicleKeys() {
  for (auto& [pseudonym, entry] : cache_) OPENSSL_cleanse(entry.key.key.data(), entry.key.key.size());
}

Result<std::shared_ptr<VehicleKeys>> VehicleKeys::open_embedded(const fs::path& region_dir,
                                                               std::shared_ptr<const RegionKeys> region_keys) {
  static std::mutex open_mu;
  static std::map<std::string, std::weak_ptr<VehicleKeys>> opened;
  const fs::path dir = region_dir / kVehicleKeysDirName;
  std::error_code ec;
  const std::string id = fs::weakly_canonical(dir, ec).string();
  std::lock_guard lock(open_mu);
  if (auto live = opened[id].lock()) return live;
  auto store = store::open_embedded(dir);
  if (!store.is_ok()) return store.status();
  auto keys = std::make_shared<VehicleKeys>(std::move(region_keys), std::move(store).value());
  opened[id] = keys;
  return keys;
}

Result<std::optional<VehicleDataKey>> VehicleKeys::load(std::string_view pseudonym) const {
  auto stored = store_->get(key_of(pseudonym));
  if (stored.status().code() == Code::kNotFound) return std::optional<VehicleDataKey>();
  if (!stored.is_ok()) return stored.status();
  const std::string_view value = *stored;
  if (value.size() < 4) return data_loss("the stored data key of vehicle " + std::string(pseudonym) + " is truncated");
  VehicleDataKey key;
  key.generation = read_u32(value);
  auto plain = wrapper_.open(value.substr(4), {pseudonym, kKeyBinding, value.substr(0, 4)});
  if (!plain.is_ok()) return data_loss("the stored data key of vehicle " + std::string(pseudonym) + ": " + plain.status().message());
  if (plain->size() != key.key.size()) {
    OPENSSL_cleanse(plain->data(), plain->size());
    return data_loss("the stored data key of vehicle " + std::string(pseudonym) + " is not " +
                     std::to_string(key.key.size()) + " bytes");
  }
  std::copy(plain->begin(), plain->end(), reinterpret_cast<char*>(key.key.data()));
  OPENSSL_cleanse(plain->data(), plain->size());
  return std::optional<VehicleDataKey>(key);
}

Result<std::optional<VehicleKeys::ErasureMarker>> VehicleKeys::marker(std::string_view pseudonym) const {
  auto stored = store_->get(generation_key_of(pseudonym));
  if (stored.status().code() == Code::kNotFound) return std::optional<ErasureMarker>();
  if (!stored.is_ok()) return stored.status();
  if (stored->size() != 12) return data_loss("the erasure marker of vehicle " + std::string(pseudonym) + " is damaged");
  ErasureMarker m;
  m.generation = read_u32(*stored);
  for (size_t i = 4; i < 12; ++i) m.erased_ms = (m.erased_ms << 8) | static_cast<uint8_t>((*stored)[i]);
  return std::optional<ErasureMarker>(m);
}

Status VehicleKeys::missing(std::string_view pseudonym, uint32_t generation) const {
  auto m = marker(pseudonym);
  if (!m.is_ok()) return m.status();
  if (*m && (*m)->generation >= generation) return erased(pseudonym, generation);
  return data_loss("the key store holds no data key of vehicle " + std::string(pseudonym) + " of generation " +
                   std::to_string(generation) + " and no erasure destroyed one: it is not this region's key store, or it was lost");
}

std::optional<VehicleDataKey> VehicleKeys::cached(std::string_view pseudonym, uint64_t* epoch) const {
  std::lock_guard lock(mu_);
  if (epoch != nullptr) *epoch = epoch_;
  auto it = cache_.find(std::string(pseudonym));
  if (it == cache_.end()) return std::nullopt;
  if (store_->shared() && steady_ms() - it->second.loaded_ms > kSharedKeyCacheMs) return std::nullopt;
  return it->second.key;
}

void VehicleKeys::remember(std::string_view pseudonym, const VehicleDataKey& key, uint64_t epoch) {
  std::lock_guard lock(mu_);
  if (epoch != epoch_) return;
  if (cache_.size() >= kMaxCached) {
    for (auto& [p, entry] : cache_) OPENSSL_cleanse(entry.key.key.data(), entry.key.key.size());
    cache_.clear();
  }
  cache_[std::string(pseudonym)] = Cached{key, steady_ms()};
}

Result<VehicleDataKey> VehicleKeys::for_sealing(std::string_view pseudonym) {
  uint64_t epoch = 0;
  if (auto hit = cached(pseudonym, &epoch)) return *hit;
  // Most misses find the key stored (a shared store's cache expired): read it without taking the
  // creation lock, which would serialise every vehicle's refresh behind one store round trip.
  auto existing = load(pseudonym);
  if (!existing.is_ok()) return existing.status();
  if (*existing) {
    remember(pseudonym, **existing, epoch);
    return **existing;
  }
  std::lock_guard create(create_mu_);
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto stored = load(pseudonym);
    if (!stored.is_ok()) return stored.status();
    if (*stored) {
      remember(pseudonym, **stored, epoch);
      return **stored;
    }
    auto last = marker(pseudonym);
    if (!last.is_ok()) return last.status();
    uint32_t generation = 1;
    if (*last) {
      if (clock_() - (*last)->erased_ms < kErasureQuietMs) {
        return failed_precondition("vehicle " + std::string(pseudonym) + " was erased moments ago: no new data key for " +
                                   std::to_string(kErasureQuietMs / 60'000) + " minutes");
      }
      generation = (*last)->generation + 1;
    }
    VehicleDataKey key;
    key.generation = generation;
    if (RAND_bytes(key.key.data(), static_cast<int>(key.key.size())) != 1) {
      return internal_error("a vehicle data key could not be drawn: " + detail::openssl_errors());
    }
    const std::string header = u32_bytes(generation);
    auto wrapped = wrapper_.seal(std::string_view(reinterpret_cast<const char*>(key.key.data()), key.key.size()),
                                 {pseudonym, kKeyBinding, header});
    if (!wrapped.is_ok()) return wrapped.status();
    store::WriteBatch batch;
    batch.put(key_of(pseudonym), header + *wrapped);
    Status s = store_->write_if(key_of(pseudonym), std::nullopt, batch);
    if (s.is_ok()) {
      remember(pseudonym, key, epoch);
      return key;
    }
    OPENSSL_cleanse(key.key.data(), key.key.size());
    if (s.code() != Code::kAborted) return s;
    // Another node created it meanwhile: read theirs.
  }
  return unavailable("the data key of vehicle " + std::string(pseudonym) + " is being created elsewhere; retry");
}

Result<VehicleDataKey> VehicleKeys::for_opening(std::string_view pseudonym, uint32_t generation) {
  uint64_t epoch = 0;
  auto hit = cached(pseudonym, &epoch);
  if (!hit || hit->generation != generation) {
    auto stored = load(pseudonym);
    if (!stored.is_ok()) return stored.status();
    if (!*stored) return missing(pseudonym, generation);
    remember(pseudonym, **stored, epoch);
    hit = **stored;
  }
  if (hit->generation != generation) return missing(pseudonym, generation);
  return *hit;
}

Result<std::optional<uint32_t>> VehicleKeys::destroy(std::string_view pseudonym) {
  std::lock_guard create(create_mu_);
  auto stored = store_->get(key_of(pseudonym));
  std::optional<uint32_t> generation;
  if (stored.is_ok()) {
    if (stored->size() < 4) return data_loss("the stored data key of vehicle " + std::string(pseudonym) + " is truncated");
    generation = read_u32(*stored);
  } else if (stored.status().code() != Code::kNotFound) {
    return stored.status();
  }
  if (generation) {
    std::string value = u32_bytes(*generation);
    const int64_t now = clock_();
    for (int shift = 56; shift >= 0; shift -= 8) value.push_back(static_cast<char>((static_cast<uint64_t>(now) >> shift) & 0xff));
    store::WriteBatch batch;
    batch.remove(key_of(pseudonym));
    batch.put(generation_key_of(pseudonym), value);
    if (Status s = store_->write(batch); !s.is_ok()) return s;
  }
  {
    // After the write: a read that began before it may still hold the key, and must not cache it.
    std::lock_guard lock(mu_);
    ++epoch_;
    auto it = cache_.find(std::string(pseudonym));
    if (it != cache_.end()) {
      OPENSSL_cleanse(it->second.key.key.data(), it->second.key.key.size());
      cache_.erase(it);
    }
  }
  if (!generation) return generation;
  if (Status s = store_->compact(); !s.is_ok()) return s;
  return generation;
}

}  // namespace fleetgate::privacy
