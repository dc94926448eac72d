// Runs every input of a fuzz target's corpus (the directories or files on the command line,
// else the corpus compiled in) once: the regression half of each fuzz target, as a unit test.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "tests/fuzz/fuzz.h"

int main(int argc, char** argv) {
  std::vector<std::filesystem::path> inputs;
  std::vector<std::string> roots(argv + 1, argv + argc);
  if (roots.empty()) roots.push_back(MACHINE_FUZZ_CORPUS);
  for (const auto& root : roots) {
    if (std::filesystem::is_directory(root)) {
      for (const auto& e : std::filesystem::recursive_directory_iterator(root))
        if (e.is_regular_file()) inputs.push_back(e.path());
    } else {
      inputs.emplace_back(root);
    }
  }
  if (inputs.empty()) {
    std::fprintf(stderr, "no corpus inputs in %s\n", roots.front().c_str());
    return 1;
  }
  for (const auto& p : inputs) {
    std::ifstream in(p, std::ios::binary);
    std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::fprintf(stderr, "%s\n", p.c_str());
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(data.data()), data.size());
  }
  std::printf("ran %zu inputs\n", inputs.size());
  return 0;
}
