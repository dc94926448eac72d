#include "cli/template.h"

#include <fmt/format.h>

#include <cctype>
#include <vector>

#include "machine/error.h"

namespace machine::cli {

using nlohmann::json;

namespace {

struct Position {
  int line = 1;
  int col = 0;  // byte offset in the line, as Go reports it
};

// One command of a pipeline: a function with arguments, or a lone operand.
struct Operand {
  bool is_literal = false;
  std::string literal;
  std::vector<std::string> fields;  // empty: "." itself
  std::string text;                 // as written, for error messages
  Position pos;
};

struct Command {
  std::string function;  // empty: the operand alone
  std::vector<Operand> args;
};

struct Pipeline {
  std::vector<Command> commands;
};

}  // namespace

struct Template::Node {
  enum class Kind { List, Text, Action, If, Range };
  Kind kind = Kind::List;
  std::string text;
  Pipeline pipe;
  std::vector<Node> children;       // List; If/Range: the main branch
  std::vector<Node> else_children;  // If/Range: the else branch
};

namespace {

[[noreturn]] void parse_error(const Position& pos, const std::string& why) {
  fail(Code::InvalidArgument, fmt::format("template: :{}: {}", pos.line, why));
}

Position position_of(std::string_view text, size_t offset) {
  Position p;
  size_t line_start = 0;
  for (size_t i = 0; i < offset && i < text.size(); ++i)
    if (text[i] == '\n') {
      ++p.line;
      line_start = i + 1;
    }
  p.col = static_cast<int>(offset - line_start);
  return p;
}

struct Item {
  bool is_action = false;
  std::string text;  // literal text, or the action body (trimmed)
  Position pos;      // of the action body
};

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::vector<Item> lex(std::string_view src) {
  std::vector<Item> items;
  size_t i = 0;
  bool trim_next = false;
  while (i <= src.size()) {
    size_t open = src.find("{{", i);
    std::string text(src.substr(i, open == std::string_view::npos ? std::string_view::npos : open - i));
    if (trim_next) {
      size_t k = 0;
      while (k < text.size() && is_space(text[k])) ++k;
      text.erase(0, k);
      trim_next = false;
    }
    if (open == std::string_view::npos) {
      if (!text.empty()) items.push_back({false, text, {}});
      break;
    }
    size_t body = open + 2;
    if (src.compare(body, 2, "- ") == 0) {
      while (!text.empty() && is_space(text.back())) text.pop_back();
      body += 2;
    }
    if (!text.empty()) items.push_back({false, text, {}});
    size_t close = src.find("}}", body);
    if (close == std::string_view::npos) parse_error(position_of(src, open), "unclosed action");
    size_t end = close;
    if (end >= body + 2 && src.compare(end - 2, 2, " -") == 0) {
      trim_next = true;
      end -= 2;
    }
    size_t b = body, e = end;
    while (b < e && is_space(src[b])) ++b;
    while (e > b && is_space(src[e - 1])) --e;
    items.push_back({true, std::string(src.substr(b, e - b)), position_of(src, b)});
    i = close + 2;
  }
  return items;
}

Operand parse_operand(const std::string& word, Position pos) {
  Operand op;
  op.text = word;
  op.pos = pos;
  if (word.size() >= 2 && word.front() == '"' && word.back() == '"') {
    op.is_literal = true;
    op.literal = word.substr(1, word.size() - 2);
    return op;
  }
  if (word == ".") return op;
  if (word.empty() || word[0] != '.') parse_error(pos, fmt::format("function \"{}\" not defined", word));
  size_t start = 1;
  while (start <= word.size()) {
    size_t dot = word.find('.', start);
    std::string field = word.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (field.empty()) parse_error(pos, fmt::format("bad field in \"{}\"", word));
    for (char c : field)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_')
        parse_error(pos, fmt::format("bad character '{}' in \"{}\"", c, word));
    op.fields.push_back(field);
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return op;
}

bool is_function(const std::string& w) { return w == "json" || w == "prettyjson" || w == "len"; }

// Splits an action body into words, keeping quoted strings whole.
std::vector<std::pair<std::string, int>> words_of(const std::string& body, Position pos) {
  std::vector<std::pair<std::string, int>> words;
  size_t i = 0;
  while (i < body.size()) {
    if (is_space(body[i])) {
      ++i;
      continue;
    }
    size_t start = i;
    if (body[i] == '"') {
      size_t close = body.find('"', i + 1);
      if (close == std::string::npos) parse_error(pos, "unterminated quoted string");
      i = close + 1;
    } else if (body[i] == '|') {
      ++i;
    } else {
      while (i < body.size() && !is_space(body[i]) && body[i] != '|') ++i;
    }
    words.emplace_back(body.substr(start, i - start), static_cast<int>(start));
  }
  return words;
}

Pipeline parse_pipeline(const std::string& body, Position pos) {
  if (body.empty()) parse_error(pos, "missing value for command");
  Pipeline pipe;
  Command cmd;
  bool fresh = true;
  for (auto& [word, offset] : words_of(body, pos)) {
    Position wpos{pos.line, pos.col + offset};
    if (word == "|") {
      if (fresh) parse_error(wpos, "missing command before |");
      pipe.commands.push_back(std::move(cmd));
      cmd = Command{};
      fresh = true;
      continue;
    }
    if (fresh && is_function(word)) {
      cmd.function = word;
    } else {
      if (!cmd.function.empty() || fresh) {
        cmd.args.push_back(parse_operand(word, wpos));
      } else {
        parse_error(wpos, fmt::format("unexpected {} in operand", word));
      }
    }
    fresh = false;
  }
  if (fresh) parse_error(pos, "missing command after |");
  pipe.commands.push_back(std::move(cmd));
  for (size_t k = 0; k < pipe.commands.size(); ++k) {
    const auto& c = pipe.commands[k];
    size_t want = (k == 0) ? 1 : 0;  // later commands receive the piped value
    if (c.function.empty() && k > 0) parse_error(pos, "non executable command in pipeline stage 2");
    if (!c.function.empty() && c.args.size() != want)
      parse_error(pos, fmt::format("wrong number of args for {}: want 1 got {}", c.function,
                                   c.args.size() + (k > 0 ? 1 : 0)));
  }
  return pipe;
}

class Parser {
 public:
  explicit Parser(std::vector<Item> items) : items_(std::move(items)) {}

  Template::Node parse_all() {
    Template::Node root;
    std::string stop = parse_list(root.children);
    if (!stop.empty()) parse_error(last_pos_, fmt::format("unexpected {{{{{}}}}}", stop));
    return root;
  }

 private:
  // Parses nodes until {{end}} / {{else}} (returned) or the end of input ("").
  std::string parse_list(std::vector<Template::Node>& out) {
    while (next_ < items_.size()) {
      const Item& it = items_[next_++];
      last_pos_ = it.pos;
      if (!it.is_action) {
        Template::Node n;
        n.kind = Template::Node::Kind::Text;
        n.text = it.text;
        out.push_back(std::move(n));
        continue;
      }
      if (it.text == "end" || it.text == "else") return it.text;
      if (it.text.rfind("/*", 0) == 0) continue;  // comment
      bool is_if = it.text.rfind("if ", 0) == 0;
      bool is_range = it.text.rfind("range ", 0) == 0;
      Template::Node n;
      if (is_if || is_range) {
        n.kind = is_if ? Template::Node::Kind::If : Template::Node::Kind::Range;
        size_t skip = is_if ? 3 : 6;
        Position p{it.pos.line, it.pos.col + static_cast<int>(skip)};
        n.pipe = parse_pipeline(it.text.substr(skip), p);
        std::string stop = parse_list(n.children);
        if (stop == "else") stop = parse_list(n.else_children);
        if (stop != "end") parse_error(it.pos, "unexpected EOF");
      } else {
        n.kind = Template::Node::Kind::Action;
        n.pipe = parse_pipeline(it.text, it.pos);
      }
      out.push_back(std::move(n));
    }
    return "";
  }

  std::vector<Item> items_;
  size_t next_ = 0;
  Position last_pos_;
};

std::string type_name(const json& v) {
  switch (v.type()) {
    case json::value_t::object: return "map[string]interface {}";
    case json::value_t::array: return "[]interface {}";
    case json::value_t::string: return "string";
    case json::value_t::boolean: return "bool";
    case json::value_t::number_float: return "float64";
    case json::value_t::null: return "<nil>";
    default: return "int";
  }
}

// Go's encoding/json escapes these even in strings; keep `json` output identical.
std::string go_json(const json& v, int indent) {
  std::string s = v.dump(indent);
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == '<') out += "\\u003c";
    else if (c == '>') out += "\\u003e";
    else if (c == '&') out += "\\u0026";
    else out += c;
  }
  return out;
}

std::string print_value(const json& v) {
  switch (v.type()) {
    case json::value_t::null: return "<no value>";
    case json::value_t::string: return v.get<std::string>();
    case json::value_t::boolean: return v.get<bool>() ? "true" : "false";
    case json::value_t::number_float: {
      double d = v.get<double>();
      if (d == static_cast<double>(static_cast<long long>(d)) && d < 1e21 && d > -1e21)
        return fmt::format("{}", static_cast<long long>(d));
      return fmt::format("{}", d);
    }
    case json::value_t::array: {
      std::string s = "[";
      for (size_t i = 0; i < v.size(); ++i) s += (i ? " " : "") + print_value(v[i]);
      return s + "]";
    }
    case json::value_t::object: {
      std::string s = "map[";
      bool first = true;
      for (auto it = v.begin(); it != v.end(); ++it) {
        s += (first ? "" : " ") + it.key() + ":" + print_value(it.value());
        first = false;
      }
      return s + "]";
    }
    default: return v.dump();
  }
}

bool truthy(const json& v) {
  switch (v.type()) {
    case json::value_t::null: return false;
    case json::value_t::boolean: return v.get<bool>();
    case json::value_t::string:
    case json::value_t::array:
    case json::value_t::object: return !v.empty();
    case json::value_t::number_float: return v.get<double>() != 0;
    default: return v.get<long long>() != 0;
  }
}

class Executor {
 public:
  std::string out;

  void run(const std::vector<Template::Node>& nodes, const json& dot) {
    for (const auto& n : nodes) run(n, dot);
  }

 private:
  void run(const Template::Node& n, const json& dot) {
    using K = Template::Node::Kind;
    switch (n.kind) {
      case K::List: run(n.children, dot); break;
      case K::Text: out += n.text; break;
      case K::Action: out += print_value(eval(n.pipe, dot)); break;
      case K::If: run(truthy(eval(n.pipe, dot)) ? n.children : n.else_children, dot); break;
      case K::Range: {
        json v = eval(n.pipe, dot);
        if (!truthy(v)) {
          run(n.else_children, dot);
        } else if (v.is_array() || v.is_object()) {
          for (const auto& e : v) run(n.children, e);
        } else {
          fail(Code::InvalidArgument, fmt::format("template: :{}: range can't iterate over {}",
                                                  n.pipe.commands[0].args[0].pos.line, print_value(v)));
        }
        break;
      }
    }
  }

  json operand(const Operand& op, const json& dot) {
    if (op.is_literal) return op.literal;
    const json* v = &dot;
    for (const auto& f : op.fields) {
      if (!v->is_object() || !v->contains(f))
        fail(Code::InvalidArgument,
             fmt::format("template: :{}:{}: executing \"\" at <{}>: can't evaluate field {} in type {}",
                         op.pos.line, op.pos.col, op.text, f, type_name(*v)));
      v = &(*v)[f];
    }
    return *v;
  }

  json eval(const Pipeline& p, const json& dot) {
    json value;
    for (size_t k = 0; k < p.commands.size(); ++k) {
      const Command& c = p.commands[k];
      json arg = k == 0 ? operand(c.args.at(0), dot) : value;
      if (c.function.empty()) value = arg;
      else if (c.function == "json") value = go_json(arg, -1);
      else if (c.function == "prettyjson") value = go_json(arg, 4);
      else if (c.function == "len") {
        if (!(arg.is_array() || arg.is_object() || arg.is_string()))
          fail(Code::InvalidArgument, fmt::format("template: error calling len: len of type {}", type_name(arg)));
        value = arg.is_string() ? arg.get<std::string>().size() : arg.size();
      }
    }
    return value;
  }
};

}  // namespace

Template Template::parse(std::string_view text) {
  Parser parser(lex(text));
  Template t;
  t.root_ = std::make_shared<const Node>(parser.parse_all());
  return t;
}

std::string Template::execute(const json& data) const {
  Executor ex;
  ex.run(root_->children, data);
  return std::move(ex.out);
}

std::string expand_escapes(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size() && (text[i + 1] == 't' || text[i + 1] == 'n')) {
      out += text[i + 1] == 't' ? '\t' : '\n';
      ++i;
    } else {
      out += text[i];
    }
  }
  return out;
}

}  // namespace machine::cli
