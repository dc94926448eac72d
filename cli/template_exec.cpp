// Executes a parsed Go text/template (exec.go semantics, our own code) on JSON data:
// pipelines, variables and their scopes, fields, control structures, function calls.
#include <fmt/format.h>

#include "cli/template_ast.h"
#include "machine/error.h"

namespace machine::cli {
namespace {
using json = nlohmann::json;
using namespace tmpl;

// A value during execution. `missing` is Go's invalid reflect.Value: a map key that is not
// there (prints "<no value>", is false, and becomes nil when passed to a function).
struct Value {
  json v;
  bool missing = false;
};

struct BreakSignal {};
struct ContinueSignal {};

// Guards against pathological input (a fuzzer's) only; real templates are far below.
constexpr size_t kMaxOutput = 64u << 20;
constexpr int kMaxDepth = 1000;

class Exec {
 public:
  Exec(const TemplateAst& ast, const RenderOptions& options) : ast_(ast), options_(options) {}

  std::string run(const json& data) {
    vars_.push_back({"$", Value{data}});
    walk(*ast_.root, Value{data});
    return std::move(out_);
  }

 private:
  [[noreturn]] void error(size_t pos, const std::string& at, const std::string& why) {
    fail(Code::InvalidArgument,
         fmt::format("template: {}: executing \"{}\" at <{}>: {}", location(ast_, pos), ast_.name, at, why));
  }

  void emit(const std::string& s) {
    if (out_.size() + s.size() > kMaxOutput) fail(Code::InvalidArgument, "template: output is too large");
    out_ += s;
  }

  void walk(const std::vector<Node>& list, const Value& dot) {
    if (++depth_ > kMaxDepth) fail(Code::InvalidArgument, "template: nesting is too deep");
    for (const auto& n : list) walk(n, dot);
    --depth_;
  }

  void walk(const Node& n, const Value& dot) {
    switch (n.kind) {
      case NodeKind::Text:
        emit(n.text);
        break;
      case NodeKind::Action: {
        Value v = pipeline(n.pipe, dot);
        if (n.pipe.decl.empty()) emit(print(v));
        break;
      }
      case NodeKind::If:
      case NodeKind::With: {
        size_t mark = vars_.size();
        Value v = pipeline(n.pipe, dot);
        bool yes = !v.missing && truth(v.v);
        if (yes)
          walk(n.list, n.kind == NodeKind::With ? v : dot);
        else
          walk(n.else_list, dot);
        vars_.resize(mark);
        break;
      }
      case NodeKind::Range:
        range(n, dot);
        break;
      case NodeKind::Break:
        throw BreakSignal{};
      case NodeKind::Continue:
        throw ContinueSignal{};
    }
  }

  void range(const Node& n, const Value& dot) {
    size_t mark = vars_.size();
    Value v = pipeline(n.pipe, dot);
    const size_t nvars = n.pipe.decl.size();
    const size_t first_var = vars_.size() - (n.pipe.assign ? 0 : nvars);
    // pipeline() declared the range variables (bound to the whole value); each iteration
    // rebinds them: one variable is the element, two are key/index and element.
    auto iteration = [&](const json& key, const json& elem) -> bool {
      if (nvars > 0) {
        if (n.pipe.assign) {
          set_var(n.pipe.decl[nvars - 1], Value{elem}, n.pipe.pos);
          if (nvars == 2) set_var(n.pipe.decl[0], Value{key}, n.pipe.pos);
        } else {
          vars_[first_var + nvars - 1].second = Value{elem};
          if (nvars == 2) vars_[first_var].second = Value{key};
        }
      }
      size_t inner = vars_.size();
      try {
        walk(n.list, Value{elem});
      } catch (const BreakSignal&) {
        vars_.resize(inner);
        return false;
      } catch (const ContinueSignal&) {
      }
      vars_.resize(inner);
      return true;
    };
    bool any = false;
    const json& val = v.v;
    if (v.missing || val.is_null()) {
      // Go: nothing to iterate over is not an error.
    } else if (val.is_array()) {
      for (size_t i = 0; i < val.size(); ++i) {
        any = true;
        if (!iteration(json(i), val[i])) break;
      }
    } else if (val.is_object()) {
      for (auto it = val.begin(); it != val.end(); ++it) {  // keys sorted, as Go ranges over maps
        any = true;
        if (!iteration(json(it.key()), it.value())) break;
      }
    } else if (val.is_number_integer() || val.is_number_unsigned()) {
      if (nvars > 1) error(n.pos, n.pipe.text, "can't use integer range with two variables");
      int64_t count = val.get<int64_t>();
      for (int64_t i = 0; i < count; ++i) {
        any = true;
        if (!iteration(json(i), json(i))) break;
      }
    } else {
      error(n.pos, n.pipe.text, fmt::format("range can't iterate over {}", print(v)));
    }
    if (!any) walk(n.else_list, dot);
    vars_.resize(mark);
  }

  Value pipeline(const Pipeline& p, const Value& dot) {
    Value v;
    bool have = false;
    for (const auto& c : p.cmds) {
      v = command(c, dot, have ? &v : nullptr);
      have = true;
    }
    // Go: a nil interface result is an invalid value ("<no value>").
    if (v.v.is_null()) v.missing = true;
    for (const auto& name : p.decl) {
      if (p.assign)
        set_var(name, v, p.pos);
      else
        vars_.push_back({name, v});
    }
    return v;
  }

  Value command(const Command& c, const Value& dot, const Value* final) {
    const Arg& first = c.args[0];
    bool has_args = c.args.size() > 1 || final;
    switch (first.kind) {
      case ArgKind::Field:
        return fields(dot, first, first.fields, has_args);
      case ArgKind::Variable:
        return fields(var(first), first, first.fields, has_args);
      case ArgKind::Pipe: {
        Value base = pipeline(*first.pipe, dot);
        return fields(base, first, first.fields, has_args);
      }
      case ArgKind::Function:
        return call(first, c, dot, final);
      case ArgKind::Nil:
        error(first.pos, first.text, "nil is not a command");
      default:
        if (has_args)
          error(first.pos, first.text, fmt::format("can't give argument to non-function {}", first.text));
        return arg(first, dot);
    }
  }

  // Field chain from `base`; a field with arguments is a method call, which JSON has not.
  Value fields(Value base, const Arg& a, const std::vector<std::string>& names, bool has_args) {
    for (size_t k = 0; k < names.size(); ++k) {
      const std::string& f = names[k];
      if (has_args && k + 1 == names.size())
        error(a.pos, a.text, fmt::format("{} is not a method but has arguments", f));
      if (base.missing) continue;  // Go: a field of a missing map entry is missing too
      const json& v = base.v;
      if (v.is_object()) {
        auto it = v.find(f);
        if (it == v.end()) {
          if (options_.unknown_field_is_error)
            error(a.pos, a.text, fmt::format("can't evaluate field {} in type {}", f, go_type_name(v)));
          base = Value{json(nullptr), true};
        } else {
          base = Value{*it};
        }
      } else if (v.is_null()) {
        error(a.pos, a.text, fmt::format("nil pointer evaluating interface {{}}.{}", f));
      } else {
        error(a.pos, a.text, fmt::format("can't evaluate field {} in type {}", f, go_type_name(v)));
      }
    }
    if (names.empty() && has_args && (a.kind == ArgKind::Variable || a.kind == ArgKind::Pipe))
      error(a.pos, a.text, fmt::format("can't give argument to non-function {}", a.text));
    return base;
  }

  Value var(const Arg& a) {
    for (auto it = vars_.rbegin(); it != vars_.rend(); ++it)
      if (it->first == a.name) return it->second;
    error(a.pos, a.text, fmt::format("undefined variable: {}", a.name));
  }

  void set_var(const std::string& name, const Value& v, size_t pos) {
    for (auto it = vars_.rbegin(); it != vars_.rend(); ++it)
      if (it->first == name) {
        it->second = v;
        return;
      }
    error(pos, name, fmt::format("undefined variable: {}", name));
  }

  // An argument of a function call.
  Value arg(const Arg& a, const Value& dot) {
    switch (a.kind) {
      case ArgKind::Field:
        return fields(dot, a, a.fields, false);
      case ArgKind::Variable:
        return fields(var(a), a, a.fields, false);
      case ArgKind::Dot:
        return dot;
      case ArgKind::Nil:
        return Value{json(nullptr)};
      case ArgKind::Bool:
        return Value{json(a.boolean)};
      case ArgKind::Number:
        return Value{a.is_int ? json(a.i) : json(a.f)};
      case ArgKind::String:
        return Value{json(a.name)};
      case ArgKind::Pipe:
        return fields(pipeline(*a.pipe, dot), a, a.fields, false);
      case ArgKind::Function: {
        Command c;
        c.pos = a.pos;
        c.args = {a};
        return call(a, c, dot, nullptr);
      }
    }
    return {};
  }

  Value call(const Arg& fn, const Command& c, const Value& dot, const Value* final) {
    const std::string& name = fn.name;
    auto value_of = [&](size_t k) -> json {
      Value v = k < c.args.size() ? arg(c.args[k], dot) : *final;
      return v.missing ? json(nullptr) : v.v;
    };
    size_t nargs = c.args.size() - 1 + (final ? 1 : 0);
    if (name == "and" || name == "or") {
      // Go 1.18+: evaluation stops at the first argument that decides the result.
      if (nargs == 0)
        error(fn.pos, c.text, fmt::format("wrong number of args for {}: want at least 1 got 0", name));
      json v;
      for (size_t k = 1; k <= nargs; ++k) {
        v = value_of(k);
        if (truth(v) == (name == "or")) break;
      }
      return Value{v};
    }
    std::vector<json> args;
    for (size_t k = 1; k <= nargs; ++k) args.push_back(value_of(k));
    try {
      return Value{call_builtin(name, args)};
    } catch (const FuncError& e) {
      error(fn.pos, c.text, e.plain ? e.message : fmt::format("error calling {}: {}", name, e.message));
    }
  }

  // text/template's printValue: a missing value or nil prints "<no value>".
  static std::string print(const Value& v) {
    if (v.missing || v.v.is_null()) return "<no value>";
    return sprint_value(v.v);
  }

  const TemplateAst& ast_;
  RenderOptions options_;
  std::string out_;
  std::vector<std::pair<std::string, Value>> vars_;
  int depth_ = 0;
};

}  // namespace

std::string render_template(const TemplateAst& ast, const json& data, const RenderOptions& options) {
  if (!ast.root) return "";
  Exec ex(ast, options);
  return ex.run(data);
}

}  // namespace machine::cli
