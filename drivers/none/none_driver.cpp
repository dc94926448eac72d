#include "drivers/none/none_driver.h"

#include "machine/error.h"

namespace machine::drivers {

NoneDriver::NoneDriver(const Context& ctx) {
  base_.machine_name = ctx.machine_name;
  base_.store_path = ctx.store_root.string();
}

std::vector<Flag> NoneDriver::flags() {
  return {{"url", Flag::Kind::String, "URL of host when no driver is selected", "NONE_URL", ""}};
}

void NoneDriver::configure(const FlagValues& flags) {
  url_ = flags.string("url");
  if (url_.empty()) fail(Code::InvalidArgument, "--url option is required when no driver is selected");
  if (url_.rfind("tcp://", 0) != 0 || url_host(url_).empty())
    fail(Code::InvalidArgument, "--url \"" + url_ + "\" is not a tcp://host:port URL");
  base_.ip_address = url_host(url_);
}

std::vector<std::string> NoneDriver::prepare() { return {base_.ip_address}; }

void NoneDriver::start() { fail(Code::FailedPrecondition, "hosts without a driver cannot be started"); }
void NoneDriver::stop() { fail(Code::FailedPrecondition, "hosts without a driver cannot be stopped"); }
void NoneDriver::kill() { fail(Code::FailedPrecondition, "hosts without a driver cannot be killed"); }
void NoneDriver::restart() { fail(Code::FailedPrecondition, "hosts without a driver cannot be restarted"); }

std::string NoneDriver::ip() { return url_host(url_); }

SshAddress NoneDriver::ssh_address() {
  fail(Code::FailedPrecondition, "hosts without a driver do not support SSH");
}

nlohmann::json NoneDriver::to_json() const {
  nlohmann::json j = nlohmann::json::object();
  base_.write(j);
  j["URL"] = url_;
  return j;
}

void NoneDriver::from_json(const nlohmann::json& j) {
  base_.read(j);
  read_field(j, "URL", url_);
}

}  // namespace machine::drivers
