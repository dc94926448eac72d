#include "cli/tabwriter.h"

#include <gtest/gtest.h>

namespace machine::cli {
namespace {

const TabWriterOptions kLs{5, 1, 3, ' '};
const TabWriterOptions kHelp{0, 8, 1, '\t'};

TEST(TabWriter, AlignsColumnsWithPadding) {
  // Widths: max(cell + 3, 5); the last cell of each line is never padded.
  EXPECT_EQ(tabwrite("NAME\tSTATE\tURL\nvm10\tRunning\t\n", kLs),
            "NAME   STATE     URL\nvm10   Running   \n");
}

TEST(TabWriter, EmptyColumnsKeepTheMinimumWidth) { EXPECT_EQ(tabwrite("a\t\tb\n", kLs), "a         b\n"); }

TEST(TabWriter, ALineWithoutTabsEndsTheColumnBlock) {
  EXPECT_EQ(tabwrite("aaaaaaaa\tx\nplain\nb\ty\n", kLs), "aaaaaaaa   x\nplain\nb    y\n");
}

TEST(TabWriter, TabPaddingRoundsToTabStops) {
  EXPECT_EQ(tabwrite("  ls\tList machines\n  regenerate-certs\tRegenerate\n", kHelp),
            "  ls\t\t\tList machines\n  regenerate-certs\tRegenerate\n");
}

TEST(TabWriter, KeepsAMissingFinalNewline) { EXPECT_EQ(tabwrite("a\tb", kLs), "a    b"); }

TEST(TabWriter, CountsRunesNotBytes) { EXPECT_EQ(tabwrite("é\tx\nab\ty\n", kLs), "é    x\nab   y\n"); }

}  // namespace
}  // namespace machine::cli
