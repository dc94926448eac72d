#pragma once
// Go's text/template, as docker users write it in --format / -f, executed against JSON data
// (so `ls` and `inspect` share one engine). Pure: parse a string into an AST, render the AST
// with a JSON value; both throw Error(InvalidArgument) with Go's message shape and the
// position ("template: NAME:LINE:COL: ..."), so they can be fuzzed on their own.
//
// Supported: text, comments {{/* */}}, {{- -}} trimming, fields (.A.B), $ and variables
// ($x := ..., $x = ...), pipelines (|), parenthesised calls, literals (strings, raw
// strings, chars, numbers, true/false/nil), if / else if / else, with / else, range / else
// (arrays, objects with sorted keys, integers) with break/continue, and the functions
// and or not len index slice print printf println eq ne lt le gt ge html js urlquery, plus
// docker-machine's json and prettyjson. Values print the way Go prints JSON-decoded data
// ("[a b]", "map[k:v]", "<no value>" for null or a missing key). define/template/block
// are not supported (a parse error says so).
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace machine::cli {

namespace tmpl {
struct Node;
}

struct TemplateAst {
  std::string name;  // the template's name in messages ("" for docker-machine's ls and inspect)
  std::string text;  // the source, for line:column in errors
  std::shared_ptr<const std::vector<tmpl::Node>> root;
};

struct RenderOptions {
  // docker-machine's `ls` formats a Go struct: an unknown field is an error there
  // ("can't evaluate field X in type ..."). `inspect` formats a map: "<no value>".
  bool unknown_field_is_error = false;
};

// Throws Error(InvalidArgument) "template: NAME:LINE:COL: why" for a malformed template.
TemplateAst parse_template(std::string_view text, std::string_view name = "");

// Throws Error(InvalidArgument), e.g. "template: :1:2: executing \"\" at <.Foo>: can't
// evaluate field Foo in type map[string]interface {}" or "error calling index: ...".
std::string render_template(const TemplateAst& ast, const nlohmann::json& data,
                            const RenderOptions& options = {});

// The two steps bound together, for callers that render one template many times.
class Template {
 public:
  static Template parse(std::string_view text, RenderOptions options = {}) {
    return Template(parse_template(text), options);
  }
  std::string execute(const nlohmann::json& data) const { return render_template(ast_, data, options_); }

 private:
  Template(TemplateAst ast, RenderOptions options) : ast_(std::move(ast)), options_(options) {}
  TemplateAst ast_;
  RenderOptions options_;
};

// docker-machine's ls --format replaces the two-character sequences `\t` and `\n` with a
// tab and a newline before parsing.
std::string expand_escapes(std::string_view text);

}  // namespace machine::cli
