// The NoCloud seed writer (guest/seed.h) round trip: fields from the input (NUL-separated:
// hostname, instance id, SSH key, then path/content/flags triples for write_files) either
// are refused with Error(InvalidArgument) or produce user-data and meta-data that a YAML
// parser (libyaml, what cloud-init's PyYAML builds on) reads back to exactly those values.
#include <yaml.h>

#include <map>
#include <memory>

#include "guest/seed.h"
#include "machine/error.h"
#include "provisioner/ssh/known_hosts.h"
#include "tests/fuzz/fuzz.h"

namespace {
using machine::fuzz::check;

// A YAML document as nested maps, lists and strings (enough for the seed's subset).
struct Node {
  std::string scalar;
  std::vector<Node> items;
  std::map<std::string, Node> map;
};

Node convert(yaml_document_t* doc, yaml_node_t* n, int depth = 0) {
  Node out;
  check(depth < 32, "seed YAML nests too deep");
  if (n->type == YAML_SCALAR_NODE) {
    out.scalar.assign(reinterpret_cast<const char*>(n->data.scalar.value), n->data.scalar.length);
  } else if (n->type == YAML_SEQUENCE_NODE) {
    for (auto* i = n->data.sequence.items.start; i < n->data.sequence.items.top; ++i)
      out.items.push_back(convert(doc, yaml_document_get_node(doc, *i), depth + 1));
  } else if (n->type == YAML_MAPPING_NODE) {
    for (auto* p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; ++p) {
      auto key = convert(doc, yaml_document_get_node(doc, p->key), depth + 1).scalar;
      check(out.map.count(key) == 0, "seed YAML repeats a key");
      out.map[key] = convert(doc, yaml_document_get_node(doc, p->value), depth + 1);
    }
  }
  return out;
}

Node parse_yaml(const std::string& text) {
  yaml_parser_t parser;
  yaml_document_t doc;
  yaml_parser_initialize(&parser);
  yaml_parser_set_input_string(&parser, reinterpret_cast<const unsigned char*>(text.data()), text.size());
  bool ok = yaml_parser_load(&parser, &doc) == 1;
  if (!ok) std::fprintf(stderr, "YAML error: %s\n%s\n", parser.problem ? parser.problem : "?", text.c_str());
  check(ok, "the seed is not valid YAML");
  auto* root = yaml_document_get_root_node(&doc);
  check(root != nullptr, "the seed YAML is empty");
  Node n = convert(&doc, root);
  yaml_document_delete(&doc);
  yaml_parser_delete(&parser);
  return n;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto f = machine::fuzz::split(machine::fuzz::as_text(data, size), '\0');
  f.resize(std::max<size_t>(f.size(), 3));
  machine::guest::SeedConfig c;
  c.hostname = f[0];
  c.instance_id = f[1];
  if (!f[2].empty()) c.ssh_authorized_keys.push_back(f[2]);
  for (size_t i = 3; i + 2 < f.size(); i += 3) {
    machine::guest::WriteFile w;
    w.path = f[i];
    w.content = f[i + 1];
    w.b64 = !f[i + 2].empty() && f[i + 2][0] == 'b';
    if (f[i + 2].size() > 1) w.permissions = f[i + 2].substr(1);
    c.write_files.push_back(w);
  }
  std::map<std::string, std::string> files;
  try {
    files = machine::guest::seed_files(c);
  } catch (const machine::Error&) {
    return 0;
  }
  auto meta = parse_yaml(files["meta-data"]);
  check(meta.map["instance-id"].scalar == c.instance_id, "instance-id changed in meta-data");
  check(meta.map["local-hostname"].scalar == c.hostname, "hostname changed in meta-data");
  auto ud = parse_yaml(files["user-data"]);
  check(files["user-data"].rfind("#cloud-config\n", 0) == 0, "user-data lost its #cloud-config header");
  check(ud.map["hostname"].scalar == c.hostname, "hostname changed in user-data");
  if (!c.ssh_authorized_keys.empty()) {
    check(ud.map["ssh_authorized_keys"].items.size() == 1, "ssh_authorized_keys lost its key");
    check(ud.map["ssh_authorized_keys"].items[0].scalar == c.ssh_authorized_keys[0], "an SSH key changed");
  }
  const auto& wf = ud.map["write_files"].items;
  check(wf.size() == c.write_files.size(), "write_files lost an entry");
  for (size_t i = 0; i < wf.size(); ++i) {
    auto m = wf[i].map;
    check(m["path"].scalar == c.write_files[i].path, "a write_files path changed");
    check(m["permissions"].scalar == c.write_files[i].permissions, "write_files permissions changed");
    check(m["owner"].scalar == c.write_files[i].owner, "write_files owner changed");
    std::string content = m["content"].scalar;
    if (m["encoding"].scalar == "b64" && !content.empty()) content = machine::ssh::base64_decode(content);
    check(content == c.write_files[i].content, "write_files content changed");
  }
  return 0;
}
