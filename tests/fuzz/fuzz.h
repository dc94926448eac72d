#pragma once
// Shared by the fuzz targets: each file defines LLVMFuzzerTestOneInput. Built with
// -DMACHINE_FUZZ=ON (clang) it links libFuzzer's main; otherwise corpus_main.cpp runs every
// file of tests/fuzz/corpus/<target>/ through it as a unit test. A target catches only the
// errors its API documents (machine::Error, and for JSON input nlohmann's); anything else,
// a crash or a sanitizer report is a finding.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace machine::fuzz {

inline std::string_view as_text(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Splits the input at `sep` (fields of a structured input: argv words, seed fields).
inline std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  size_t pos = 0;
  for (;;) {
    auto next = s.find(sep, pos);
    out.emplace_back(s.substr(pos, next == std::string_view::npos ? std::string_view::npos : next - pos));
    if (next == std::string_view::npos) return out;
    pos = next + 1;
  }
}

// A property a target checks; a violated one aborts, which libFuzzer and the corpus runner
// both report with the input.
void check(bool ok, const char* what);

}  // namespace machine::fuzz
