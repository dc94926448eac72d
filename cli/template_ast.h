#pragma once
// The parsed form of a Go text/template (internal to cli/template_*.cpp). Positions are
// byte offsets into the source; errors turn them into LINE:COL as Go's ErrorContext does.
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/template.h"

namespace machine::cli::tmpl {

struct Pipeline;

enum class ArgKind { Field, Variable, Dot, Nil, Bool, Number, String, Function, Pipe };

// One operand. Field: .A.B (fields {A,B}); Variable: $x.A (name "$x", fields {A});
// Pipe: a parenthesised pipeline, optionally followed by fields ((index .M "k").Name).
struct Arg {
  ArgKind kind = ArgKind::Dot;
  size_t pos = 0;
  std::string name;                 // variable or function name, string value
  std::vector<std::string> fields;  // field chain after the operand
  bool boolean = false;
  bool is_int = false;  // Number: integer-valued (also usable as float)
  int64_t i = 0;
  double f = 0;
  std::shared_ptr<Pipeline> pipe;
  std::string text;  // source text, for "at <...>" in errors
};

struct Command {
  size_t pos = 0;
  std::vector<Arg> args;
  std::string text;
};

struct Pipeline {
  size_t pos = 0;
  std::vector<std::string> decl;  // variables declared ($x :=) or assigned ($x =)
  bool assign = false;
  std::vector<Command> cmds;
  std::string text;
};

enum class NodeKind { Text, Action, If, With, Range, Break, Continue };

struct Node {
  NodeKind kind = NodeKind::Text;
  size_t pos = 0;
  std::string text;  // Text: the literal text
  Pipeline pipe;     // Action / If / With / Range
  std::vector<Node> list;
  std::vector<Node> else_list;
};

// "NAME:LINE:COL" for byte offset `pos` of `text`, as Go's ErrorContext (COL counts bytes
// from the start of the line, from 0).
std::string location(const TemplateAst& ast, size_t pos);

// Functions a template may call (parse rejects others, as Go does).
bool is_builtin_function(const std::string& name);

}  // namespace machine::cli::tmpl

namespace machine::cli::tmpl {

// A builtin function failed; exec adds the position ("error calling NAME: " + message unless
// `plain`, as Go words arity errors without that prefix).
struct FuncError {
  std::string message;
  bool plain = false;
};

// Go's type name for a JSON-decoded value ("string", "float64", "map[string]interface {}").
std::string go_type_name(const nlohmann::json& v);
// fmt's %v of a JSON-decoded value ("[a b]", "map[k:v]", "<nil>").
std::string sprint_value(const nlohmann::json& v);
// text/template's truth: false, 0, "", nil, empty array or object are false.
bool truth(const nlohmann::json& v);
// Every builtin except and/or (exec short-circuits those). Throws FuncError.
nlohmann::json call_builtin(const std::string& name, const std::vector<nlohmann::json>& args);

}  // namespace machine::cli::tmpl
