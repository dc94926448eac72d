#include "machine/host.h"

#include <gtest/gtest.h>

#include "machine/error.h"

namespace machine {
namespace {

TEST(Host, JsonUsesDockerMachineSchema) {
  Host h;
  h.name = "vm1";
  h.driver_name = "qemu";
  h.options.engine.labels = {"a=b"};
  auto j = to_json(h);
  EXPECT_EQ(j["ConfigVersion"], 3);
  EXPECT_EQ(j["DriverName"], "qemu");
  EXPECT_EQ(j["Name"], "vm1");
  EXPECT_TRUE(j["HostOptions"]["EngineOptions"]["TlsVerify"].get<bool>());
  EXPECT_EQ(j["HostOptions"]["EngineOptions"]["Labels"][0], "a=b");
  EXPECT_EQ(j["HostOptions"]["SwarmOptions"]["Host"], "tcp://0.0.0.0:3376");
  EXPECT_TRUE(j["HostOptions"]["AuthOptions"].contains("ServerCertSANs"));
}

std::vector<std::string> keys(const nlohmann::ordered_json& j) {
  std::vector<std::string> k;
  for (auto it = j.begin(); it != j.end(); ++it) k.push_back(it.key());
  return k;
}

TEST(Host, JsonKeepsDockerMachinesKeyOrder) {
  Host h;
  h.name = "vm1";
  h.driver_name = "qemu";
  auto j = to_json(h);
  using V = std::vector<std::string>;
  EXPECT_EQ(keys(j), (V{"ConfigVersion", "Driver", "DriverName", "HostOptions", "Name"}));
  // Go struct order (libmachine/host.Options), not alphabetical.
  EXPECT_EQ(keys(j["HostOptions"]), (V{"Driver", "Memory", "Disk", "EngineOptions", "SwarmOptions",
                                       "AuthOptions", "Mounts", "MountType"}));
  EXPECT_EQ(keys(j["HostOptions"]["AuthOptions"]).front(), "CertDir");
  EXPECT_EQ(keys(j["HostOptions"]["EngineOptions"]).front(), "ArbitraryFlags");
  EXPECT_EQ(
      j.dump().find("{\"ConfigVersion\":3,\"Driver\":{},\"DriverName\":\"qemu\",\"HostOptions\":{\"Driver\""),
      0u);
}

TEST(Host, RoundTripKeepsEveryOption) {
  Host h;
  h.name = "x";
  h.driver_name = "generic";
  h.driver = {{"IPAddress", "127.0.0.1"}};
  h.options.engine.insecure_registry = {"r:5000"};
  h.options.engine.storage_driver = "overlay2";
  h.options.swarm.master = true;
  h.options.auth.server_cert_sans = {"example.test"};
  Host back = host_from_json(to_json(h));
  EXPECT_EQ(to_json(back), to_json(h));
}

TEST(Host, ReadsDockerMachineConfigWithNulls) {
  auto j = nlohmann::json::parse(
      R"({"ConfigVersion":3,"Driver":{"IPAddress":"192.0.2.1"},"DriverName":"virtualbox",
    "HostOptions":{"Driver":"","Memory":0,"Disk":0,"EngineOptions":{"Dns":null,"Env":[],"TlsVerify":true},
    "SwarmOptions":{"Env":null},"AuthOptions":{"StorePath":"/s"}},"Name":"default"})");
  Host h = host_from_json(j);
  EXPECT_EQ(h.name, "default");
  EXPECT_TRUE(h.options.engine.dns.empty());
  EXPECT_EQ(h.options.auth.store_path, "/s");
}

TEST(Host, MissingNameIsInvalid) {
  EXPECT_THROW(host_from_json(nlohmann::json::parse(R"({"DriverName":"none"})")), Error);
  EXPECT_THROW(host_from_json(nlohmann::json::parse(R"({"Name":"x","DriverName":"none","HostOptions":[]})")),
               Error);
}

TEST(Host, NameRuleMatchesDockerMachine) {
  EXPECT_TRUE(valid_machine_name("vm1"));
  EXPECT_TRUE(valid_machine_name("a.b-c"));
  EXPECT_FALSE(valid_machine_name("-a"));
  EXPECT_FALSE(valid_machine_name(".a"));
  EXPECT_FALSE(valid_machine_name("a_b"));
  EXPECT_FALSE(valid_machine_name(""));
  EXPECT_FALSE(valid_machine_name("a/b"));
}

TEST(Host, NamesThatWouldBePathsOrBadLabelsAreInvalid) {
  for (std::string bad : {"..", ".", "/abs/dir", "a/b", "", "a\nb", "n1/..", "a b", "-", "\xc3\xa9"}) {
    EXPECT_FALSE(valid_machine_name(bad)) << bad;
    EXPECT_FALSE(machine_name_problem(bad).empty()) << bad;
  }
  EXPECT_FALSE(valid_machine_name(std::string("a\0b", 3)));
  EXPECT_FALSE(valid_machine_name(std::string(300, 'a')));
  EXPECT_FALSE(valid_machine_name(std::string(64, 'a')));
  EXPECT_TRUE(valid_machine_name(std::string(63, 'a')));
  EXPECT_TRUE(valid_machine_name("a.."));  // dots inside a name are docker-machine's rule
}

TEST(Host, InvalidNameMessageIsDockerMachinesTextPlusAPrintableReason) {
  EXPECT_EQ(
      invalid_machine_name_message(".."),
      "Invalid hostname specified. Allowed hostname chars are: 0-9a-zA-Z . - (machine name \"..\": it starts "
      "with '.')");
  EXPECT_EQ(
      invalid_machine_name_message("a\nb"),
      "Invalid hostname specified. Allowed hostname chars are: 0-9a-zA-Z . - (machine name \"a\\x0ab\": it "
      "contains the byte 0x0a)");
  auto long_name = invalid_machine_name_message(std::string(300, 'x'));
  EXPECT_NE(long_name.find("it has 300 characters, at most 63 are allowed"), std::string::npos);
  EXPECT_LT(long_name.size(), 250u) << "the name is cut, not echoed whole";
  try {
    require_valid_machine_name("a/b");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::InvalidArgument);
    EXPECT_NE(std::string(e.what()).find("it contains '/'"), std::string::npos);
  }
}

}  // namespace
}  // namespace machine
