#include "cli/template.h"

#include <gtest/gtest.h>

#include "machine/error.h"

namespace machine::cli {
namespace {

using nlohmann::json;

std::string run(const std::string& tmpl, const json& data) { return Template::parse(tmpl).execute(data); }

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
  EXPECT_EQ(run("{{prettyjson .Driver}}", kHost), "{\n    \"Flag\": true,\n    \"URL\": \"tcp://1.2.3.4:2376\"\n}");
  EXPECT_EQ(run("{{.Driver | json}}", kHost), R"({"Flag":true,"URL":"tcp://1.2.3.4:2376"})");
  EXPECT_EQ(run("{{json .X}}", json{{"X", "<&>"}}), R"("\u003c\u0026\u003e")");
}

TEST(Template, IfElseAndRange) {
  EXPECT_EQ(run("{{if .Driver.Flag}}yes{{else}}no{{end}}", kHost), "yes");
  EXPECT_EQ(run("{{if .HostOptions.EngineOptions.Dns}}yes{{else}}no{{end}}", kHost), "no");
  EXPECT_EQ(run("{{range .HostOptions.EngineOptions.Labels}}<{{.}}>{{end}}", kHost), "<a=b><c=d>");
}

TEST(Template, TrimMarkersEatWhitespace) { EXPECT_EQ(run("a  {{- .Name -}}  b", kHost), "avm1b"); }

TEST(Template, UnknownFieldIsAClearError) {
  try {
    run("{{.Nope}}", kHost);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::InvalidArgument);
    EXPECT_STREQ(e.what(),
                 "template: :1:2: executing \"\" at <.Nope>: can't evaluate field Nope in type map[string]interface {}");
  }
  EXPECT_THROW(run("{{.Name.Sub}}", kHost), Error);
  EXPECT_THROW(run("{{.HostOptions.Missing.Deeper}}", kHost), Error);
}

TEST(Template, MalformedTemplatesFailToParse) {
  EXPECT_THROW(Template::parse("{{.Name"), Error);
  EXPECT_THROW(Template::parse("{{if .Name}}x"), Error);
  EXPECT_THROW(Template::parse("{{end}}"), Error);
  EXPECT_THROW(Template::parse("{{nosuchfunc .Name}}"), Error);
  EXPECT_THROW(Template::parse("{{}}"), Error);
}

TEST(Template, ExpandEscapes) {
  EXPECT_EQ(expand_escapes(R"({{.Name}}\t{{.URL}}\n)"), "{{.Name}}\t{{.URL}}\n");
  EXPECT_EQ(expand_escapes(R"(a\b)"), R"(a\b)");
}

}  // namespace
}  // namespace machine::cli
