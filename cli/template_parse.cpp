// Lexer and parser for Go's text/template (parse/lex.go and parse/parse.go semantics, our
// own code): text and actions, trim markers, comments, pipelines, control structures.
#include <fmt/format.h>

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>

#include "cli/template_ast.h"
#include "machine/error.h"

namespace machine::cli {
namespace tmpl {

std::string location(const TemplateAst& ast, size_t pos) {
  pos = std::min(pos, ast.text.size());
  std::string_view before(ast.text.data(), pos);
  size_t line = 1;
  for (char c : before)
    if (c == '\n') ++line;
  size_t nl = before.rfind('\n');
  size_t col = nl == std::string_view::npos ? pos : pos - (nl + 1);
  return fmt::format("{}:{}:{}", ast.name, line, col);
}

}  // namespace tmpl

namespace {
using namespace tmpl;

enum class Tok {
  Eof,
  RightDelim,
  Field,
  Variable,
  Dot,
  Ident,
  String,
  Char,
  Number,
  Pipe,
  LParen,
  RParen,
  Declare,
  Assign,
  Comma
};

struct Token {
  Tok type = Tok::Eof;
  size_t pos = 0;
  std::string text;  // raw source text of the token
  bool space_before = false;
};

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
bool is_alnum(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || static_cast<unsigned char>(c) >= 0x80;
}

class Parser {
 public:
  explicit Parser(TemplateAst& ast) : ast_(ast), src_(ast.text) { vars_.push_back("$"); }

  std::vector<Node> parse_all() {
    std::vector<Node> list;
    std::string stop = parse_list(list);
    if (!stop.empty()) error(stop_pos_, fmt::format("unexpected {{{{{}}}}}", stop));
    return list;
  }

 private:
  // Nesting (parentheses, control structures) is bounded so hostile input cannot exhaust the stack.
  static constexpr int kMaxDepth = 200;
  struct DepthGuard {
    explicit DepthGuard(Parser& p) : parser(p) {
      if (++parser.depth_ > kMaxDepth) parser.error(parser.pos_, "nesting is too deep");
    }
    ~DepthGuard() { --parser.depth_; }
    Parser& parser;
  };

  // ---- errors ----
  [[noreturn]] void error(size_t pos, const std::string& why) {
    fail(Code::InvalidArgument, fmt::format("template: {}: {}", location(ast_, pos), why));
  }

  // ---- text level ----
  // Parses nodes into `list` until {{end}}, {{else ...}} (returned as "end" / "else") or the
  // end of input (""). For "else", pos_ is after the keyword, inside the action.
  std::string parse_list(std::vector<Node>& list) {
    for (;;) {
      size_t open = src_.find("{{", pos_);
      std::string_view text =
          src_.substr(pos_, open == std::string_view::npos ? std::string_view::npos : open - pos_);
      size_t text_pos = pos_;
      if (open == std::string_view::npos) {
        add_text(list, text, text_pos);
        pos_ = src_.size();
        return "";
      }
      bool trim_left = open + 3 < src_.size() + 1 && src_.substr(open + 2, 1) == "-" &&
                       open + 3 < src_.size() && is_space(src_[open + 3]);
      if (trim_left)
        while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
      add_text(list, text, text_pos);
      action_pos_ = open;
      pos_ = open + 2 + (trim_left ? 2 : 0);
      if (comment()) continue;
      Token t = peek_nonspace();
      if (t.type == Tok::Ident) {
        const std::string& w = t.text;
        if (w == "end" || w == "else") {
          next_nonspace();
          stop_pos_ = t.pos;
          if (w == "end") expect_right_delim("end");
          return w;
        }
        if (w == "if" || w == "with" || w == "range") {
          next_nonspace();
          list.push_back(control(w == "if"     ? NodeKind::If
                                 : w == "with" ? NodeKind::With
                                               : NodeKind::Range,
                                 t.pos));
          continue;
        }
        if (w == "break" || w == "continue") {
          next_nonspace();
          if (range_depth_ == 0) error(t.pos, fmt::format("{{{{{}}}}} outside {{{{range}}}}", w));
          expect_right_delim(w);
          Node n;
          n.kind = w == "break" ? NodeKind::Break : NodeKind::Continue;
          n.pos = t.pos;
          list.push_back(std::move(n));
          continue;
        }
        if (w == "define" || w == "template" || w == "block")
          error(t.pos, fmt::format("{{{{{}}}}} is not supported here (only single templates are)", w));
      }
      Node n;
      n.kind = NodeKind::Action;
      n.pos = t.pos;
      n.pipe = pipeline("command", Tok::RightDelim);
      if (n.pipe.decl.empty() && n.pipe.cmds.empty()) error(t.pos, "missing value for command");
      list.push_back(std::move(n));
    }
  }

  void add_text(std::vector<Node>& list, std::string_view text, size_t pos) {
    if (trim_next_text_) {
      size_t skip = 0;
      while (skip < text.size() && is_space(text[skip])) ++skip;
      text.remove_prefix(skip);
      pos += skip;
      trim_next_text_ = false;
    }
    if (text.empty()) return;
    Node n;
    n.kind = NodeKind::Text;
    n.pos = pos;
    n.text = std::string(text);
    list.push_back(std::move(n));
  }

  // {{/* ... */}} (with optional trim markers); true when one was consumed.
  bool comment() {
    if (src_.substr(pos_, 2) != "/*") return false;
    size_t end = src_.find("*/", pos_ + 2);
    if (end == std::string_view::npos) error(action_pos_, "unclosed comment");
    size_t after = end + 2;
    if (src_.substr(after, 3) == " -}") {
      trim_next_text_ = true;
      after += 2;
    }
    if (src_.substr(after, 2) != "}}") error(action_pos_, "comment ends before closing delimiter");
    pos_ = after + 2;
    return true;
  }

  // {{if|with|range pipeline}} list [{{else}} list | {{else if ...}}] {{end}}
  Node control(NodeKind kind, size_t pos) {
    DepthGuard guard(*this);
    Node n;
    n.kind = kind;
    n.pos = pos;
    size_t mark = vars_.size();
    const char* ctx = kind == NodeKind::If ? "if" : kind == NodeKind::With ? "with" : "range";
    n.pipe = pipeline(ctx, Tok::RightDelim);
    if (n.pipe.cmds.empty()) error(pos, fmt::format("missing value for {}", ctx));
    if (kind == NodeKind::Range) ++range_depth_;
    std::string stop = parse_list(n.list);
    if (kind == NodeKind::Range) --range_depth_;
    if (stop.empty()) error(src_.size(), fmt::format("unexpected EOF"));
    if (stop == "else") {
      Token t = peek_nonspace();
      if (kind != NodeKind::Range && t.type == Tok::Ident && (t.text == "if" || t.text == "with")) {
        // {{else if ...}} / {{else with ...}}: a nested control that shares our {{end}}.
        next_nonspace();
        n.else_list.push_back(control(t.text == "if" ? NodeKind::If : NodeKind::With, t.pos));
      } else {
        expect_right_delim("else");
        std::string stop2 = parse_list(n.else_list);
        if (stop2.empty()) error(src_.size(), "unexpected EOF");
        if (stop2 == "else") error(stop_pos_, "expected end; found {{else}}");
      }
    }
    vars_.resize(mark);
    return n;
  }

  void expect_right_delim(const std::string& what) {
    Token t = next_nonspace();
    if (t.type != Tok::RightDelim) error(t.pos, fmt::format("unexpected {} in {}", describe(t), what));
  }

  // ---- pipelines ----
  Pipeline pipeline(const std::string& context, Tok end) {
    DepthGuard guard(*this);
    Pipeline p;
    p.pos = peek_nonspace().pos;
    // Declarations: $x := / $x = / $k, $v :=
    size_t save = pos_;
    Token t = next_nonspace();
    if (t.type == Tok::Variable && t.text.find('.') == std::string::npos) {
      Token after = next_nonspace();
      if (after.type == Tok::Declare || after.type == Tok::Assign) {
        p.decl.push_back(t.text);
        p.assign = after.type == Tok::Assign;
      } else if (after.type == Tok::Comma && context == "range") {
        Token v2 = next_nonspace();
        Token op = next_nonspace();
        if (v2.type != Tok::Variable || (op.type != Tok::Declare && op.type != Tok::Assign))
          error(v2.pos, fmt::format("range can only initialize variables"));
        p.decl = {t.text, v2.text};
        p.assign = op.type == Tok::Assign;
      } else {
        pos_ = save;
      }
    } else {
      pos_ = save;
    }
    for (const auto& v : p.decl) {
      if (p.assign)
        require_var(v, t.pos);
      else
        vars_.push_back(v);
    }
    size_t text_end = p.pos;
    for (;;) {
      Token k = peek_nonspace();
      if (k.type == end) {
        text_end = k.pos;
        next_nonspace();
        break;
      }
      if (k.type == Tok::Eof)
        error(k.pos, end == Tok::RightDelim ? "unclosed action" : "unclosed left paren");
      if (k.type == Tok::RightDelim || k.type == Tok::RParen)
        error(k.pos, fmt::format("unexpected {} in {}", describe(k), context));
      p.cmds.push_back(command(end));
      Token sep = peek_nonspace();
      if (sep.type == Tok::Pipe) {
        next_nonspace();
        if (peek_nonspace().type == end) error(sep.pos, "missing command after |");  // "{{.A |}}"
      }
    }
    if (!p.decl.empty() && p.cmds.empty()) error(p.pos, fmt::format("missing value for {}", context));
    for (size_t i = 1; i < p.cmds.size(); ++i) {
      ArgKind k = p.cmds[i].args[0].kind;
      if (k == ArgKind::Bool || k == ArgKind::Dot || k == ArgKind::Nil || k == ArgKind::Number ||
          k == ArgKind::String)
        error(p.cmds[i].pos, fmt::format("non executable command in pipeline stage {}", i + 1));
    }
    while (text_end > p.pos && is_space(src_[text_end - 1])) --text_end;
    p.text = std::string(src_.substr(p.pos, text_end - p.pos));
    return p;
  }

  Command command(Tok end) {
    Command c;
    c.pos = peek_nonspace().pos;
    for (;;) {
      Token t = peek_nonspace();
      if (t.type == Tok::Pipe || t.type == end) break;
      if (t.type == Tok::RightDelim || t.type == Tok::RParen || t.type == Tok::Eof) break;
      if (!c.args.empty() && !t.space_before && t.type != Tok::Eof)
        error(t.pos, fmt::format("missing space?"));
      c.args.push_back(operand());
    }
    if (c.args.empty()) error(c.pos, "empty command");
    size_t endpos = c.args.back().pos + c.args.back().text.size();
    c.text = std::string(src_.substr(c.pos, endpos - c.pos));
    return c;
  }

  Arg operand() {
    Token t = next_nonspace();
    Arg a;
    a.pos = t.pos;
    a.text = t.text;
    switch (t.type) {
      case Tok::Field:
        a.kind = ArgKind::Field;
        a.fields = split_fields(t.text, t.pos);
        break;
      case Tok::Variable: {
        a.kind = ArgKind::Variable;
        size_t dot = t.text.find('.');
        a.name = t.text.substr(0, dot);
        require_var(a.name, t.pos);
        if (dot != std::string::npos) a.fields = split_fields(t.text.substr(dot), t.pos);
        break;
      }
      case Tok::Dot:
        a.kind = ArgKind::Dot;
        break;
      case Tok::Ident:
        if (t.text == "true" || t.text == "false") {
          a.kind = ArgKind::Bool;
          a.boolean = t.text == "true";
        } else if (t.text == "nil") {
          a.kind = ArgKind::Nil;
        } else {
          if (!is_builtin_function(t.text)) error(t.pos, fmt::format("function \"{}\" not defined", t.text));
          a.kind = ArgKind::Function;
          a.name = t.text;
        }
        break;
      case Tok::String:
        a.kind = ArgKind::String;
        a.name = unquote(t);
        break;
      case Tok::Char: {
        a.kind = ArgKind::Number;
        std::string v = unquote(t);
        a.is_int = true;
        a.i = decode_rune(v, t.pos);
        a.f = static_cast<double>(a.i);
        break;
      }
      case Tok::Number:
        number(a, t);
        break;
      case Tok::LParen: {
        a.kind = ArgKind::Pipe;
        a.pipe = std::make_shared<Pipeline>(pipeline("parenthesized pipeline", Tok::RParen));
        if (a.pipe->cmds.empty()) error(t.pos, "missing value for parenthesized pipeline");
        // (pipeline).Field.Chain
        if (pos_ < src_.size() && src_[pos_] == '.' && pos_ + 1 < src_.size() && is_alnum(src_[pos_ + 1])) {
          Token f = next();
          a.fields = split_fields(f.text, f.pos);
        }
        a.text = std::string(src_.substr(t.pos, pos_ - t.pos));
        break;
      }
      default:
        error(t.pos, fmt::format("unexpected {} in operand", describe(t)));
    }
    // Fields after a literal or a function name: Go refuses them.
    if (pos_ < src_.size() && src_[pos_] == '.' && pos_ + 1 < src_.size() && is_alnum(src_[pos_ + 1]) &&
        a.kind != ArgKind::Pipe)
      error(pos_, fmt::format("unexpected . after term \"{}\"", t.text));
    return a;
  }

  std::vector<std::string> split_fields(std::string_view s, size_t pos) {
    std::vector<std::string> out;
    size_t i = 0;
    while (i < s.size()) {
      if (s[i] != '.') error(pos + i, fmt::format("bad character in field \"{}\"", s));
      size_t j = i + 1;
      while (j < s.size() && is_alnum(s[j])) ++j;
      if (j == i + 1) error(pos + i, fmt::format("bad field \"{}\"", s));
      out.emplace_back(s.substr(i + 1, j - i - 1));
      i = j;
    }
    return out;
  }

  void require_var(const std::string& name, size_t pos) {
    for (const auto& v : vars_)
      if (v == name) return;
    error(pos, fmt::format("undefined variable \"{}\"", name));
  }

  void number(Arg& a, const Token& t) {
    a.kind = ArgKind::Number;
    std::string s;
    for (char c : t.text)
      if (c != '_') s += c;
    bool neg = !s.empty() && (s[0] == '-' || s[0] == '+');
    std::string body = neg ? s.substr(1) : s;
    int base = 10;
    std::string digits = body;
    if (body.size() > 1 && body[0] == '0' && (body[1] == 'x' || body[1] == 'X'))
      base = 16, digits = body.substr(2);
    else if (body.size() > 1 && body[0] == '0' && (body[1] == 'b' || body[1] == 'B'))
      base = 2, digits = body.substr(2);
    else if (body.size() > 1 && body[0] == '0' && (body[1] == 'o' || body[1] == 'O'))
      base = 8, digits = body.substr(2);
    else if (body.size() > 1 && body[0] == '0' && body.find_first_of(".eE") == std::string::npos)
      base = 8, digits = body.substr(1);
    bool is_float_syntax = base == 10 && body.find_first_of(".eE") != std::string::npos;
    if (!is_float_syntax) {
      uint64_t u = 0;
      auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), u, base);
      if (ec != std::errc() || p != digits.data() + digits.size() || digits.empty() ||
          u > static_cast<uint64_t>(INT64_MAX) + (s[0] == '-' ? 1 : 0))
        error(t.pos, fmt::format("illegal number syntax: \"{}\"", t.text));
      a.is_int = true;
      a.i = s[0] == '-' ? static_cast<int64_t>(0 - u) : static_cast<int64_t>(u);
      a.f = static_cast<double>(a.i);
      return;
    }
    char* end = nullptr;
    double d = std::strtod(s.c_str(), &end);
    if (!end || *end != '\0' || !std::isfinite(d))
      error(t.pos, fmt::format("illegal number syntax: \"{}\"", t.text));
    a.f = d;
    if (d == std::floor(d) && std::fabs(d) < 9.2e18) {
      a.is_int = true;  // Go: a float constant with an integer value is also an int
      a.i = static_cast<int64_t>(d);
    }
  }

  // Go's strconv.Unquote for "...", `...` and '...'.
  std::string unquote(const Token& t) {
    const std::string& s = t.text;
    if (s[0] == '`') return s.substr(1, s.size() - 2);
    std::string out;
    for (size_t i = 1; i + 1 < s.size(); ++i) {
      char c = s[i];
      if (c != '\\') {
        out += c;
        continue;
      }
      char e = s[++i];
      switch (e) {
        case 'a':
          out += '\a';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'v':
          out += '\v';
          break;
        case '\\':
          out += '\\';
          break;
        case '\'':
          out += '\'';
          break;
        case '"':
          out += '"';
          break;
        case 'x':
        case 'u':
        case 'U': {
          int n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
          if (i + n >= s.size()) error(t.pos, fmt::format("invalid syntax: {}", s));
          uint32_t v = 0;
          auto [p, ec] = std::from_chars(s.data() + i + 1, s.data() + i + 1 + n, v, 16);
          if (ec != std::errc() || p != s.data() + i + 1 + n)
            error(t.pos, fmt::format("invalid syntax: {}", s));
          if (e == 'x')
            out += static_cast<char>(v);
          else
            append_utf8(out, v, t.pos);
          i += n;
          break;
        }
        default:
          if (e >= '0' && e <= '7') {
            if (i + 2 >= s.size()) error(t.pos, fmt::format("invalid syntax: {}", s));
            int v = 0;
            for (int k = 0; k < 3; ++k) {
              char d = s[i + k];
              if (d < '0' || d > '7') error(t.pos, fmt::format("invalid syntax: {}", s));
              v = v * 8 + (d - '0');
            }
            if (v > 255) error(t.pos, fmt::format("invalid syntax: {}", s));
            out += static_cast<char>(v);
            i += 2;
          } else {
            error(t.pos, fmt::format("invalid syntax: {}", s));
          }
      }
    }
    return out;
  }

  void append_utf8(std::string& out, uint32_t cp, size_t pos) {
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) error(pos, "invalid syntax: bad code point");
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  int64_t decode_rune(const std::string& s, size_t pos) {
    if (s.empty()) error(pos, "empty character constant");
    auto b = static_cast<unsigned char>(s[0]);
    size_t n = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 0;
    if (n == 0 || n != s.size()) error(pos, fmt::format("malformed character constant: '{}'", s));
    if (n == 1) return b;
    int64_t cp = b & (0x7F >> n);
    for (size_t k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[k]) & 0x3F);
    return cp;
  }

  static std::string describe(const Token& t) {
    switch (t.type) {
      case Tok::Eof:
        return "EOF";
      case Tok::RightDelim:
        return "\"}}\"";
      default:
        return "<" + t.text + ">";
    }
  }

  // ---- lexer ----
  Token peek_nonspace() {
    size_t save = pos_;
    bool trim = trim_next_text_;
    Token t = next_nonspace();
    pos_ = save;
    trim_next_text_ = trim;
    return t;
  }

  Token next_nonspace() {
    size_t start = pos_;
    while (pos_ < src_.size() && is_space(src_[pos_])) {
      // " -}}" is a right delimiter with trimming, not space followed by a number.
      if (src_.substr(pos_, 4) == " -}}" || src_.substr(pos_, 4) == "\t-}}" ||
          src_.substr(pos_, 4) == "\n-}}" || src_.substr(pos_, 4) == "\r-}}")
        break;
      ++pos_;
    }
    Token t = next();
    t.space_before = pos_ != start && t.pos != start;
    return t;
  }

  Token next() {
    Token t;
    t.pos = pos_;
    if (pos_ >= src_.size()) return t;  // Eof
    char c = src_[pos_];
    auto take = [&](Tok type, size_t n) {
      t.type = type;
      t.text = std::string(src_.substr(pos_, n));
      pos_ += n;
      return t;
    };
    if (src_.substr(pos_, 2) == "}}") return take(Tok::RightDelim, 2);
    if (is_space(c) && src_.substr(pos_ + 1, 3) == "-}}") {
      trim_next_text_ = true;
      t.pos = pos_ + 1;
      pos_ += 4;
      t.type = Tok::RightDelim;
      t.text = "}}";
      return t;
    }
    if (c == '|') return take(Tok::Pipe, 1);
    if (c == '(') return take(Tok::LParen, 1);
    if (c == ')') return take(Tok::RParen, 1);
    if (c == ',') return take(Tok::Comma, 1);
    if (c == ':') {
      if (src_.substr(pos_, 2) != ":=") error(pos_, "expected :=");
      return take(Tok::Declare, 2);
    }
    if (c == '=') return take(Tok::Assign, 1);
    if (c == '"' || c == '\'') {
      size_t i = pos_ + 1;
      while (i < src_.size() && src_[i] != c) {
        if (src_[i] == '\\')
          ++i;
        else if (src_[i] == '\n')
          break;
        ++i;
      }
      if (i >= src_.size() || src_[i] != c)
        error(pos_, c == '"' ? "unterminated quoted string" : "unterminated character constant");
      return take(c == '"' ? Tok::String : Tok::Char, i + 1 - pos_);
    }
    if (c == '`') {
      size_t e = src_.find('`', pos_ + 1);
      if (e == std::string_view::npos) error(pos_, "unterminated raw quoted string");
      return take(Tok::String, e + 1 - pos_);
    }
    if (c == '$' || c == '.') {
      // $, $x, $x.A.B, ., .A.B; a '.' followed by a digit is a number.
      if (c == '.' && pos_ + 1 < src_.size() && std::isdigit(static_cast<unsigned char>(src_[pos_ + 1])))
        return number_token(t);
      size_t i = pos_ + 1;
      while (i < src_.size() &&
             (is_alnum(src_[i]) || (src_[i] == '.' && i + 1 < src_.size() && is_alnum(src_[i + 1]))))
        ++i;
      if (c == '.' && i == pos_ + 1) return take(Tok::Dot, 1);
      return take(c == '$' ? Tok::Variable : Tok::Field, i - pos_);
    }
    if (std::isdigit(static_cast<unsigned char>(c)) ||
        ((c == '-' || c == '+') && pos_ + 1 < src_.size() &&
         (std::isdigit(static_cast<unsigned char>(src_[pos_ + 1])) || src_[pos_ + 1] == '.')))
      return number_token(t);
    if (is_alnum(c)) {
      size_t i = pos_;
      while (i < src_.size() && is_alnum(src_[i])) ++i;
      return take(Tok::Ident, i - pos_);
    }
    error(pos_, fmt::format("unexpected \"{}\" in {}", std::string(1, c), "command"));
  }

  Token number_token(Token& t) {
    size_t i = pos_;
    if (src_[i] == '-' || src_[i] == '+') ++i;
    while (i < src_.size() &&
           (is_alnum(src_[i]) || src_[i] == '.' ||
            ((src_[i] == '-' || src_[i] == '+') && (src_[i - 1] == 'e' || src_[i - 1] == 'E'))))
      ++i;
    t.type = Tok::Number;
    t.text = std::string(src_.substr(pos_, i - pos_));
    pos_ = i;
    return t;
  }

  TemplateAst& ast_;
  std::string_view src_;
  size_t pos_ = 0;
  size_t action_pos_ = 0;
  size_t stop_pos_ = 0;
  bool trim_next_text_ = false;
  int range_depth_ = 0;
  int depth_ = 0;
  std::vector<std::string> vars_;  // declared variables in scope, "$" first
};

}  // namespace

TemplateAst parse_template(std::string_view text, std::string_view name) {
  TemplateAst ast;
  ast.name = std::string(name);
  ast.text = std::string(text);
  Parser p(ast);
  ast.root = std::make_shared<const std::vector<Node>>(p.parse_all());
  return ast;
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
