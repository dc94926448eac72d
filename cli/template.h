#pragma once
// The subset of Go's text/template that docker-machine's --format/-f flags accept, executed
// against JSON data (so `ls` and `inspect` share one engine):
//   literal text, {{.}}, {{.Field}}, {{.A.B.C}}, {{json .X}}, {{prettyjson .}},
//   {{if PIPELINE}}..{{else}}..{{end}}, {{range .List}}..{{end}}, {{- and -}} trimming.
// Values print the way Go prints them ("[a b]" for lists, "map[k:v]" for objects,
// "<no value>" for null). An unknown field is an error, never an empty string.
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace machine::cli {

class Template {
 public:
  // Throws Error(InvalidArgument) "template: :1: <why>" for a malformed template.
  static Template parse(std::string_view text);

  // Throws Error(InvalidArgument)
  //   "template: :1:2: executing \"\" at <.Foo>: can't evaluate field Foo in type object".
  std::string execute(const nlohmann::json& data) const;

  struct Node;

 private:
  std::shared_ptr<const Node> root_;
};

// docker-machine's ls --format replaces the two-character sequences `\t` and `\n` with a
// tab and a newline before parsing.
std::string expand_escapes(std::string_view text);

}  // namespace machine::cli
