#include "cli/tabwriter.h"

#include <algorithm>
#include <vector>

namespace machine::cli {
namespace {

struct Cell {
  std::string text;
  int width = 0;  // in code points, as Go counts runes
};
using Line = std::vector<Cell>;

int rune_count(std::string_view s) {
  int n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

class Formatter {
 public:
  Formatter(const std::vector<Line>& lines, const TabWriterOptions& o, bool trailing_newline)
      : lines_(lines), o_(o), trailing_newline_(trailing_newline) {}

  std::string run() {
    format(0, static_cast<int>(lines_.size()));
    return std::move(out_);
  }

 private:
  void pad(int text_width, int cell_width) {
    if (o_.pad_char == '\t') {
      if (o_.tab_width == 0) return;
      cell_width = (cell_width + o_.tab_width - 1) / o_.tab_width * o_.tab_width;
      int n = cell_width - text_width;
      out_.append(static_cast<size_t>((n + o_.tab_width - 1) / o_.tab_width), '\t');
      return;
    }
    out_.append(static_cast<size_t>(std::max(0, cell_width - text_width)), o_.pad_char);
  }

  void write_lines(int line0, int line1) {
    for (int i = line0; i < line1; ++i) {
      const Line& line = lines_[static_cast<size_t>(i)];
      for (size_t j = 0; j < line.size(); ++j) {
        const Cell& c = line[j];
        out_ += c.text;
        if (j < widths_.size()) pad(c.width, widths_[j]);
      }
      if (i + 1 < static_cast<int>(lines_.size()) || trailing_newline_) out_ += '\n';
    }
  }

  // Go's recursive column-block algorithm: each block of consecutive lines that have a cell
  // in column `widths_.size()` gets that column's width, then the columns right of it.
  void format(int line0, int line1) {
    size_t column = widths_.size();
    for (int this_line = line0; this_line < line1; ++this_line) {
      if (column + 1 >= lines_[static_cast<size_t>(this_line)].size()) continue;
      write_lines(line0, this_line);
      line0 = this_line;
      int width = o_.min_width;
      for (; this_line < line1; ++this_line) {
        const Line& line = lines_[static_cast<size_t>(this_line)];
        if (column + 1 >= line.size()) break;
        width = std::max(width, line[column].width + o_.padding);
      }
      widths_.push_back(width);
      format(line0, this_line);
      widths_.pop_back();
      line0 = this_line;
    }
    write_lines(line0, line1);
  }

  const std::vector<Line>& lines_;
  TabWriterOptions o_;
  bool trailing_newline_;
  std::vector<int> widths_;
  std::string out_;
};

}  // namespace

std::string tabwrite(std::string_view text, const TabWriterOptions& opts) {
  bool trailing_newline = !text.empty() && text.back() == '\n';
  if (trailing_newline) text.remove_suffix(1);
  std::vector<Line> lines;
  if (!text.empty() || trailing_newline) {
    size_t start = 0;
    while (true) {
      size_t nl = text.find('\n', start);
      std::string_view l =
          text.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
      Line line;
      size_t cs = 0;
      while (true) {
        size_t tab = l.find('\t', cs);
        std::string_view cell =
            l.substr(cs, tab == std::string_view::npos ? std::string_view::npos : tab - cs);
        line.push_back({std::string(cell), rune_count(cell)});
        if (tab == std::string_view::npos) break;
        cs = tab + 1;
      }
      lines.push_back(std::move(line));
      if (nl == std::string_view::npos) break;
      start = nl + 1;
    }
  }
  return Formatter(lines, opts, trailing_newline).run();
}

}  // namespace machine::cli
