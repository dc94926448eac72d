// The command table and help texts, in docker-machine's words and layout.
#include <fmt/format.h>

#include <algorithm>

#include "cli/command.h"
#include "cli/tabwriter.h"
#include "cli/template.h"
#include "drivers/registry.h"
#include "guest/recipe.h"
#include "machine/error.h"

namespace machine::cli {

const std::vector<CommandSpec>& command_table() {
  static const std::string timeout_usage = "Timeout in seconds, default to 10s";
  static const std::vector<CommandSpec> table{
      {"active",
       "Print which machine is active",
       "",
       {{{"timeout", "t"}, FlagKind::Int, timeout_usage, "", "10"}},
       &cmd_active},
      {"completion",
       "Print a shell completion script (bash, zsh or fish)",
       "Argument is a shell: bash, zsh or fish. Try: source <(machine completion bash)",
       {},
       &cmd_completion,
       false,
       false},
      {"config",
       "Print the connection config for machine",
       "Argument is a machine name.",
       {{{"swarm"}, FlagKind::Bool, "Display the Swarm config instead of the Docker daemon", "", ""}},
       &cmd_config},
      {"create", "Create a machine",
       "Run 'machine create --driver name --help' to include the create flags for that driver in the help "
       "text.",
       shared_create_flags(), &cmd_create, true},
      {"env",
       "Display the commands to set up the environment for the Docker client",
       "Argument is a machine name.",
       {{{"swarm"}, FlagKind::Bool, "Display the Swarm config instead of the Docker daemon", "", ""},
        {{"shell"},
         FlagKind::String,
         "Force environment to be configured for a specified shell: [fish, cmd, powershell, tcsh, emacs], "
         "default "
         "is auto-detect",
         "",
         ""},
        {{"unset", "u"}, FlagKind::Bool, "Unset variables instead of setting them", "", ""},
        {{"no-proxy"}, FlagKind::Bool, "Add machine IP to NO_PROXY environment variable", "", ""}},
       &cmd_env},
      {"image",
       "Build, list or remove machine OS images",
       "Subcommands: build [--force] [--system] [--suite SUITE] builds the machine OS image; ls lists built "
       "images; rm NAME removes one. create boots the trixie image (built on first use); an image of another "
       "suite is booted by its directory (--qemu-image DIR).",
       {{{"force", "f"}, FlagKind::Bool, "Rebuild the image even when it exists", "", ""},
        {{"suite"},
         FlagKind::String,
         "build: the Debian suite the machine OS comes from: trixie (docker 26, kernel 6.12) or bookworm "
         "(docker 20.10, kernel 6.1)",
         "",
         guest::kDefaultSuite},
        {{"format"}, FlagKind::String, "ls: json (one object per line) or a Go template", "", ""},
        {{"system"},
         FlagKind::Bool,
         "Use the system-wide image cache every user's machines read (MACHINE_SYSTEM_IMAGE_CACHE, default "
         "/var/cache/machine) instead of the store's",
         "",
         ""}},
       &cmd_image},
      {"inspect",
       "Inspect information about a machine",
       "Argument is a machine name.",
       {{{"format", "f"}, FlagKind::String, "Format the output using the given go template.", "", ""}},
       &cmd_inspect},
      {"ip", "Get the IP address of a machine", "Argument(s) are one or more machine names.", {}, &cmd_ip},
      {"kill", "Kill a machine", "Argument(s) are one or more machine names.", {}, &cmd_kill},
      {"ls",
       "List machines",
       "",
       {{{"quiet", "q"}, FlagKind::Bool, "Enable quiet mode", "", ""},
        {{"filter"}, FlagKind::StringList, "Filter output based on conditions provided", "", ""},
        {{"timeout", "t"}, FlagKind::Int, timeout_usage, "", "10"},
        {{"format", "f"}, FlagKind::String, "Pretty-print machines using a Go template", "", ""}},
       &cmd_ls},
      {"mount",
       "Mount or unmount a directory from a machine with SSHFS.",
       "Arguments are [machine:][path] [mount point]",
       {{{"unmount", "u"}, FlagKind::Bool, "Unmount instead of mount", "", ""}},
       &cmd_mount},
      {"network",
       "List or remove private networks (--qemu-network)",
       "Subcommands: ls lists networks; rm [-f] NAME... removes them (-f even while machines use them).",
       {{{"force", "f"}, FlagKind::Bool, "Remove the network even while machines use it", "", ""},
        {{"format"}, FlagKind::String, "ls: json (one object per line) or a Go template", "", ""}},
       &cmd_network},
      {"provision", "Re-provision existing machines", "", {}, &cmd_provision},
      {"regenerate-certs",
       "Regenerate TLS Certificates for a machine",
       "Argument(s) are one or more machine names.",
       {{{"force", "f"}, FlagKind::Bool, "Force rebuild and do not prompt", "", ""},
        {{"client-certs"}, FlagKind::Bool, "Also regenerate client certificates and CA.", "", ""}},
       &cmd_regenerate_certs},
      {"restart", "Restart a machine", "Argument(s) are one or more machine names.", {}, &cmd_restart},
      {"rm",
       "Remove a machine",
       "Argument(s) are one or more machine names.",
       {{{"force", "f"},
         FlagKind::Bool,
         "Remove local configuration even if machine cannot be removed, also implies an automatic yes (`-y`)",
         "",
         ""},
        {{"y"},
         FlagKind::Bool,
         "Assumes automatic yes to proceed with remove, without prompting further user confirmation",
         "",
         ""}},
       &cmd_rm},
      {"ssh",
       "Log into or run a command on a machine with SSH.",
       "Arguments are [machine-name] [command]",
       {},
       &cmd_ssh,
       true},
      {"scp",
       "Copy files between machines",
       "Arguments are [[user@]machine:][path] [[user@]machine:][path].",
       {{{"recursive", "r"}, FlagKind::Bool, "Copy files recursively (required to copy directories)", "", ""},
        {{"delta", "d"},
         FlagKind::Bool,
         "Reduce amount of data sent over network by sending only the differences (size and mtime check)",
         "",
         ""},
        {{"quiet", "q"},
         FlagKind::Bool,
         "Disables the progress meter as well as warning and diagnostic messages from ssh",
         "",
         ""}},
       &cmd_scp,
       true},
      {"start", "Start a machine", "Argument(s) are one or more machine names.", {}, &cmd_start},
      {"status", "Get the status of a machine", "Argument is a machine name.", {}, &cmd_status},
      {"stop", "Stop a machine", "Argument(s) are one or more machine names.", {}, &cmd_stop},
      {"upgrade",
       "Upgrade a machine to the latest version of Docker",
       "Argument(s) are one or more machine names.",
       {},
       &cmd_upgrade},
      {"url", "Get the URL of a machine", "Argument is a machine name.", {}, &cmd_url},
      {"version", "Show the Docker Machine version or a machine docker version", "", {}, &cmd_version},
      {"__forward",
       "Forward a machine's published ports to this host (started by create and start)",
       "Argument is a machine name.",
       {},
       &cmd_forward,
       false,
       true,
       true},
      {"__man", "Print the man page (machine.1, roff)", "", {}, &cmd_man, false, false, true},
  };
  return table;
}

const CommandSpec* find_command(const std::string& name) {
  for (const auto& c : command_table())
    if (c.name == name) return &c;
  return nullptr;
}

std::vector<FlagSpec> shared_create_flags() {
  using K = FlagKind;
  return {
      {{"driver", "d"},
       K::String,
       "Driver to create machine with.",
       "MACHINE_DRIVER",
       std::string(drivers::default_driver_name())},
      {{"engine-install-url"},
       K::String,
       "Custom URL to use for engine installation",
       "MACHINE_DOCKER_INSTALL_URL",
       "https://get.docker.com"},
      {{"engine-opt"},
       K::StringList,
       "Specify arbitrary flags to include with the created engine in the form flag=value",
       "",
       ""},
      {{"engine-insecure-registry"},
       K::StringList,
       "Specify insecure registries to allow with the created engine",
       "",
       ""},
      {{"engine-registry-mirror"},
       K::StringList,
       "Specify registry mirrors to use",
       "ENGINE_REGISTRY_MIRROR",
       ""},
      {{"engine-label"}, K::StringList, "Specify labels for the created engine", "", ""},
      {{"engine-storage-driver"}, K::String, "Specify a storage driver to use with the engine", "", ""},
      {{"engine-env"}, K::StringList, "Specify environment variables to set in the engine", "", ""},
      {{"swarm"}, K::Bool, "Configure Machine to join a Swarm cluster", "", ""},
      {{"swarm-image"},
       K::String,
       "Specify Docker image to use for Swarm",
       "MACHINE_SWARM_IMAGE",
       "swarm:latest"},
      {{"swarm-master"}, K::Bool, "Configure Machine to be a Swarm master", "", ""},
      {{"swarm-discovery"}, K::String, "Discovery service to use with Swarm", "", ""},
      {{"swarm-strategy"}, K::String, "Define a default scheduling strategy for Swarm", "", "spread"},
      {{"swarm-opt"}, K::StringList, "Define arbitrary flags for Swarm master", "", ""},
      {{"swarm-join-opt"}, K::StringList, "Define arbitrary flags for Swarm join", "", ""},
      {{"swarm-host"}, K::String, "ip/socket to listen on for Swarm master", "", "tcp://0.0.0.0:3376"},
      {{"swarm-addr"},
       K::String,
       "addr to advertise for Swarm (default: detect and use the machine IP)",
       "",
       ""},
      {{"swarm-experimental"}, K::Bool, "Enable Swarm experimental features", "", ""},
      {{"tls-san"}, K::StringList, "Support extra SANs for TLS certs", "", ""},
      {{"keep-on-failure"},
       K::Bool,
       "Keep the machine (for debugging) when create fails instead of removing it",
       "",
       ""},
      {{"no-docker-context"}, K::Bool, "Do not create a docker CLI context for the machine", "", ""},
      {{"mount"},
       K::StringList,
       "Share a host directory into the machine: HOST_DIR[:GUEST_DIR][:ro] (default: your home directory)",
       "",
       ""},
      {{"no-mounts"}, K::Bool, "Share no host directory (not even your home directory)", "", ""},
      {{"mount-type"},
       K::String,
       "How to share host directories: virtiofs or sshfs (default: virtiofs where the driver "
       "supports it, else sshfs)",
       "MACHINE_MOUNT_TYPE",
       ""},
  };
}

bool print_formatted(Invocation& inv, const std::vector<nlohmann::json>& rows) {
  const std::string format = inv.cmd.flags.string("format");
  if (format.empty()) return false;
  if (format == "json") {
    for (const auto& r : rows) inv.out() << r.dump() << "\n";
    return true;
  }
  std::optional<Template> t;
  try {
    t = Template::parse(format + "\n");
  } catch (const Error& e) {
    fail(Code::InvalidArgument, fmt::format("template parsing error: {}", e.what()));
  }
  for (const auto& r : rows) inv.out() << t->execute(r);
  return true;
}

std::vector<FlagSpec> global_flags(const std::string& storage_default) {
  using K = FlagKind;
  return {
      {{"debug", "D"}, K::Bool, "Enable debug mode", "", ""},
      {{"quiet", "q"},
       K::Bool,
       "Print no progress (steps, heartbeat, create's time summary): for scripts",
       "MACHINE_QUIET",
       ""},
      {{"storage-path", "s"}, K::String, "Configures storage path", "MACHINE_STORAGE_PATH", storage_default},
      {{"tls-ca-cert"}, K::String, "CA to verify remotes against", "MACHINE_TLS_CA_CERT", ""},
      {{"tls-ca-key"}, K::String, "Private key to generate certificates", "MACHINE_TLS_CA_KEY", ""},
      {{"tls-client-cert"}, K::String, "Client cert to use for TLS", "MACHINE_TLS_CLIENT_CERT", ""},
      {{"tls-client-key"}, K::String, "Private key used in client TLS auth", "MACHINE_TLS_CLIENT_KEY", ""},
      // Accepted and ignored, so docker-machine command lines keep working (cli/README.md).
      {{"github-api-token"},
       K::String,
       "Token to use for requests to the Github API",
       "MACHINE_GITHUB_API_TOKEN",
       ""},
      {{"native-ssh"},
       K::Bool,
       "Use the native (libssh2-based) SSH implementation.",
       "MACHINE_NATIVE_SSH",
       ""},
      {{"bugsnag-api-token"},
       K::String,
       "BugSnag API token for crash reporting",
       "MACHINE_BUGSNAG_API_TOKEN",
       ""},
      {{"help", "h"}, K::Bool, "show help", "", ""},
      {{"version", "v"}, K::Bool, "print the version", "", ""},
  };
}

namespace {
std::string help_flag_lines(const std::vector<FlagSpec>& flags, const std::string& indent) {
  std::string s;
  for (const auto& f : flags) s += indent + flag_help_line(f) + "\n";
  return s;
}

std::string tabbed(const std::string& text) { return tabwrite(text, {0, 8, 1, '\t'}); }
}  // namespace

std::string app_help(const std::string& program, const std::string& storage_default) {
  std::string name =
      program.substr(program.find_last_of('/') == std::string::npos ? 0 : program.find_last_of('/') + 1);
  std::string s = fmt::format("Usage: {} [OPTIONS] COMMAND [arg...]\n\n", name);
  s += "Create and manage machines running Docker.\n\n";
  s += fmt::format("Version: {}\n\n", MACHINE_VERSION);
  s += "Options:\n";
  auto globals = global_flags(storage_default);
  s += help_flag_lines(globals, "  ");
  s += "  \nCommands:\n";
  for (const auto& c : command_table())
    if (!c.hidden) s += "  " + c.name + "\t" + c.usage + "\n";
  s += "  help\tShows a list of commands or help for one command\n";
  s += "  \n";
  s += fmt::format("Run '{} COMMAND --help' for more information on a command.\n", name);
  return tabbed(s);
}

std::string command_help(const CommandSpec& cmd, const std::vector<FlagSpec>& flags) {
  std::string s =
      fmt::format("Usage: machine {}{} [arg...]\n\n", cmd.name, flags.empty() ? "" : " [OPTIONS]");
  s += cmd.usage;
  if (!cmd.description.empty()) s += "\n\nDescription:\n   " + cmd.description;
  if (!flags.empty()) {
    s += "\n\nOptions:\n   ";
    for (const auto& f : flags) s += "\n   " + flag_help_line(f);
  }
  s += "\n";
  return tabbed(s);
}

}  // namespace machine::cli
