// Which ports the forwarder publishes, from the engine's JSON (shapes of dockerd 20.10,
// API 1.41: GET /containers/json and GET /services), and its status file.
#include "provisioner/engine/published_ports.h"

#include <gtest/gtest.h>

#include "provisioner/port_forwarder.h"
#include "tests/support/temp_dir.h"

namespace machine::engine {
namespace {
using drivers::Proto;
using drivers::PublishedPort;

TEST(PublishedPorts, ContainersPortsBoundOnEveryGuestAddress) {
  // `docker run -p 4000:8080 -p 5353:5353/udp -p 127.0.0.1:9000:9000 --expose 7000` with IPv4
  // and IPv6 bindings listed separately, plus a container publishing nothing.
  auto j = nlohmann::json::parse(R"([
    {"Id":"a1","Names":["/web"],"Ports":[
      {"IP":"0.0.0.0","PrivatePort":8080,"PublicPort":4000,"Type":"tcp"},
      {"IP":"::","PrivatePort":8080,"PublicPort":4000,"Type":"tcp"},
      {"IP":"0.0.0.0","PrivatePort":5353,"PublicPort":5353,"Type":"udp"},
      {"IP":"127.0.0.1","PrivatePort":9000,"PublicPort":9000,"Type":"tcp"},
      {"PrivatePort":7000,"Type":"tcp"}]},
    {"Id":"b2","Names":["/quiet"],"Ports":[]},
    {"Id":"c3","Names":["/sctp"],"Ports":[{"IP":"0.0.0.0","PrivatePort":9,"PublicPort":9,"Type":"sctp"}]}
  ])");
  EXPECT_EQ(container_published_ports(j), (std::set<PublishedPort>{{Proto::Tcp, 4000}, {Proto::Udp, 5353}}));
  EXPECT_TRUE(container_published_ports(nlohmann::json::parse("[]")).empty());
  EXPECT_TRUE(container_published_ports(nlohmann::json::parse(R"({"message":"oops"})")).empty());
}

nlohmann::json captured(const std::string& name) {
  return nlohmann::json::parse(machine::testing::read_file(std::filesystem::path(ENGINE_TEST_DATA) / name));
}

TEST(PublishedPorts, CapturedFromDockerd2010) {
  EXPECT_EQ(container_published_ports(captured("containers_json_20.10.json")),
            (std::set<PublishedPort>{{Proto::Tcp, 4455}, {Proto::Tcp, 4456}, {Proto::Udp, 5300}}));
  EXPECT_EQ(service_published_ports(captured("services_json_20.10.json")),
            (std::set<PublishedPort>{{Proto::Tcp, 4457}}));
}

TEST(PublishedPorts, ServicesIngressPortsFromTheEndpointOrTheSpec) {
  auto j = nlohmann::json::parse(R"([
    {"ID":"s1","Spec":{"Name":"web","EndpointSpec":{"Mode":"vip","Ports":[
        {"Protocol":"tcp","TargetPort":8080,"PublishMode":"ingress"}]}},
     "Endpoint":{"Spec":{},"Ports":[
        {"Protocol":"tcp","TargetPort":8080,"PublishedPort":30000,"PublishMode":"ingress"}]}},
    {"ID":"s2","Spec":{"Name":"dns","EndpointSpec":{"Ports":[
        {"Protocol":"udp","TargetPort":53,"PublishedPort":5300,"PublishMode":"ingress"}]}}},
    {"ID":"s3","Spec":{"Name":"hostmode"},"Endpoint":{"Ports":[
        {"Protocol":"tcp","TargetPort":80,"PublishedPort":8081,"PublishMode":"host"}]}},
    {"ID":"s4","Spec":{"Name":"internal"},"Endpoint":{"Spec":{}}}
  ])");
  EXPECT_EQ(service_published_ports(j), (std::set<PublishedPort>{{Proto::Tcp, 30000}, {Proto::Udp, 5300}}));
}

TEST(PublishedPorts, EventsQueryFiltersContainerAndServiceChanges) {
  auto p = port_events_path();
  EXPECT_EQ(p.rfind("/events?filters=", 0), 0u) << p;
  EXPECT_EQ(p.find_first_of("{}\"[]: ,"), std::string::npos) << "the filters are URL-encoded: " << p;
  EXPECT_NE(p.find("%22container%22"), std::string::npos);
  EXPECT_NE(p.find("%22service%22"), std::string::npos);
  EXPECT_NE(p.find("%22die%22"), std::string::npos);
  EXPECT_NE(p.find("%22destroy%22"), std::string::npos) << "rm -f: listed again once the container is gone";
}

TEST(ForwarderStatus, RoundTripsAndToleratesJunk) {
  forwarder::Status s;
  s.pid = 42;
  s.engine = "connected";
  s.forwarded = {{Proto::Tcp, "127.0.0.1", 4000, 4000}};
  s.skipped = {{{Proto::Udp, "127.0.0.1", 5353, 5353}, "the port is in use on the host"}};
  machine::testing::TempDir dir;
  machine::testing::write_file(dir / "forwards.json", forwarder::to_json(s).dump());
  auto back = forwarder::read_status(dir / "forwards.json");
  EXPECT_EQ(back.pid, 42);
  EXPECT_EQ(back.engine, "connected");
  EXPECT_EQ(back.forwarded, s.forwarded);
  EXPECT_EQ(back.skipped, s.skipped);
  auto junk = forwarder::status_from_json(nlohmann::json::parse(R"({"Pid":"x","Forwarded":["bogus",7]})"));
  EXPECT_EQ(junk.pid, 0);
  EXPECT_TRUE(junk.forwarded.empty());
  EXPECT_EQ(forwarder::read_status(dir / "missing.json").pid, 0);
}

}  // namespace
}  // namespace machine::engine
