#include "fleetgate/learning/curation.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>

#include "fleetgate/learning/features.h"
#include "fleetgate/learning/trace_fixture.h"
#include "fleetgate/learning/triggers.h"
#include "fleetgate/privacy/test_keys.h"
#include "fleetgate/store/embedded_store.h"
#include "fleetgate/store/test_dir.h"
#include "fleetgate/telemetry/record_codec.h"

namespace fleetgate::learning {
namespace {

constexpr size_t kDim = kStepFeatureNames.size();

// 60 s at 50 km/h with one hard brake (50 -> 20 km/h in a second, 8.3 m/s²) at second `brake_at`.
std::vector<double> braking_profile(int brake_at) {
  std::vector<double> v(60, 50.0);
  for (int i = brake_at; i < 60; ++i) v[static_cast<size_t>(i)] = 20;
  return v;
}

TEST(TraceFromRecords, DerivesAccelerationAndKeepsFieldValues) {
  std::vector<telemetry::Record> records(3);
  const double speeds[] = {36, 36, 18};
  for (size_t i = 0; i < 3; ++i) {
    records[i].created_at_ms = kTraceStart + static_cast<int64_t>(2 - i) * 1000;  // out of order
    records[i].data = {{telemetry::Field::kSpeed, speeds[2 - i]},
                       {telemetry::Field::kLocation, telemetry::Location{48.1, 11.5, 270.0}}};
  }
  records.push_back(records[0]);  // a duplicate time is dropped
  telemetry::Record no_speed;
  no_speed.created_at_ms = kTraceStart + 5000;
  no_speed.data = {{telemetry::Field::kGear, std::string("D")}};
  records.push_back(no_speed);
  const VehicleTrace t = trace_from_records("p_x", records);
  ASSERT_EQ(t.samples.size(), 3u);
  EXPECT_EQ(t.samples[0].t_ms, kTraceStart);
  EXPECT_DOUBLE_EQ(t.samples[1].accel_mps2, 0);
  EXPECT_DOUBLE_EQ(t.samples[2].accel_mps2, -5);
  EXPECT_DOUBLE_EQ(t.samples[2].heading_deg, 270);
  EXPECT_TRUE(t.samples[2].has_location);
}

TEST(Features, WindowRowsHoldOwnMotionAndNeighbourhood) {
  // Two vehicles driving side by side about 22 m apart (0.0002° of latitude), a third far away.
  std::vector<VehicleTrace> traces = {make_trace("p_a", {30, 30, 30, 30}, {}, 48.0, 11.0),
                                      make_trace("p_b", {40, 40, 40, 40}, {}, 48.0002, 11.0),
                                      make_trace("p_c", {90, 90, 90, 90}, {}, 48.5, 11.0)};
  traces[0].samples[3].speed_kmh = 12;
  traces[0].samples[3].accel_mps2 = -5;
  FeatureOptions fo;
  fo.window_steps = 2;
  const NeighbourIndex index(traces, fo);
  auto f = window_features(traces, 0, kTraceStart + 3000, index, fo);
  ASSERT_TRUE(f.has_value());
  ASSERT_EQ(f->size(), 2 * kDim);
  // Last row: own speed and braking, one neighbour doing 40 km/h, 22.3 m north and by now
  // 4 s * 10 km/h = 11.1 m further east.
  const float* row = f->data() + kDim;
  EXPECT_FLOAT_EQ(row[0], 12);
  EXPECT_FLOAT_EQ(row[1], -5);
  EXPECT_FLOAT_EQ(row[2], 0);
  EXPECT_FLOAT_EQ(row[3], 1);
  EXPECT_FLOAT_EQ(row[4], 40);
  EXPECT_NEAR(row[5], std::hypot(22.26, 4 * 10 / 3.6), 0.1);
  // The far vehicle sees nobody: nearest is the radius.
  auto far = window_features(traces, 2, kTraceStart + 3000, index, fo);
  ASSERT_TRUE(far.has_value());
  EXPECT_FLOAT_EQ((*far)[kDim + 3], 0);
  EXPECT_FLOAT_EQ((*far)[kDim + 5], static_cast<float>(fo.radius_m));
  // Not enough history before the first sample, or a gap longer than max_gap_ms.
  EXPECT_FALSE(window_features(traces, 0, kTraceStart, index, fo).has_value());
  EXPECT_FALSE(window_features(traces, 0, kTraceStart + 9000, index, fo).has_value());
}

std::vector<VehicleTrace> fleet() {
  std::vector<VehicleTrace> traces;
  for (int v = 0; v < 8; ++v) {
    traces.push_back(make_trace("p_" + std::to_string(v), braking_profile(20 + v), {}, 48.0 + 0.01 * v, 11.0));
  }
  return traces;
}

TEST(Curate, LabelsWindowsBeforeAKnownHardBrake) {
  const auto traces = fleet();
  CurationOptions o;
  o.seed = 3;
  auto d = curate("eu", traces, o);
  ASSERT_TRUE(d.is_ok()) << d.status().to_string();
  EXPECT_TRUE(validate_dataset(*d).is_ok());
  EXPECT_EQ(d->window_steps, 5);
  EXPECT_EQ(d->step_dim, static_cast<int>(kDim));
  EXPECT_EQ(d->counts_per_trigger.at(std::string(kHardBrake)), 8);
  EXPECT_EQ(d->counts_per_trigger.at(std::string(kNegative)), 16);

  std::set<std::string> train_vehicles, test_vehicles;
  int positives = 0;
  for (const auto* split : {&d->train, &d->test}) {
    for (const Example& e : *split) {
      (split == &d->train ? train_vehicles : test_vehicles).insert(e.vehicle);
      const int v = std::stoi(e.vehicle.substr(2));
      const int64_t brake_ms = kTraceStart + (20 + v) * 1000;
      // Positive exactly when the brake starts within 3 s after the window's end.
      const bool brake_ahead = brake_ms > e.t_ms && brake_ms <= e.t_ms + 3000;
      EXPECT_EQ(e.label == 1.0f, brake_ahead) << e.vehicle << " at " << e.t_ms - kTraceStart;
      positives += e.label == 1.0f ? 1 : 0;
      if (e.trigger == kHardBrake) {
        EXPECT_EQ(e.label, 1.0f);
        // The last row is before the brake: still cruising.
        EXPECT_FLOAT_EQ(e.features[4 * kDim], 50);
      }
    }
  }
  EXPECT_EQ(positives, 8);
  EXPECT_EQ(test_vehicles.size(), 2u);
  for (const auto& v : test_vehicles) EXPECT_EQ(train_vehicles.count(v), 0u) << v;
}

TEST(Curate, IsReproducibleForASeed) {
  const auto traces = fleet();
  CurationOptions o;
  o.seed = 11;
  auto a = curate("eu", traces, o);
  auto b = curate("eu", traces, o);
  ASSERT_TRUE(a.is_ok() && b.is_ok());
  ASSERT_EQ(a->train.size(), b->train.size());
  for (size_t i = 0; i < a->train.size(); ++i) {
    EXPECT_EQ(a->train[i].t_ms, b->train[i].t_ms);
    EXPECT_EQ(a->train[i].vehicle, b->train[i].vehicle);
  }
}

TEST(Curate, DoesNotDependOnPseudonymsOrTraceOrder) {
  // The same traffic as another data dir sees it: other region keys give other pseudonyms, and
  // the store lists the vehicles in another order.
  const auto traces = fleet();
  std::vector<VehicleTrace> renamed(traces.rbegin(), traces.rend());
  std::map<std::string, std::string> name_of;
  for (size_t i = 0; i < renamed.size(); ++i) {
    const std::string name = "p_" + std::string(1, static_cast<char>('z' - i));
    name_of[renamed[i].vehicle] = name;
    renamed[i].vehicle = name;
  }
  CurationOptions o;
  o.seed = 11;
  auto a = curate("eu", traces, o);
  auto b = curate("eu", renamed, o);
  ASSERT_TRUE(a.is_ok() && b.is_ok());
  for (const auto split : {&Dataset::train, &Dataset::test}) {
    const std::vector<Example>& x = *a.*split;
    const std::vector<Example>& y = *b.*split;
    ASSERT_EQ(x.size(), y.size());
    for (size_t i = 0; i < x.size(); ++i) {
      EXPECT_EQ(name_of.at(x[i].vehicle), y[i].vehicle) << i;
      EXPECT_EQ(x[i].t_ms, y[i].t_ms) << i;
      EXPECT_EQ(x[i].label, y[i].label) << i;
      EXPECT_EQ(x[i].features, y[i].features) << i;
    }
  }
}

TEST(Curate, RefusesTelemetryWithoutHardBraking) {
  const std::vector<VehicleTrace> calm = {make_trace("p_a", std::vector<double>(30, 40))};
  EXPECT_EQ(curate("eu", calm, {}).status().code(), Code::kFailedPrecondition);
  CurationOptions bad;
  bad.window_s = 0;
  EXPECT_EQ(curate("eu", fleet(), bad).status().code(), Code::kInvalidArgument);
}

TEST(ReadRegionTraces, OpensSealedRecordsPerVehicle) {
  store::TestDir dir;
  auto opened = store::open_embedded(dir.path());
  ASSERT_TRUE(opened.is_ok());
  auto& kv = **opened;
  auto keys = privacy::fixed_keys("eu", 5);
  const telemetry::RecordCodec codec(keys);
  const std::string vins[] = {"1HGCM82633A004352", "5YJ3E1EA7JF000316"};
  for (const auto& vin : vins) {
    for (int i = 0; i < 4; ++i) {
      telemetry::Record r;
      r.vin = vin;
      r.seq = static_cast<uint64_t>(i + 1);
      r.created_at_ms = kTraceStart + i * 1000;
      r.data = {{telemetry::Field::kSpeed, 10.0 * i}, {telemetry::Field::kLocation, telemetry::Location{31.2, 121.4, 45.0}}};
      auto stored = codec.encode(r);
      ASSERT_TRUE(stored.is_ok());
      ASSERT_TRUE(kv.put(stored->key, stored->value).is_ok());
    }
  }
  ASSERT_TRUE(kv.put("latest/p_zz", "not a record").is_ok());
  auto traces = read_region_traces(kv, telemetry::RecordCodec(keys));
  ASSERT_TRUE(traces.is_ok()) << traces.status().to_string();
  ASSERT_EQ(traces->size(), 2u);
  for (const auto& t : *traces) {
    EXPECT_EQ(t.vehicle.rfind("p_", 0), 0u);
    ASSERT_EQ(t.samples.size(), 4u);
    EXPECT_NEAR(t.samples[3].accel_mps2, 10 / 3.6, 1e-9);
    EXPECT_DOUBLE_EQ(t.samples[3].lat, 31.2);
  }
  EXPECT_EQ(read_region_traces(kv, telemetry::RecordCodec(privacy::fixed_keys("eu", 6))).status().code(), Code::kDataLoss);
}

}  // namespace
}  // namespace fleetgate::learning
