// text/template's builtin functions and Go's value printing, for JSON-decoded data: what
// fmt.Sprint/Sprintf/Sprintln, html/js/urlquery escaping, comparisons, index/slice/len and
// docker-machine's json/prettyjson produce in Go (our own code).
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <set>

#include "cli/template_ast.h"

namespace machine::cli::tmpl {
namespace {
using json = nlohmann::json;

[[noreturn]] void fail_call(std::string message) { throw FuncError{std::move(message), false}; }

void want_args(const std::string& name, const std::vector<json>& args, size_t n) {
  if (args.size() != n)
    throw FuncError{fmt::format("wrong number of args for {}: want {} got {}", name, n, args.size()), true};
}

bool is_number(const json& v) { return v.is_number(); }
bool is_intlike(const json& v) { return v.is_number_integer() || v.is_number_unsigned(); }

// strconv.FormatFloat(f, 'g', -1, 64), what %v prints: shortest digits, exponent form below
// 1e-4 and from 1e+06 (Go prints float64(1000000) as 1e+06).
std::string go_float(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
  std::string sci(buf, r.ptr);  // "-1.5e+06"
  size_t e = sci.find('e');
  int exp = std::stoi(sci.substr(e + 1));
  if (exp < -4 || exp >= 6) {
    std::string mant = sci.substr(0, e), ex = sci.substr(e + 1);
    std::string sign = ex[0] == '-' ? "-" : "+";
    std::string digits = ex.substr(1);
    while (digits.size() > 2 && digits[0] == '0') digits.erase(0, 1);
    if (digits.size() < 2) digits = "0" + digits;
    return mant + "e" + sign + digits;
  }
  r = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::fixed);
  return std::string(buf, r.ptr);
}

std::string int_text(const json& v) {
  return v.is_number_unsigned() ? std::to_string(v.get<uint64_t>()) : std::to_string(v.get<int64_t>());
}

double as_double(const json& v) { return v.get<double>(); }

// Go's encoding/json escapes <, > and & even in strings; keep `json` output identical.
std::string go_json(const json& v, int indent) {
  std::string s = v.dump(indent, ' ', false, json::error_handler_t::replace);
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == '<')
      out += "\\u003c";
    else if (c == '>')
      out += "\\u003e";
    else if (c == '&')
      out += "\\u0026";
    else
      out += c;
  }
  return out;
}

// fmt.Sprint: a space between operands when neither side is a string.
std::string sprint(const std::vector<json>& args) {
  std::string out;
  for (size_t i = 0; i < args.size(); ++i) {
    if (i > 0 && !args[i].is_string() && !args[i - 1].is_string()) out += ' ';
    out += sprint_value(args[i]);
  }
  return out;
}

std::string sprintln(const std::vector<json>& args) {
  std::string out;
  for (size_t i = 0; i < args.size(); ++i) out += (i ? " " : "") + sprint_value(args[i]);
  return out + "\n";
}

// html/template-free escapers of text/template (HTMLEscapeString, JSEscapeString, QueryEscape).
std::string eval_args(const std::vector<json>& args) {
  if (args.size() == 1 && args[0].is_string()) return args[0].get<std::string>();
  return sprint(args);
}

std::string html_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '\'':
        out += "&#39;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&#34;";
        break;
      case '\0':
        out += "\uFFFD";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string js_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\'':
        out += "\\'";
        break;
      case '"':
        out += "\\\"";
        break;
      case '<':
        out += "\\u003C";
        break;
      case '>':
        out += "\\u003E";
        break;
      case '&':
        out += "\\u0026";
        break;
      case '=':
        out += "\\u003D";
        break;
      case '`':
        out += "\\u0060";
        break;
      default:
        if (u < ' ')
          out += fmt::format("\\u{:04X}", u);
        else
          out += c;
    }
  }
  return out;
}

std::string url_query_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '_' || c == '.' || c == '~')
      out += c;
    else if (c == ' ')
      out += '+';
    else
      out += fmt::format("%{:02X}", u);
  }
  return out;
}

// strconv.Quote (ASCII-printable kept, the rest escaped; UTF-8 passed through).
std::string go_quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\a':
        out += "\\a";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\v':
        out += "\\v";
        break;
      default:
        if (u < ' ' || u == 0x7f)
          out += fmt::format("\\x{:02x}", u);
        else
          out += c;
    }
  }
  return out + "\"";
}

// ---- printf ----
struct Spec {
  bool minus = false, plus = false, zero = false, space = false, sharp = false;
  int width = -1, prec = -1;
};

std::string pad(std::string s, const Spec& sp, bool numeric) {
  if (sp.width < 0 || static_cast<int>(s.size()) >= sp.width) return s;
  size_t n = static_cast<size_t>(sp.width) - s.size();
  if (sp.minus) return s + std::string(n, ' ');
  if (sp.zero && numeric) {
    size_t sign = !s.empty() && (s[0] == '-' || s[0] == '+' || s[0] == ' ') ? 1 : 0;
    return s.substr(0, sign) + std::string(n, '0') + s.substr(sign);
  }
  return std::string(n, ' ') + s;
}

std::string bad_verb(char verb, const json& v) {
  return fmt::format("%!{}({}={})", verb, go_type_name(v), sprint_value(v));
}

std::string signed_text(std::string digits, bool neg, const Spec& sp) {
  if (neg) return "-" + digits;
  if (sp.plus) return "+" + digits;
  if (sp.space) return " " + digits;
  return digits;
}

std::string format_one(char verb, const Spec& sp, const json& v) {
  switch (verb) {
    case 'v':
      return pad(sprint_value(v), sp, false);
    case 's':
      if (v.is_string()) {
        std::string s = v.get<std::string>();
        if (sp.prec >= 0 && static_cast<size_t>(sp.prec) < s.size()) s.resize(static_cast<size_t>(sp.prec));
        return pad(s, sp, false);
      }
      if (v.is_array() || v.is_object()) return pad(sprint_value(v), sp, false);
      return bad_verb(verb, v);
    case 'q':
      if (v.is_string()) return pad(go_quote(v.get<std::string>()), sp, false);
      if (is_intlike(v)) {
        std::string ch;
        int64_t c = v.get<int64_t>();
        if (c >= 0x20 && c < 0x7f)
          ch = c == '\'' ? "\\'" : c == '\\' ? "\\\\" : std::string(1, static_cast<char>(c));
        else
          ch = fmt::format("\\x{:02x}", c & 0xff);
        return pad("'" + ch + "'", sp, false);
      }
      return bad_verb(verb, v);
    case 't':
      if (v.is_boolean()) return pad(v.get<bool>() ? "true" : "false", sp, false);
      return bad_verb(verb, v);
    case 'd':
    case 'x':
    case 'X':
    case 'o':
    case 'b':
    case 'c': {
      if (verb == 'x' || verb == 'X') {
        if (v.is_string()) {
          std::string out;
          for (char c : v.get<std::string>())
            out += verb == 'x' ? fmt::format("{:02x}", static_cast<unsigned char>(c))
                               : fmt::format("{:02X}", static_cast<unsigned char>(c));
          return pad(out, sp, false);
        }
      }
      if (!is_intlike(v)) return bad_verb(verb, v);
      if (verb == 'c') {
        int64_t c = v.get<int64_t>();
        return pad(c >= 0 && c < 0x80 ? std::string(1, static_cast<char>(c)) : "\uFFFD", sp, false);
      }
      bool neg = v.is_number_integer() && v.get<int64_t>() < 0;
      uint64_t mag = v.is_number_unsigned() ? v.get<uint64_t>()
                     : neg ? static_cast<uint64_t>(0) - static_cast<uint64_t>(v.get<int64_t>())
                           : static_cast<uint64_t>(v.get<int64_t>());
      std::string digits = verb == 'd'   ? fmt::format("{}", mag)
                           : verb == 'x' ? fmt::format("{:x}", mag)
                           : verb == 'X' ? fmt::format("{:X}", mag)
                           : verb == 'o' ? fmt::format("{:o}", mag)
                                         : fmt::format("{:b}", mag);
      if (sp.sharp && verb == 'x') digits = "0x" + digits;
      if (sp.sharp && verb == 'X') digits = "0X" + digits;
      if (sp.sharp && verb == 'o') digits = "0" + digits;
      if (sp.prec >= 0 && static_cast<int>(digits.size()) < sp.prec)
        digits = std::string(static_cast<size_t>(sp.prec) - digits.size(), '0') + digits;
      return pad(signed_text(digits, neg, sp), sp, sp.prec < 0);
    }
    case 'f':
    case 'F':
    case 'e':
    case 'E':
    case 'g':
    case 'G': {
      if (!is_number(v)) return bad_verb(verb, v);
      double d = as_double(v);
      std::string s;
      if (verb == 'g' || verb == 'G') {
        s = sp.prec < 0 ? go_float(std::fabs(d))
                        : fmt::format(fmt::runtime("{:." + std::to_string(sp.prec) + "g}"), std::fabs(d));
        if (verb == 'G') std::transform(s.begin(), s.end(), s.begin(), ::toupper);
      } else {
        int prec = sp.prec < 0 ? 6 : sp.prec;
        char f = verb == 'F' ? 'f' : verb;
        s = fmt::format(fmt::runtime("{:." + std::to_string(prec) + f + "}"), std::fabs(d));
      }
      return pad(signed_text(s, std::signbit(d), sp), sp, true);
    }
    default:
      return fmt::format("%!{}({}={})", verb, go_type_name(v), sprint_value(v));
  }
}

std::string go_sprintf(const std::string& format, const std::vector<json>& args) {
  std::string out;
  size_t argi = 0;
  for (size_t i = 0; i < format.size(); ++i) {
    char c = format[i];
    if (c != '%') {
      out += c;
      continue;
    }
    if (i + 1 >= format.size()) {
      out += "%!(NOVERB)";
      break;
    }
    Spec sp;
    ++i;
    for (; i < format.size(); ++i) {
      char f = format[i];
      if (f == '-')
        sp.minus = true;
      else if (f == '+')
        sp.plus = true;
      else if (f == '0')
        sp.zero = !sp.minus;
      else if (f == ' ')
        sp.space = true;
      else if (f == '#')
        sp.sharp = true;
      else
        break;
    }
    auto number = [&](int& dst) {
      if (i < format.size() && format[i] == '*') {
        ++i;
        if (argi < args.size() && is_intlike(args[argi]))
          dst = static_cast<int>(args[argi++].get<int64_t>());
        else
          out += "%!(BADWIDTH)";
        return;
      }
      int n = -1;
      while (i < format.size() && std::isdigit(static_cast<unsigned char>(format[i])) && n < 100000)
        n = (n < 0 ? 0 : n * 10) + (format[i++] - '0');
      dst = n;
    };
    number(sp.width);
    if (sp.width < -1) {  // negative width from * means left-justify
      sp.minus = true;
      sp.width = -sp.width;
    }
    if (i < format.size() && format[i] == '.') {
      ++i;
      number(sp.prec);
      if (sp.prec < 0) sp.prec = 0;
    }
    if (i >= format.size()) {
      out += "%!(NOVERB)";
      break;
    }
    char verb = format[i];
    if (verb == '%') {
      out += '%';
      continue;
    }
    if (argi >= args.size()) {
      out += fmt::format("%!{}(MISSING)", verb);
      continue;
    }
    out += format_one(verb, sp, args[argi++]);
  }
  if (argi < args.size()) {
    out += "%!(EXTRA ";
    for (size_t k = argi; k < args.size(); ++k)
      out += (k > argi ? ", " : "") + go_type_name(args[k]) + "=" + sprint_value(args[k]);
    out += ")";
  }
  return out;
}

// ---- comparisons (Go 1.18+ eq/lt semantics on basic kinds) ----
enum class Kind { Bool, Number, String, Nil, Other };
Kind kind_of(const json& v) {
  if (v.is_boolean()) return Kind::Bool;
  if (v.is_number()) return Kind::Number;
  if (v.is_string()) return Kind::String;
  if (v.is_null()) return Kind::Nil;
  return Kind::Other;
}

bool equal(const json& a, const json& b) {
  Kind ka = kind_of(a), kb = kind_of(b);
  if (ka == Kind::Other || kb == Kind::Other) fail_call("non-comparable type");
  if (ka == Kind::Nil || kb == Kind::Nil) return ka == kb;
  if (ka != kb) fail_call("incompatible types for comparison");
  if (ka == Kind::Number) {
    if (is_intlike(a) && is_intlike(b)) return a == b;
    return as_double(a) == as_double(b);
  }
  return a == b;
}

bool less(const json& a, const json& b) {
  Kind ka = kind_of(a), kb = kind_of(b);
  if (ka == Kind::Bool || ka == Kind::Nil || ka == Kind::Other || kb == Kind::Bool || kb == Kind::Nil ||
      kb == Kind::Other)
    fail_call("invalid type for comparison");
  if (ka != kb) fail_call("incompatible types for comparison");
  if (ka == Kind::String) return a.get<std::string>() < b.get<std::string>();
  if (a.is_number_integer() && b.is_number_integer()) return a.get<int64_t>() < b.get<int64_t>();
  return as_double(a) < as_double(b);
}

int64_t index_arg(const json& v, const std::string& what) {
  if (!is_intlike(v)) fail_call(fmt::format("cannot index slice/array with type {}", go_type_name(v)));
  (void)what;
  return v.get<int64_t>();
}

json index_fn(const std::vector<json>& args) {
  if (args.empty()) throw FuncError{"wrong number of args for index: want at least 1 got 0", true};
  json item = args[0];
  for (size_t k = 1; k < args.size(); ++k) {
    const json& ix = args[k];
    if (item.is_null()) fail_call("index of untyped nil");
    if (item.is_array() || item.is_string()) {
      int64_t i = index_arg(ix, "index");
      int64_t n = item.is_array() ? static_cast<int64_t>(item.size())
                                  : static_cast<int64_t>(item.get<std::string>().size());
      if (i < 0 || i >= n) fail_call(fmt::format("index out of range: {}", i));
      item = item.is_array()
                 ? json(item[static_cast<size_t>(i)])
                 : json(static_cast<unsigned char>(item.get<std::string>()[static_cast<size_t>(i)]));
    } else if (item.is_object()) {
      if (!ix.is_string()) fail_call(fmt::format("value has type {}; should be string", go_type_name(ix)));
      auto it = item.find(ix.get<std::string>());
      item = it == item.end() ? json(nullptr) : *it;
    } else {
      fail_call(fmt::format("can't index item of type {}", go_type_name(item)));
    }
  }
  return item;
}

json slice_fn(const std::vector<json>& args) {
  if (args.empty()) throw FuncError{"wrong number of args for slice: want at least 1 got 0", true};
  const json& item = args[0];
  if (item.is_null()) fail_call("slice of untyped nil");
  if (!item.is_array() && !item.is_string())
    fail_call(fmt::format("can't slice item of type {}", go_type_name(item)));
  if (args.size() > 4) fail_call(fmt::format("too many slice indexes: {}", args.size() - 1));
  if (item.is_string() && args.size() == 4) fail_call("cannot 3-index slice a string");
  int64_t len = item.is_array() ? static_cast<int64_t>(item.size())
                                : static_cast<int64_t>(item.get<std::string>().size());
  int64_t idx[3] = {0, len, len};
  for (size_t k = 1; k < args.size(); ++k) {
    idx[k - 1] = index_arg(args[k], "slice");
    if (idx[k - 1] < 0 || idx[k - 1] > len) fail_call(fmt::format("index out of range: {}", idx[k - 1]));
  }
  if (idx[0] > idx[1]) fail_call(fmt::format("invalid slice index: {} > {}", idx[0], idx[1]));
  if (args.size() == 4 && idx[1] > idx[2])
    fail_call(fmt::format("invalid slice index: {} > {}", idx[1], idx[2]));
  if (item.is_string())
    return item.get<std::string>().substr(static_cast<size_t>(idx[0]), static_cast<size_t>(idx[1] - idx[0]));
  json out = json::array();
  for (int64_t i = idx[0]; i < idx[1]; ++i) out.push_back(item[static_cast<size_t>(i)]);
  return out;
}

}  // namespace

std::string go_type_name(const json& v) {
  switch (v.type()) {
    case json::value_t::object:
      return "map[string]interface {}";
    case json::value_t::array:
      return "[]interface {}";
    case json::value_t::string:
      return "string";
    case json::value_t::boolean:
      return "bool";
    case json::value_t::number_float:
      return "float64";
    case json::value_t::number_integer:
      return "int";
    case json::value_t::number_unsigned:
      return "int";
    case json::value_t::null:
      return "<nil>";
    default:
      return "interface {}";
  }
}

std::string sprint_value(const json& v) {
  switch (v.type()) {
    case json::value_t::null:
      return "<nil>";
    case json::value_t::string:
      return v.get<std::string>();
    case json::value_t::boolean:
      return v.get<bool>() ? "true" : "false";
    case json::value_t::number_float:
      return go_float(v.get<double>());
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
      return int_text(v);
    case json::value_t::array: {
      std::string s = "[";
      for (size_t i = 0; i < v.size(); ++i) s += (i ? " " : "") + sprint_value(v[i]);
      return s + "]";
    }
    case json::value_t::object: {
      std::string s = "map[";
      bool first = true;
      for (auto it = v.begin(); it != v.end(); ++it) {  // nlohmann::json keeps keys sorted, as fmt does
        s += (first ? "" : " ") + it.key() + ":" + sprint_value(it.value());
        first = false;
      }
      return s + "]";
    }
    default:
      return v.dump();
  }
}

bool truth(const json& v) {
  switch (v.type()) {
    case json::value_t::null:
      return false;
    case json::value_t::boolean:
      return v.get<bool>();
    case json::value_t::string:
      return !v.get_ref<const std::string&>().empty();  // json::empty() is false for strings
    case json::value_t::array:
    case json::value_t::object:
      return !v.empty();
    case json::value_t::number_float:
      return v.get<double>() != 0;
    case json::value_t::number_unsigned:
      return v.get<uint64_t>() != 0;
    case json::value_t::number_integer:
      return v.get<int64_t>() != 0;
    default:
      return true;
  }
}

bool is_builtin_function(const std::string& name) {
  static const std::set<std::string> names{
      "and", "or", "not", "len", "index", "slice", "print", "printf",   "println", "eq",
      "ne",  "lt", "le",  "gt",  "ge",    "html",  "js",    "urlquery", "json",    "prettyjson"};
  return names.count(name) > 0;
}

json call_builtin(const std::string& name, const std::vector<json>& args) {
  if (name == "not") {
    want_args(name, args, 1);
    return !truth(args[0]);
  }
  if (name == "len") {
    want_args(name, args, 1);
    const json& v = args[0];
    if (v.is_string()) return v.get<std::string>().size();
    if (v.is_array() || v.is_object()) return v.size();
    fail_call(v.is_null() ? "len of nil pointer" : fmt::format("len of type {}", go_type_name(v)));
  }
  if (name == "index") return index_fn(args);
  if (name == "slice") return slice_fn(args);
  if (name == "print") return sprint(args);
  if (name == "println") return sprintln(args);
  if (name == "printf") {
    if (args.empty() || !args[0].is_string())
      throw FuncError{
          args.empty() ? "wrong number of args for printf: want at least 1 got 0"
                       : fmt::format("wrong type for value; expected string; got {}", go_type_name(args[0])),
          true};
    return go_sprintf(args[0].get<std::string>(), std::vector<json>(args.begin() + 1, args.end()));
  }
  if (name == "html") return html_escape(eval_args(args));
  if (name == "js") return js_escape(eval_args(args));
  if (name == "urlquery") return url_query_escape(eval_args(args));
  if (name == "json" || name == "prettyjson") {
    want_args(name, args, 1);
    return go_json(args[0], name == "json" ? -1 : 4);
  }
  if (name == "eq") {
    if (args.size() < 2) fail_call("missing argument for comparison");
    for (size_t k = 1; k < args.size(); ++k)
      if (equal(args[0], args[k])) return true;
    return false;
  }
  if (name == "ne" || name == "lt" || name == "le" || name == "gt" || name == "ge") {
    want_args(name, args, 2);
    const json &a = args[0], &b = args[1];
    if (name == "ne") return !equal(a, b);
    if (name == "lt") return less(a, b);
    if (name == "le") return less(a, b) || equal(a, b);
    if (name == "gt") return !less(a, b) && !equal(a, b);
    return !less(a, b);
  }
  fail_call(fmt::format("function \"{}\" not defined", name));
}

}  // namespace machine::cli::tmpl
