#include <cstdio>
#include <cstdlib>

#include "tests/fuzz/fuzz.h"

namespace machine::fuzz {
void check(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "fuzz property violated: %s\n", what);
  std::abort();
}
}  // namespace machine::fuzz
