// Server certificates (SANs, EKU, chain), the checks used for automatic re-issue, copying
// into the machine dir, and a CA supplied by the user (made with the openssl CLI).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/x509v3.h>

#include "certs/certs.h"
#include "machine/error.h"
#include "machine/process_runner.h"
#include "tests/certs/cert_inspect.h"
#include "tests/support/temp_dir.h"

namespace machine::certs {
namespace {
using machine::testing::read_file;
using machine::testing::TempDir;
using namespace machine::certs::testing;
using namespace std::chrono;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Problem = CertCheck::Problem;

bool server_cert_covers(const std::filesystem::path& cert, const std::filesystem::path& ca,
                        const std::string& host, system_clock::time_point now) {
  return check_server_cert(cert, ca, host, now).ok();
}

class ServerCertTest : public ::testing::Test {
 protected:
  void SetUp() override { bootstrap(paths, at(kT0)); }
  ServerCertSpec spec(std::vector<std::string> hosts) {
    return ServerCertSpec{"vm1", std::move(hosts), machine_dir / "server.pem",
                          machine_dir / "server-key.pem"};
  }
  TempDir tmp;
  AuthPaths paths = AuthPaths::in_store(tmp.path());
  std::filesystem::path machine_dir = tmp.path() / "machines" / "vm1";
};

TEST(ServerSans, AddsLoopbackNamesDropsDuplicatesAndBrackets) {
  EXPECT_THAT(server_sans({"10.0.2.15", "vm1", "[2001:db8::2]", "VM1", "", "127.0.0.1"}),
              ElementsAre("10.0.2.15", "vm1", "2001:db8::2", "127.0.0.1", "::1", "localhost"));
}

TEST_F(ServerCertTest, HasServerAuthOrganisationAndEverySan) {
  issue_server_cert(
      paths, spec({"10.0.2.15", "vm1.example.com", "fe80::1", "*.apps.example", "[2001:db8::2]"}), at(kT0));
  auto c = inspect(machine_dir / "server.pem");
  EXPECT_EQ(c.ext_key_usage, static_cast<uint32_t>(XKU_SSL_SERVER));
  EXPECT_TRUE(c.key_usage & KU_DIGITAL_SIGNATURE);
  EXPECT_FALSE(c.is_ca);
  EXPECT_EQ(c.subject_org, "alice.vm1");
  EXPECT_EQ(c.issuer_org, "alice");
  EXPECT_EQ(c.key_type, "EC P-256");
  EXPECT_THAT(c.ip_sans, ElementsAre("10.0.2.15", "fe80::1", "2001:db8::2", "127.0.0.1", "::1"));
  EXPECT_THAT(c.dns_sans, ElementsAre("vm1.example.com", "*.apps.example", "localhost"));
  EXPECT_EQ(c.not_before, system_clock::to_time_t(kT0 - minutes(5)));
  EXPECT_EQ(mode_of(machine_dir / "server-key.pem"), 0600u);
  EXPECT_EQ(mode_of(machine_dir), 0700u);
  EXPECT_TRUE(key_matches(machine_dir / "server.pem", machine_dir / "server-key.pem"));
  EXPECT_EQ(verify_strict(machine_dir / "server.pem", paths.ca_cert, X509_PURPOSE_SSL_SERVER, kT0),
            X509_V_OK);
  EXPECT_NE(verify_strict(machine_dir / "server.pem", paths.ca_cert, X509_PURPOSE_SSL_CLIENT, kT0),
            X509_V_OK);
}

TEST_F(ServerCertTest, CoversEachSanAndNothingElse) {
  issue_server_cert(paths, spec({"10.0.2.15", "vm1.example.com", "*.apps.example"}), at(kT0));
  auto cert = machine_dir / "server.pem";
  for (const char* host : {"10.0.2.15", "127.0.0.1", "::1", "[::1]", "localhost", "vm1.example.com",
                           "VM1.Example.COM", "web.apps.example"})
    EXPECT_TRUE(server_cert_covers(cert, paths.ca_cert, host, kT0)) << host;
  for (const char* host :
       {"10.0.2.16", "192.168.99.100", "::2", "vm2", "example.com", "a.b.apps.example", "alice.vm1"})
    EXPECT_FALSE(server_cert_covers(cert, paths.ca_cert, host, kT0)) << host;
  auto miss = check_server_cert(cert, paths.ca_cert, "10.0.2.16", kT0);
  EXPECT_EQ(miss.problem, Problem::HostNotCovered);
  EXPECT_THAT(miss.reason, HasSubstr("does not cover 10.0.2.16"));
  EXPECT_TRUE(check_server_cert(cert, paths.ca_cert, "", kT0, machine_dir / "server-key.pem").ok());
}

TEST_F(ServerCertTest, ReissueReplacesKeyAndCoversNewAddress) {
  issue_server_cert(paths, spec({"10.0.2.15"}), at(kT0));
  std::string old_key = read_file(machine_dir / "server-key.pem");
  ASSERT_FALSE(server_cert_covers(machine_dir / "server.pem", paths.ca_cert, "10.0.2.20", kT0));
  issue_server_cert(paths, spec({"10.0.2.20"}), at(kT0));
  EXPECT_TRUE(server_cert_covers(machine_dir / "server.pem", paths.ca_cert, "10.0.2.20", kT0));
  EXPECT_NE(read_file(machine_dir / "server-key.pem"), old_key);
}

TEST_F(ServerCertTest, ChecksReportExpiryTrustUsageAndKey) {
  issue_server_cert(paths, spec({"10.0.2.15"}), at(kT0));
  auto cert = machine_dir / "server.pem";
  auto expired = check_server_cert(cert, paths.ca_cert, "10.0.2.15", kT0 + days(1081));
  EXPECT_EQ(expired.problem, Problem::Expired);
  EXPECT_THAT(expired.reason, HasSubstr("expired on 2028-12-30"));
  EXPECT_EQ(check_server_cert(cert, paths.ca_cert, "10.0.2.15", kT0 - hours(1)).problem,
            Problem::NotYetValid);

  TempDir other;
  auto foreign = AuthPaths::in_store(other.path());
  bootstrap(foreign, at(kT0));
  EXPECT_EQ(check_server_cert(cert, foreign.ca_cert, "10.0.2.15", kT0).problem, Problem::NotTrusted);
  EXPECT_EQ(check_server_cert(paths.client_cert, paths.ca_cert, "", kT0).problem, Problem::WrongUsage);
  EXPECT_EQ(check_client_cert(cert, paths.ca_cert, kT0).problem, Problem::WrongUsage);
  EXPECT_EQ(check_server_cert(cert, paths.ca_cert, "", kT0, paths.client_key).problem, Problem::Unreadable);
  EXPECT_EQ(check_server_cert(machine_dir / "missing.pem", paths.ca_cert, "", kT0).problem,
            Problem::Unreadable);
}

TEST_F(ServerCertTest, RegeneratedCaInvalidatesOldServerCert) {
  issue_server_cert(paths, spec({"10.0.2.15"}), at(kT0));
  regenerate_ca_and_client(paths, at(kT0));
  EXPECT_EQ(check_server_cert(machine_dir / "server.pem", paths.ca_cert, "10.0.2.15", kT0).problem,
            Problem::NotTrusted);
  issue_server_cert(paths, spec({"10.0.2.15"}), at(kT0));
  EXPECT_TRUE(server_cert_covers(machine_dir / "server.pem", paths.ca_cert, "10.0.2.15", kT0));
}

TEST_F(ServerCertTest, ExpiredCaMakesServerCertExpired) {
  Options short_ca = at(kT0);
  short_ca.validity = hours(24 * 10);
  regenerate_ca_and_client(paths, short_ca);
  issue_server_cert(paths, spec({"10.0.2.15"}), at(kT0));  // outlives its CA
  auto check = check_server_cert(machine_dir / "server.pem", paths.ca_cert, "10.0.2.15", kT0 + days(20));
  EXPECT_EQ(check.problem, Problem::Expired);
  EXPECT_THAT(check.reason, HasSubstr("CA certificate"));
}

TEST_F(ServerCertTest, RejectsHostsThatCannotBeSans) {
  for (const char* bad : {"bad host", "a,b", "h\u00f6st"}) {
    try {
      issue_server_cert(paths, spec({bad}), at(kT0));
      FAIL() << "no error for " << bad;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), Code::InvalidArgument);
      EXPECT_THAT(e.what(), HasSubstr("cannot issue server certificate for 'vm1': invalid host name"));
    }
  }
  EXPECT_FALSE(std::filesystem::exists(machine_dir / "server.pem"));
}

TEST_F(ServerCertTest, MissingCaKeyIsNotFound) {
  std::filesystem::remove(paths.ca_key);
  try {
    issue_server_cert(paths, spec({"10.0.2.15"}), at(kT0));
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::NotFound);
    EXPECT_THAT(e.what(), HasSubstr(paths.ca_key.string()));
  }
  EXPECT_FALSE(std::filesystem::exists(machine_dir / "server.pem"));
}

TEST_F(ServerCertTest, EnsureIssuesWhenMissingThenKeepsAValidCert) {
  std::vector<std::string> seen;
  Options o = at(kT0);
  o.notify = [&](const std::string& line) { seen.push_back(line); };
  EXPECT_THAT(ensure_server_cert(paths, spec({"10.0.2.15", "vm1"}), o), HasSubstr("does not exist"));
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_THAT(seen[0], HasSubstr("issuing a new one"));
  std::string cert = read_file(machine_dir / "server.pem");
  EXPECT_EQ(ensure_server_cert(paths, spec({"10.0.2.15", "vm1"}), at(kT0 + days(100))), "");
  EXPECT_EQ(read_file(machine_dir / "server.pem"), cert);
}

TEST_F(ServerCertTest, EnsureReissuesWhenTheAddressChanges) {
  ensure_server_cert(paths, spec({"10.0.2.15"}), at(kT0));
  EXPECT_THAT(ensure_server_cert(paths, spec({"10.0.2.16"}), at(kT0)), HasSubstr("does not cover 10.0.2.16"));
  EXPECT_TRUE(server_cert_covers(machine_dir / "server.pem", paths.ca_cert, "10.0.2.16", kT0));
  EXPECT_FALSE(server_cert_covers(machine_dir / "server.pem", paths.ca_cert, "10.0.2.15", kT0));
}

TEST_F(ServerCertTest, EnsureReissuesUnderANewCa) {
  ensure_server_cert(paths, spec({"10.0.2.15"}), at(kT0));
  regenerate_ca_and_client(paths, at(kT0 + days(10)));
  EXPECT_THAT(ensure_server_cert(paths, spec({"10.0.2.15"}), at(kT0 + days(10))),
              HasSubstr("not signed by CA"));
  EXPECT_TRUE(server_cert_covers(machine_dir / "server.pem", paths.ca_cert, "10.0.2.15", kT0 + days(10)));
}

TEST_F(ServerCertTest, EnsureDoesNotChurnWhenOnlyTheCaIsNearItsEnd) {
  ensure_server_cert(paths, spec({"10.0.2.15"}), at(kT0 + days(500)));  // outlives the CA
  EXPECT_EQ(ensure_server_cert(paths, spec({"10.0.2.15"}), at(kT0 + days(1060))), "");
}

TEST_F(ServerCertTest, EnsureRenewsCertCloseToItsOwnExpiry) {
  Options long_ca = at(kT0);
  long_ca.validity = hours(24 * 2000);
  regenerate_ca_and_client(paths, long_ca);
  ensure_server_cert(paths, spec({"10.0.2.15"}), at(kT0));  // 1080 days
  auto reason = ensure_server_cert(paths, spec({"10.0.2.15"}), at(kT0 + days(1060)));
  EXPECT_THAT(reason, HasSubstr("expires on 2028-12-30"));
  EXPECT_TRUE(server_cert_covers(machine_dir / "server.pem", paths.ca_cert, "10.0.2.15", kT0 + days(1100)));
}

TEST_F(ServerCertTest, EnsureReplacesAServerKeyThatDoesNotMatch) {
  ensure_server_cert(paths, spec({"10.0.2.15"}), at(kT0));
  std::filesystem::copy_file(paths.client_key, machine_dir / "server-key.pem",
                             std::filesystem::copy_options::overwrite_existing);
  EXPECT_THAT(ensure_server_cert(paths, spec({"10.0.2.15"}), at(kT0)), HasSubstr("does not match key"));
  EXPECT_TRUE(key_matches(machine_dir / "server.pem", machine_dir / "server-key.pem"));
}

TEST_F(ServerCertTest, CopyClientFilesMakesMachineDirACertPath) {
  copy_client_files(paths, machine_dir);
  EXPECT_EQ(read_file(machine_dir / "ca.pem"), read_file(paths.ca_cert));
  EXPECT_EQ(read_file(machine_dir / "cert.pem"), read_file(paths.client_cert));
  EXPECT_EQ(read_file(machine_dir / "key.pem"), read_file(paths.client_key));
  EXPECT_EQ(mode_of(machine_dir / "key.pem"), 0600u);
  EXPECT_EQ(mode_of(machine_dir), 0700u);
  copy_client_files(paths, machine_dir);  // idempotent
  EXPECT_EQ(read_file(machine_dir / "key.pem"), read_file(paths.client_key));
}

// A CA the user made elsewhere (openssl CLI, P-384, their own subject) signs our client and
// server certs and is never modified.
class UserCaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    runner = make_system_process_runner();
    require_program(*runner, "openssl", "openssl");
    std::filesystem::create_directories(user_dir);
    Command cmd{"openssl",
                {"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-384", "-nodes", "-keyout",
                 (user_dir / "corp-ca-key.pem").string(), "-out", (user_dir / "corp-ca.pem").string(),
                 "-days", "30", "-subj", "/O=Corp/CN=Corp Root", "-addext",
                 "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"}};
    run_checked(*runner, cmd, "openssl req");
  }
  TempDir tmp;
  std::filesystem::path user_dir = tmp.path() / "corp";
  std::unique_ptr<ProcessRunner> runner;
};

TEST_F(UserCaTest, SignsClientAndServerCertsWithoutTouchingTheCa) {
  auto paths = AuthPaths::in_store(tmp.path() / "store");
  paths.ca_cert = user_dir / "corp-ca.pem";
  paths.ca_key = user_dir / "corp-ca-key.pem";
  std::string ca = read_file(paths.ca_cert), key = read_file(paths.ca_key);
  Options o;
  o.user = "alice";
  o.replace_ca = false;
  auto r = bootstrap(paths, o);
  EXPECT_FALSE(r.ca_created);
  EXPECT_TRUE(r.client_created);
  auto now = system_clock::now();
  EXPECT_EQ(verify_strict(paths.client_cert, paths.ca_cert, X509_PURPOSE_SSL_CLIENT, now), X509_V_OK);
  EXPECT_EQ(inspect(paths.client_cert).issuer_org, "Corp");

  auto dir = tmp.path() / "store/machines/vm1";
  issue_server_cert(paths, {"vm1", {"10.0.2.15"}, dir / "server.pem", dir / "server-key.pem"}, o);
  EXPECT_EQ(verify_strict(dir / "server.pem", paths.ca_cert, X509_PURPOSE_SSL_SERVER, now), X509_V_OK);
  EXPECT_TRUE(server_cert_covers(dir / "server.pem", paths.ca_cert, "10.0.2.15", now));
  EXPECT_EQ(read_file(paths.ca_cert), ca);
  EXPECT_EQ(read_file(paths.ca_key), key);
}

TEST_F(UserCaTest, EncryptedCaKeyIsRejectedWithoutPrompting) {
  Command cmd{"openssl",
              {"pkey", "-in", (user_dir / "corp-ca-key.pem").string(), "-aes256", "-passout", "pass:secret",
               "-out", (user_dir / "enc-key.pem").string()}};
  run_checked(*runner, cmd, "openssl pkey");
  auto paths = AuthPaths::in_store(tmp.path() / "store");
  paths.ca_cert = user_dir / "corp-ca.pem";
  paths.ca_key = user_dir / "enc-key.pem";
  try {
    bootstrap(paths, {});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::InvalidArgument);
    EXPECT_THAT(e.what(), HasSubstr("encrypted keys are not supported"));
  }
}

TEST_F(UserCaTest, NonCaCertificateIsRejected) {
  TempDir other;
  auto ours = AuthPaths::in_store(other.path());
  bootstrap(ours, {});
  auto paths = AuthPaths::in_store(tmp.path() / "store");
  paths.ca_cert = ours.client_cert;
  paths.ca_key = ours.client_key;
  try {
    bootstrap(paths, {});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::InvalidArgument);
    EXPECT_THAT(e.what(), HasSubstr("is not a CA certificate"));
  }
}

}  // namespace
}  // namespace machine::certs
