#include "cli/template.h"

#include <gtest/gtest.h>

#include "machine/error.h"

namespace machine::cli {
namespace {

using nlohmann::json;

std::string run(const std::string& tmpl, const json& data) { return Template::parse(tmpl).execute(data); }
std::string strict(const std::string& tmpl, const json& data) {
  return Template::parse(tmpl, {.unknown_field_is_error = true}).execute(data);
}
// The message of the Error that parsing or rendering throws ("" when none).
std::string error_of(const std::string& tmpl, const json& data = json::object()) {
  try {
    run(tmpl, data);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::InvalidArgument);
    return e.what();
  }
  return "";
}

const json kHost = json::parse(R"({
  "Name": "vm1", "DriverName": "none", "ConfigVersion": 3,
  "HostOptions": {"EngineOptions": {"StorageDriver": "overlay2", "Labels": ["a=b", "c=d"], "Dns": null},
                  "Memory": 1024},
  "Driver": {"URL": "tcp://1.2.3.4:2376", "Flag": true}
})");

TEST(Template, PrintsFieldsAndLiteralText) {
  EXPECT_EQ(run("name={{.Name}} driver={{ .DriverName }}", kHost), "name=vm1 driver=none");
}

TEST(Template, FollowsNestedFields) {
  EXPECT_EQ(run("{{.HostOptions.EngineOptions.StorageDriver}}", kHost), "overlay2");
  EXPECT_EQ(run("{{.Driver.URL}}", kHost), "tcp://1.2.3.4:2376");
}

TEST(Template, PrintsValuesTheWayGoDoes) {
  EXPECT_EQ(run("{{.ConfigVersion}}", kHost), "3");
  EXPECT_EQ(run("{{.Driver.Flag}}", kHost), "true");
  EXPECT_EQ(run("{{.HostOptions.EngineOptions.Labels}}", kHost), "[a=b c=d]");
  EXPECT_EQ(run("{{.HostOptions.EngineOptions.Dns}}", kHost), "<no value>");
  EXPECT_EQ(run("{{.Driver}}", kHost), "map[Flag:true URL:tcp://1.2.3.4:2376]");
}

TEST(Template, JsonFunctions) {
  EXPECT_EQ(run("{{json .HostOptions.EngineOptions.Labels}}", kHost), R"(["a=b","c=d"])");
  EXPECT_EQ(run("{{json .Name}}", kHost), R"("vm1")");
  EXPECT_EQ(run("{{prettyjson .Driver}}", kHost),
            "{\n    \"Flag\": true,\n    \"URL\": \"tcp://1.2.3.4:2376\"\n}");
  EXPECT_EQ(run("{{.Driver | json}}", kHost), R"({"Flag":true,"URL":"tcp://1.2.3.4:2376"})");
  EXPECT_EQ(run("{{json .X}}", json{{"X", "<&>"}}), R"("\u003c\u0026\u003e")");
}

TEST(Template, IfElseAndRange) {
  EXPECT_EQ(run("{{if .Driver.Flag}}yes{{else}}no{{end}}", kHost), "yes");
  EXPECT_EQ(run("{{if .HostOptions.EngineOptions.Dns}}yes{{else}}no{{end}}", kHost), "no");
  EXPECT_EQ(run("{{range .HostOptions.EngineOptions.Labels}}<{{.}}>{{end}}", kHost), "<a=b><c=d>");
}

TEST(Template, TrimMarkersEatWhitespace) { EXPECT_EQ(run("a  {{- .Name -}}  b", kHost), "avm1b"); }

TEST(Template, UnknownFieldPrintsNoValueLikeDockerMachinesInspect) {
  EXPECT_EQ(run("{{.Nope}}", kHost), "<no value>");
  EXPECT_EQ(run("{{.HostOptions.Missing.Deeper}}", kHost), "<no value>");
  EXPECT_EQ(run("{{if .Nope}}y{{else}}n{{end}}", kHost), "n");
}

TEST(Template, UnknownFieldIsAClearErrorWhenStrict) {
  try {
    strict("{{.Nope}}", kHost);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::InvalidArgument);
    EXPECT_STREQ(e.what(),
                 "template: :1:2: executing \"\" at <.Nope>: can't evaluate field Nope in type "
                 "map[string]interface {}");
  }
  EXPECT_THROW(run("{{.Name.Sub}}", kHost), Error);
  EXPECT_THROW(strict("{{.HostOptions.Missing.Deeper}}", kHost), Error);
}

TEST(Template, MalformedTemplatesFailToParse) {
  EXPECT_THROW(Template::parse("{{.Name"), Error);
  EXPECT_THROW(Template::parse("{{if .Name}}x"), Error);
  EXPECT_THROW(Template::parse("{{end}}"), Error);
  EXPECT_THROW(Template::parse("{{nosuchfunc .Name}}"), Error);
  EXPECT_THROW(Template::parse("{{}}"), Error);
}

const json kData = json::parse(R"({
  "Name": "vm1", "N": 3, "F": 1.5, "Big": 1000000.0, "Empty": "", "T": true, "Nil": null,
  "L": ["a", "b", "c"], "M": {"b": 2, "a": 1}, "Nested": {"Inner": {"X": "deep"}}, "Html": "<a href='x'>&</a>"
})");

TEST(Template, ComparisonFunctions) {
  EXPECT_EQ(
      run("{{eq .Name \"vm1\"}} {{eq .N 1 2 3}} {{ne .N 3}} {{lt .N 4}} {{le .N 3}} {{gt .F 1}} {{ge .N 4}}",
          kData),
      "true true false true true true false");
  EXPECT_EQ(run("{{if eq .Name \"vm1\" \"vm2\"}}match{{end}}", kData), "match");
  EXPECT_EQ(run("{{lt \"a\" \"b\"}}", kData), "true");
  EXPECT_EQ(
      error_of("{{eq .N \"3\"}}", kData),
      "template: :1:2: executing \"\" at <eq .N \"3\">: error calling eq: incompatible types for comparison");
  EXPECT_EQ(error_of("{{lt .T true}}", kData),
            "template: :1:2: executing \"\" at <lt .T true>: error calling lt: invalid type for comparison");
}

TEST(Template, LogicFunctionsShortCircuit) {
  EXPECT_EQ(run("{{and .T .N}} {{and .Empty .N}} {{or .Empty .Name}} {{or .Empty .Nil}} {{not .T}}", kData),
            "3  vm1 <no value> false");
  // and stops before the failing index, or stops at the first true value.
  EXPECT_EQ(run("{{and .Empty (index .L 9)}}|{{or .T (index .L 9)}}", kData), "|true");
}

TEST(Template, LenIndexSlice) {
  EXPECT_EQ(run("{{len .L}} {{len .M}} {{len .Name}} {{index .L 1}} {{index .M \"b\"}} {{index .Nested "
                "\"Inner\" \"X\"}}",
                kData),
            "3 2 3 b 2 deep");
  EXPECT_EQ(run("{{slice .L 1}} {{slice .L 1 2}} {{slice .Name 1 3}} {{index .M \"zz\"}}", kData),
            "[b c] [b] m1 <no value>");
  EXPECT_EQ(error_of("{{index .L 5}}", kData),
            "template: :1:2: executing \"\" at <index .L 5>: error calling index: index out of range: 5");
  EXPECT_EQ(error_of("{{len .N}}", kData),
            "template: :1:2: executing \"\" at <len .N>: error calling len: len of type int");
  EXPECT_EQ(error_of("{{len .L .L}}", kData),
            "template: :1:2: executing \"\" at <len .L .L>: wrong number of args for len: want 1 got 2");
}

TEST(Template, PrintFunctions) {
  EXPECT_EQ(run("{{print .Name .N .T}}|{{print 1 2}}|{{println .Name .N}}|{{printf \"%s-%d-%5.2f-%q-%v-%x\" "
                ".Name .N .F .Name .L 255}}",
                kData),
            "vm13 true|1 2|vm1 3\n|vm1-3- 1.50-\"vm1\"-[a b c]-ff");
  EXPECT_EQ(run("{{printf \"%-5s|%05d|%t|%%|%d\" .Name .N .T}}", kData), "vm1  |00003|true|%|%!d(MISSING)");
  EXPECT_EQ(run("{{printf \"%d\" .Name}} {{printf \"x\" 1}}", kData), "%!d(string=vm1) x%!(EXTRA int=1)");
  EXPECT_EQ(run("{{.F}} {{.Big}} {{.M}} {{.Nil}} {{.L}}", kData),
            "1.5 1e+06 map[a:1 b:2] <no value> [a b c]");
}

TEST(Template, EscapingFunctions) {
  EXPECT_EQ(run("{{html .Html}}", kData), "&lt;a href=&#39;x&#39;&gt;&amp;&lt;/a&gt;");
  EXPECT_EQ(run("{{js .Html}}", kData), "\\u003Ca href\\u003D\\'x\\'\\u003E\\u0026\\u003C/a\\u003E");
  EXPECT_EQ(run("{{urlquery \"a b&c=d/é\"}}", kData), "a+b%26c%3Dd%2F%C3%A9");
  EXPECT_EQ(run("{{.Html | html}}", kData), run("{{html .Html}}", kData));
}

TEST(Template, VariablesAndScopes) {
  EXPECT_EQ(run("{{$x := .Name}}{{$x}}-{{$.N}}", kData), "vm1-3");
  EXPECT_EQ(run("{{$x := 1}}{{if .T}}{{$x = 2}}{{$y := 5}}{{end}}{{$x}}", kData), "2");
  EXPECT_EQ(run("{{range $i, $e := .L}}{{$i}}={{$e}};{{end}}", kData), "0=a;1=b;2=c;");
  EXPECT_EQ(run("{{range $k, $v := .M}}{{$k}}:{{$v}} {{end}}", kData), "a:1 b:2 ");
  EXPECT_EQ(run("{{range $e := .L}}{{$e}}{{$.Name}}{{end}}", kData), "avm1bvm1cvm1");
  EXPECT_EQ(error_of("{{if .T}}{{$y := 5}}{{end}}{{$y}}", kData),
            "template: :1:29: undefined variable \"$y\"");
}

TEST(Template, WithRangeElseBreakContinue) {
  EXPECT_EQ(run("{{with .Nested.Inner}}{{.X}}{{end}}|{{with .Empty}}x{{else}}none{{end}}", kData),
            "deep|none");
  EXPECT_EQ(run("{{range .Nil}}x{{else}}empty{{end}}|{{range .Missing}}x{{else}}gone{{end}}", kData),
            "empty|gone");
  EXPECT_EQ(
      run("{{range .L}}{{if eq . \"b\"}}{{continue}}{{end}}{{if eq . \"c\"}}{{break}}{{end}}{{.}}{{end}}",
          kData),
      "a");
  EXPECT_EQ(run("{{range 3}}{{.}}{{end}}", kData), "012");
  EXPECT_EQ(run("{{if .Empty}}a{{else if .T}}b{{else}}c{{end}}", kData), "b");
  EXPECT_EQ(error_of("{{range .Name}}{{end}}", kData),
            "template: :1:2: executing \"\" at <.Name>: range can't iterate over vm1");
}

TEST(Template, PipelinesParenthesesLiteralsAndComments) {
  EXPECT_EQ(run("{{.L | len | printf \"%d items\"}}", kData), "3 items");
  EXPECT_EQ(run("{{(index .Nested \"Inner\").X}} {{len (slice .L 1)}}", kData), "deep 2");
  EXPECT_EQ(run("{{\"q\\t\"}}{{`raw\\n`}}{{'a'}} {{0x10}} {{-2}} {{1e3}} {{print nil}}", kData),
            "q\traw\\n97 16 -2 1000 <nil>");
  EXPECT_EQ(run("a {{/* a comment */}} b {{- /* trimmed */ -}} c", kData), "a  bc");
  EXPECT_EQ(run("{{ .Name -}}\n  {{- .N }}", kData), "vm13");
}

TEST(Template, ParseErrorsNameThePosition) {
  EXPECT_EQ(error_of("{{.Name"), "template: :1:7: unclosed action");
  EXPECT_EQ(error_of("x\n  {{nosuch .A}}"), "template: :2:4: function \"nosuch\" not defined");
  EXPECT_EQ(error_of("{{if .A}}x"), "template: :1:10: unexpected EOF");
  EXPECT_EQ(error_of("{{end}}"), "template: :1:2: unexpected {{end}}");
  EXPECT_EQ(error_of("{{.A | 3}}"), "template: :1:7: non executable command in pipeline stage 2");
  EXPECT_EQ(error_of("{{$x}}"), "template: :1:2: undefined variable \"$x\"");
  EXPECT_EQ(error_of("{{break}}"), "template: :1:2: {{break}} outside {{range}}");
  EXPECT_EQ(error_of("{{\"abc}}"), "template: :1:2: unterminated quoted string");
  EXPECT_EQ(error_of("{{/* x }}"), "template: :1:0: unclosed comment");
  EXPECT_EQ(error_of("{{.A}"), "template: :1:4: unexpected \"}\" in command");
  EXPECT_EQ(error_of("{{define \"x\"}}{{end}}"),
            "template: :1:2: {{define}} is not supported here (only single templates are)");
}

TEST(Template, ExecErrorsNameThePosition) {
  EXPECT_EQ(error_of("line1\n{{.Name.X}}", kData),
            "template: :2:2: executing \"\" at <.Name.X>: can't evaluate field X in type string");
  EXPECT_EQ(error_of("{{.Nil.X}}", kData),
            "template: :1:2: executing \"\" at <.Nil.X>: nil pointer evaluating interface {}.X");
  EXPECT_EQ(error_of("{{.Name 1}}", kData),
            "template: :1:2: executing \"\" at <.Name>: Name is not a method but has arguments");
  EXPECT_EQ(error_of("{{\"x\" 1}}", kData),
            "template: :1:2: executing \"\" at <\"x\">: can't give argument to non-function \"x\"");
}

TEST(Template, FreeFunctionsParseThenRender) {
  auto ast = parse_template("{{.Name}}", "x");
  EXPECT_EQ(render_template(ast, kData), "vm1");
  try {
    parse_template("{{.Name", "x");
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "template: x:1:7: unclosed action");
  }
}

TEST(Template, ExpandEscapes) {
  EXPECT_EQ(expand_escapes(R"({{.Name}}\t{{.URL}}\n)"), "{{.Name}}\t{{.URL}}\n");
  EXPECT_EQ(expand_escapes(R"(a\b)"), R"(a\b)");
}

}  // namespace
}  // namespace machine::cli
