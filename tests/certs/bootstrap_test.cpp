// CA + client certificate bootstrap: contents, permissions, idempotence, refusal to
// overwrite, expiry handling with an injected clock, regenerate.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/x509v3.h>

#include <thread>

#include "certs/certs.h"
#include "machine/error.h"
#include "tests/certs/cert_inspect.h"
#include "tests/support/temp_dir.h"

namespace machine::certs {
namespace {
using machine::testing::read_file;
using machine::testing::TempDir;
using machine::testing::write_file;
using namespace machine::certs::testing;
using namespace std::chrono;
using ::testing::HasSubstr;

Code code_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.code();
  }
  ADD_FAILURE() << "no machine::Error thrown";
  return Code::Internal;
}

class BootstrapTest : public ::testing::Test {
 protected:
  // CA valid 2000 days, client cert only 10 days (both from kT0).
  void make_ca_outlive_client() {
    Options long_ca = at(kT0);
    long_ca.validity = hours(24 * 2000);
    bootstrap(paths, long_ca);
    std::filesystem::remove(paths.client_cert);
    std::filesystem::remove(paths.client_key);
    Options short_client = at(kT0);
    short_client.validity = hours(24 * 10);
    bootstrap(paths, short_client);
  }
  TempDir tmp;
  AuthPaths paths = AuthPaths::in_store(tmp.path());
};

TEST_F(BootstrapTest, InStoreUsesDockerMachineFileNames) {
  EXPECT_EQ(paths.ca_cert, tmp.path() / "certs/ca.pem");
  EXPECT_EQ(paths.ca_key, tmp.path() / "certs/ca-key.pem");
  EXPECT_EQ(paths.client_cert, tmp.path() / "certs/cert.pem");
  EXPECT_EQ(paths.client_key, tmp.path() / "certs/key.pem");
}

TEST_F(BootstrapTest, CreatesCaAndClientWithPrivateKeysAndDir) {
  std::vector<std::string> seen;
  Options o = at(kT0);
  o.notify = [&](const std::string& line) { seen.push_back(line); };
  auto r = bootstrap(paths, o);
  EXPECT_TRUE(r.ca_created);
  EXPECT_TRUE(r.client_created);
  EXPECT_THAT(seen, ::testing::ElementsAre("Creating CA: " + paths.ca_cert.string(),
                                           "Creating client certificate: " + paths.client_cert.string()));
  EXPECT_EQ(r.messages, seen);
  EXPECT_EQ(mode_of(tmp.path() / "certs"), 0700u);
  EXPECT_EQ(mode_of(paths.ca_key), 0600u);
  EXPECT_EQ(mode_of(paths.client_key), 0600u);
  EXPECT_EQ(mode_of(paths.ca_cert), 0644u);
  EXPECT_EQ(mode_of(paths.client_cert), 0644u);
  EXPECT_TRUE(key_matches(paths.ca_cert, paths.ca_key));
  EXPECT_TRUE(key_matches(paths.client_cert, paths.client_key));
}

TEST_F(BootstrapTest, CaIsSelfSignedCaWithKeyCertSign) {
  bootstrap(paths, at(kT0));
  auto ca = inspect(paths.ca_cert);
  EXPECT_TRUE(ca.is_ca);
  EXPECT_TRUE(ca.basic_constraints_critical);
  EXPECT_TRUE(ca.key_usage & KU_KEY_CERT_SIGN);
  EXPECT_EQ(ca.subject_org, "alice");
  EXPECT_EQ(ca.issuer_org, "alice");
  EXPECT_EQ(ca.key_type, "EC P-256");
  EXPECT_EQ(verify_strict(paths.ca_cert, paths.ca_cert, X509_PURPOSE_ANY, kT0), X509_V_OK);
}

TEST_F(BootstrapTest, CertificatesHaveRandom128BitSerialsAndBackdatedValidity) {
  bootstrap(paths, at(kT0));
  auto ca = inspect(paths.ca_cert);
  auto client = inspect(paths.client_cert);
  for (const auto& c : {ca, client}) {
    EXPECT_FALSE(c.serial_negative);
    EXPECT_LE(c.serial_bits, 128);
    EXPECT_GT(c.serial_bits, 64);  // fails with probability 2^-64
    EXPECT_EQ(c.not_before, system_clock::to_time_t(kT0 - minutes(5)));
    EXPECT_EQ(c.not_after - c.not_before, 1080 * 24 * 3600);
    EXPECT_TRUE(c.has_skid);
    EXPECT_TRUE(c.has_akid);
  }
  EXPECT_NE(read_file(paths.ca_cert), read_file(paths.client_cert));
}

TEST_F(BootstrapTest, ClientCertHasClientAuthAndChainsToCa) {
  bootstrap(paths, at(kT0));
  auto client = inspect(paths.client_cert);
  EXPECT_FALSE(client.is_ca);
  EXPECT_EQ(client.ext_key_usage, static_cast<uint32_t>(XKU_SSL_CLIENT));
  EXPECT_TRUE(client.key_usage & KU_DIGITAL_SIGNATURE);
  EXPECT_EQ(client.subject_org, "alice");
  EXPECT_TRUE(client.dns_sans.empty());
  EXPECT_EQ(verify_strict(paths.client_cert, paths.ca_cert, X509_PURPOSE_SSL_CLIENT, kT0), X509_V_OK);
  EXPECT_NE(verify_strict(paths.client_cert, paths.ca_cert, X509_PURPOSE_SSL_SERVER, kT0), X509_V_OK);
  EXPECT_TRUE(check_client_cert(paths.client_cert, paths.ca_cert, kT0, paths.client_key).ok());
}

TEST_F(BootstrapTest, OrganisationDefaultsToUserEnvironment) {
  ::setenv("USER", "bob", 1);
  Options o;
  bootstrap(paths, o);
  EXPECT_EQ(inspect(paths.ca_cert).subject_org, "bob");
}

TEST_F(BootstrapTest, RsaKeyTypeGivesRsa2048) {
  Options o = at(kT0);
  o.key_type = KeyType::Rsa2048;
  bootstrap(paths, o);
  EXPECT_EQ(inspect(paths.ca_cert).key_type, "RSA 2048");
  EXPECT_EQ(inspect(paths.client_cert).key_type, "RSA 2048");
  EXPECT_EQ(verify_strict(paths.client_cert, paths.ca_cert, X509_PURPOSE_SSL_CLIENT, kT0), X509_V_OK);
}

TEST_F(BootstrapTest, SecondRunWritesNothing) {
  bootstrap(paths, at(kT0));
  std::string ca = read_file(paths.ca_cert), key = read_file(paths.client_key);
  auto r = bootstrap(paths, at(kT0 + days(30)));
  EXPECT_FALSE(r.ca_created);
  EXPECT_FALSE(r.client_created);
  EXPECT_TRUE(r.messages.empty());
  EXPECT_EQ(read_file(paths.ca_cert), ca);
  EXPECT_EQ(read_file(paths.client_key), key);
}

TEST_F(BootstrapTest, RefusesToOverwriteCaKeyWithoutCertificate) {
  std::filesystem::create_directories(paths.ca_key.parent_path());
  write_file(paths.ca_key, "precious");
  EXPECT_EQ(code_of([&] { bootstrap(paths, at(kT0)); }), Code::AlreadyExists);
  EXPECT_EQ(read_file(paths.ca_key), "precious");
  EXPECT_FALSE(std::filesystem::exists(paths.ca_cert));
}

TEST_F(BootstrapTest, RefusesToOverwriteClientKeyWithoutCertificate) {
  bootstrap(paths, at(kT0));
  std::filesystem::remove(paths.client_cert);
  write_file(paths.client_key, "precious");
  EXPECT_EQ(code_of([&] { bootstrap(paths, at(kT0)); }), Code::AlreadyExists);
  EXPECT_EQ(read_file(paths.client_key), "precious");
}

TEST_F(BootstrapTest, ClientCertWithoutKeyIsAnError) {
  bootstrap(paths, at(kT0));
  std::string cert = read_file(paths.client_cert);
  std::filesystem::remove(paths.client_key);
  EXPECT_EQ(code_of([&] { bootstrap(paths, at(kT0)); }), Code::InvalidArgument);
  EXPECT_EQ(read_file(paths.client_cert), cert);
}

TEST_F(BootstrapTest, MismatchedCaKeyIsAnErrorAndNothingIsWritten) {
  bootstrap(paths, at(kT0));
  TempDir other;
  auto other_paths = AuthPaths::in_store(other.path());
  bootstrap(other_paths, at(kT0));
  std::filesystem::copy_file(other_paths.ca_key, paths.ca_key,
                             std::filesystem::copy_options::overwrite_existing);
  std::string ca = read_file(paths.ca_cert);
  EXPECT_EQ(code_of([&] { bootstrap(paths, at(kT0)); }), Code::InvalidArgument);
  EXPECT_EQ(read_file(paths.ca_cert), ca);
}

TEST_F(BootstrapTest, GarbageCaCertificateIsAnError) {
  std::filesystem::create_directories(paths.ca_cert.parent_path());
  write_file(paths.ca_cert, "not a certificate");
  try {
    bootstrap(paths, at(kT0));
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::InvalidArgument);
    EXPECT_THAT(e.what(), HasSubstr("cannot set up TLS certificates: cannot read CA certificate"));
  }
  EXPECT_EQ(read_file(paths.ca_cert), "not a certificate");
}

TEST_F(BootstrapTest, ExpiredCaIsReissuedWithClientAndAMessage) {
  bootstrap(paths, at(kT0));
  std::string old_ca = read_file(paths.ca_cert), old_client = read_file(paths.client_cert);
  auto later = kT0 + days(1081);
  auto r = bootstrap(paths, at(later));
  EXPECT_TRUE(r.ca_created);
  EXPECT_TRUE(r.client_created);
  ASSERT_FALSE(r.messages.empty());
  EXPECT_THAT(r.messages[0],
              HasSubstr("CA certificate " + paths.ca_cert.string() + " expired on 2028-12-30"));
  EXPECT_THAT(r.messages[0], HasSubstr("re-issuing"));
  EXPECT_NE(read_file(paths.ca_cert), old_ca);
  EXPECT_NE(read_file(paths.client_cert), old_client);
  EXPECT_EQ(verify_strict(paths.client_cert, paths.ca_cert, X509_PURPOSE_SSL_CLIENT, later), X509_V_OK);
}

TEST_F(BootstrapTest, ExpiredClientIsReissuedAloneWithAMessage) {
  make_ca_outlive_client();
  std::string ca = read_file(paths.ca_cert);

  auto r = bootstrap(paths, at(kT0 + days(20)));
  EXPECT_FALSE(r.ca_created);
  EXPECT_TRUE(r.client_created);
  ASSERT_EQ(r.messages.size(), 2u);
  EXPECT_THAT(r.messages[0], HasSubstr("client certificate " + paths.client_cert.string() + " expired"));
  EXPECT_EQ(read_file(paths.ca_cert), ca);
  EXPECT_EQ(verify_strict(paths.client_cert, paths.ca_cert, X509_PURPOSE_SSL_CLIENT, kT0 + days(20)),
            X509_V_OK);
}

TEST_F(BootstrapTest, ClientFromAnotherCaIsReissued) {
  bootstrap(paths, at(kT0));
  TempDir other;
  auto other_paths = AuthPaths::in_store(other.path());
  bootstrap(other_paths, at(kT0));
  std::filesystem::copy_file(other_paths.client_cert, paths.client_cert,
                             std::filesystem::copy_options::overwrite_existing);
  std::filesystem::copy_file(other_paths.client_key, paths.client_key,
                             std::filesystem::copy_options::overwrite_existing);
  auto r = bootstrap(paths, at(kT0));
  EXPECT_TRUE(r.client_created);
  EXPECT_THAT(r.messages[0], HasSubstr("is not signed by CA"));
  EXPECT_EQ(verify_strict(paths.client_cert, paths.ca_cert, X509_PURPOSE_SSL_CLIENT, kT0), X509_V_OK);
}

TEST_F(BootstrapTest, UserSuppliedExpiredCaIsNeverReplaced) {
  bootstrap(paths, at(kT0));
  std::string ca = read_file(paths.ca_cert), key = read_file(paths.ca_key);
  Options o = at(kT0 + days(1100));
  o.replace_ca = false;
  EXPECT_EQ(code_of([&] { bootstrap(paths, o); }), Code::FailedPrecondition);
  EXPECT_EQ(read_file(paths.ca_cert), ca);
  EXPECT_EQ(read_file(paths.ca_key), key);
}

TEST_F(BootstrapTest, UserSuppliedExpiredClientIsNeverReplaced) {
  make_ca_outlive_client();
  std::string cert = read_file(paths.client_cert);
  Options o = at(kT0 + days(20));
  o.replace_client = false;
  EXPECT_EQ(code_of([&] { bootstrap(paths, o); }), Code::FailedPrecondition);
  EXPECT_EQ(read_file(paths.client_cert), cert);
}

TEST_F(BootstrapTest, RegenerateReplacesCaAndClient) {
  bootstrap(paths, at(kT0));
  std::string ca = read_file(paths.ca_cert), client = read_file(paths.client_cert);
  auto r = regenerate_ca_and_client(paths, at(kT0));
  EXPECT_TRUE(r.ca_created);
  EXPECT_TRUE(r.client_created);
  EXPECT_NE(read_file(paths.ca_cert), ca);
  EXPECT_NE(read_file(paths.client_cert), client);
  EXPECT_EQ(verify_strict(paths.client_cert, paths.ca_cert, X509_PURPOSE_SSL_CLIENT, kT0), X509_V_OK);
}

TEST_F(BootstrapTest, RegenerateRefusesUserSuppliedFiles) {
  bootstrap(paths, at(kT0));
  Options o = at(kT0);
  o.replace_ca = false;
  EXPECT_EQ(code_of([&] { regenerate_ca_and_client(paths, o); }), Code::FailedPrecondition);
}

TEST_F(BootstrapTest, ConcurrentBootstrapsCreateOneCa) {
  constexpr int kThreads = 4;
  std::vector<BootstrapResult> results(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) threads.emplace_back([&, i] { results[i] = bootstrap(paths, at(kT0)); });
  for (auto& t : threads) t.join();
  int created = 0;
  for (const auto& r : results) created += r.ca_created ? 1 : 0;
  EXPECT_EQ(created, 1);
  EXPECT_EQ(verify_strict(paths.client_cert, paths.ca_cert, X509_PURPOSE_SSL_CLIENT, kT0), X509_V_OK);
  EXPECT_TRUE(key_matches(paths.ca_cert, paths.ca_key));
}

}  // namespace
}  // namespace machine::certs
