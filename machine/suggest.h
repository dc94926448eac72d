#pragma once
// "Did you mean ...?" for mistyped names (commands, drivers, subcommands).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace machine {

// The candidate closest to `typed` by edit distance (insertions, deletions, substitutions and
// swaps of neighbours each cost 1), if it is close enough to be a typo: at most 1 edit for
// names up to 4 characters, else at most a third of the length. Ties go to the earlier one.
std::optional<std::string> closest_name(std::string_view typed, const std::vector<std::string>& candidates);

// " Did you mean X?" or "" (ready to append to an error message).
std::string did_you_mean(std::string_view typed, const std::vector<std::string>& candidates);

}  // namespace machine
