#include "fleetgate/access/certificate_revocations.h"

#include <gtest/gtest.h>

#include "fleetgate/store/embedded_store.h"
#include "fleetgate/store/outage_store.h"
#include "fleetgate/store/test_dir.h"

namespace fleetgate::access {
namespace {

class CertificateRevocationsTest : public ::testing::Test {
 protected:
  void SetUp() override { open(); }
  void open() {
    revocations_.reset();
    audit_.reset();
    store_.reset();
    store_ = std::move(store::open_embedded(dir_.path())).value();
    audit_ = std::move(audit::AuditLog::open(*store_)).value();
    auto r = CertificateRevocations::open(*audit_);
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
    revocations_ = std::move(r).value();
  }

  store::TestDir dir_;
  std::unique_ptr<store::KvStore> store_;
  std::unique_ptr<audit::AuditLog> audit_;
  std::unique_ptr<CertificateRevocations> revocations_;
};

TEST_F(CertificateRevocationsTest, SerialsCompareInCanonicalForm) {
  EXPECT_EQ(canonical_serial("0a:1b:FF").value(), "A1BFF");
  EXPECT_EQ(canonical_serial("00").value(), "0");
  EXPECT_EQ(canonical_serial("").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(canonical_serial("12G4").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(canonical_serial(std::string(65, 'A')).status().code(), Code::kInvalidArgument);
}

TEST_F(CertificateRevocationsTest, ARevocationIsAuditedAndSurvivesRestart) {
  EXPECT_FALSE(revocations_->is_revoked("5E0A").value());
  auto revoked = revocations_->revoke("5e:0a", "LRW3E7EA8PC390117", "cn", "cli:test");
  ASSERT_TRUE(revoked.is_ok()) << revoked.status().to_string();
  EXPECT_EQ(*revoked, "5E0A");
  EXPECT_TRUE(revocations_->is_revoked("5E0A").value());
  EXPECT_TRUE(revocations_->is_revoked("005e0a").value());
  EXPECT_FALSE(revocations_->is_revoked("5E0B").value());
  const audit::Entry entry = audit_->tail(1).value().front();
  EXPECT_EQ(entry.action, "vehicle.cert.revoke");
  EXPECT_EQ(entry.subject, "LRW3E7EA8PC390117");
  EXPECT_EQ(entry.region, "cn");
  EXPECT_EQ(entry.actor, "cli:test");
  EXPECT_EQ(entry.details.at("serial").as_string(), "5E0A");

  EXPECT_EQ(revocations_->revoke("5E0A", "LRW3E7EA8PC390117", "cn", "cli:test").status().code(), Code::kAlreadyExists);
  EXPECT_EQ(revocations_->revoke("nope", "LRW3E7EA8PC390117", "cn", "cli:test").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(audit_->size(), 1u) << "refused revocations write nothing";
  open();
  EXPECT_TRUE(revocations_->is_revoked("5E0A").value());
}

TEST_F(CertificateRevocationsTest, AStoreThatCannotAnswerIsNoVerdict) {
  store::OutageStore outage(*store_, "");
  auto audit = audit::AuditLog::open(outage);
  ASSERT_TRUE(audit.is_ok());
  auto revocations = CertificateRevocations::open(**audit);
  ASSERT_TRUE(revocations.is_ok());
  ASSERT_TRUE((*revocations)->revoke("5E0A", "LRW3E7EA8PC390117", "cn", "cli:test").is_ok());
  EXPECT_TRUE((*revocations)->is_revoked("5E0A").value());
  EXPECT_FALSE((*revocations)->is_revoked("5E0B").value());
  outage.fail();  // the control database goes down: the certificate is refused with 503, not as revoked
  EXPECT_EQ((*revocations)->is_revoked("5E0B").status().code(), Code::kUnavailable);
}

}  // namespace
}  // namespace fleetgate::access
