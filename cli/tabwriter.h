#pragma once
// Column alignment with the exact semantics of Go's text/tabwriter, because docker-machine
// prints `ls` (minwidth 5, tabwidth 1, padding 3, ' ') and help (0, 8, 1, '\t') through it
// and we promise byte-identical output. Cells are tab-terminated; the last cell of a line is
// not part of a column; a line with fewer cells ends the column block above it.
#include <string>
#include <string_view>

namespace machine::cli {

struct TabWriterOptions {
  int min_width = 0;
  int tab_width = 8;
  int padding = 1;
  char pad_char = ' ';
};

// Aligns `text` (lines separated by '\n') as Go's tabwriter.Writer + Flush would.
std::string tabwrite(std::string_view text, const TabWriterOptions& opts);

}  // namespace machine::cli
