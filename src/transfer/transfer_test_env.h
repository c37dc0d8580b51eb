// For transfer tests: three regions (cn, us, eu) in a temp dir with real stores, keyrings and an
// audit chain on a settable clock; people with roles; telemetry written straight into a region
// store through its RecordCodec.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>

#include "fleetgate/store/embedded_store.h"
#include "fleetgate/store/test_dir.h"
#include "fleetgate/telemetry/record_codec.h"
#include "fleetgate/transfer/transfer_service.h"

namespace fleetgate::transfer {

inline constexpr int64_t kT0 = 1'790'000'000'000;  // 2026-09-21T…Z
inline constexpr int64_t kDay = 86'400'000;

inline http::Principal person(std::string name, std::vector<std::string> roles, std::vector<std::string> regions) {
  return http::Principal{std::move(name), std::move(roles), std::move(regions)};
}

class TransferEnv {
 public:
  // `extra_toml` is appended to the config, e.g. a [[compliance.cross_border]] rule.
  explicit TransferEnv(TransferOptions options = {}, const std::string& extra_toml = "") {
    const std::string text = "[server]\ndata_dir = \"" + dir_.path().string() +
                             "\"\n[[regions]]\nid = \"cn\"\nchain = [\"onboard\"]\n[[regions]]\nid = \"us\"\nchain = "
                             "[\"onboard\"]\n[[regions]]\nid = \"eu\"\nchain = [\"onboard\"]\n[markets]\nCN = \"cn\"\nUS "
                             "= \"us\"\nDE = \"eu\"\n[[providers]]\nid = \"onboard\"\nkind = \"onboard\"\nlocation = "
                             "\"vehicle\"\nmodels = [\"m\"]\n" + extra_toml;
    auto cfg = config::parse_config(text, dir_ / "fleetgate.toml");
    EXPECT_TRUE(cfg.is_ok()) << cfg.status().to_string();
    auto shared = std::make_shared<const config::Config>(std::move(cfg).value());
    policy_ = std::make_shared<const residency::Policy>(std::move(residency::Policy::create(shared)).value());
    control_ = std::move(store::open_embedded(dir_ / "control")).value();
    audit_ = std::move(audit::AuditLog::open(*control_, [this] { return now_ms; })).value();
    std::map<std::string, RegionData> regions;
    for (const auto& r : shared->regions) {
      stores_[r.id] = std::move(store::open_embedded(r.data_dir / "store")).value();
      keys_[r.id] = std::move(privacy::RegionKeys::open(r.data_dir, r.id)).value();
      regions[r.id] = RegionData{stores_[r.id].get(), keys_[r.id], r.data_dir, {}, {}};
    }
    auto service = TransferService::create(policy_, *audit_, std::move(regions), std::move(options));
    EXPECT_TRUE(service.is_ok()) << service.status().to_string();
    service_ = std::move(service).value();
  }

  TransferService& service() { return *service_; }
  audit::AuditLog& audit() { return *audit_; }
  store::KvStore& control() { return *control_; }
  store::KvStore& region_store(const std::string& r) { return *stores_.at(r); }
  const std::filesystem::path& dir() const { return dir_.path(); }
  std::filesystem::path out() const { return dir_ / "out"; }

  // Seals and stores `record` in `region` as ingest would.
  void put_record(const std::string& region, const telemetry::Record& record) {
    telemetry::RecordCodec codec(keys_.at(region));
    auto stored = codec.encode(record);
    ASSERT_TRUE(stored.is_ok()) << stored.status().to_string();
    ASSERT_TRUE(stores_.at(region)->put(stored->key, stored->value).is_ok());
  }

  // A desensitised request from cn to eu for speed and location over the first day.
  TransferRequest cn_to_eu(std::vector<std::string> fields = {"speed", "location"}) const {
    TransferRequest r;
    r.source_region = "cn";
    r.dest_region = "eu";
    r.data_class = residency::DataClass::kDesensitised;
    r.fields = std::move(fields);
    r.selection = {kT0, kT0 + kDay, {}};
    r.purpose = "lane-keeping model evaluation";
    r.legal_basis = "PIPL Art. 38 standard contract";
    r.assessment_ref = "SA-2026-017";
    r.expires_at_ms = now_ms + 7 * kDay;
    return r;
  }

  // The usual cast: a cn operator, a cn approver, a cn dpo, an eu approver.
  const http::Principal olga = person("olga", {"operator"}, {"cn"});
  const http::Principal abe = person("abe", {"approver"}, {"cn"});
  const http::Principal dora = person("dora", {"dpo"}, {"cn"});
  const http::Principal ezra = person("ezra", {"approver", "dpo"}, {"eu"});

  int64_t now_ms = kT0 + 2 * kDay;

 private:
  store::TestDir dir_;
  std::shared_ptr<const residency::Policy> policy_;
  std::unique_ptr<store::KvStore> control_;
  std::unique_ptr<audit::AuditLog> audit_;
  std::map<std::string, std::unique_ptr<store::KvStore>> stores_;
  std::map<std::string, std::shared_ptr<const privacy::RegionKeys>> keys_;
  std::unique_ptr<TransferService> service_;
};

// A record of `vin` at `t` with a speed and a precise location.
inline telemetry::Record drive(const std::string& vin, int64_t t, double lat, double lon, double speed = 50.0) {
  telemetry::Record r;
  r.vin = vin;
  r.created_at_ms = t;
  r.seq = static_cast<uint64_t>(t);
  r.data = {{telemetry::Field::kSpeed, speed},
            {telemetry::Field::kLocation, telemetry::Location{lat, lon, 90.0}},
            {telemetry::Field::kStateOfCharge, 77.5}};
  return r;
}

}  // namespace fleetgate::transfer
