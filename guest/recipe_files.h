#pragma once
// The recipe's shell parts (guest/recipe/*), embedded at build time by embed_recipe.cmake.
#include <string>
#include <string_view>
#include <vector>

#include "guest/recipe.h"

namespace machine::guest {

struct RecipeFile {
  const char* name;  // file name in guest/recipe/
  const char* content;
};

const std::vector<RecipeFile>& recipe_files();

// "<project version>-<hash of the recipe>": changes whenever the recipe does, so a
// new build of machine never boots an image made by an older recipe.
std::string recipe_version();

// "<recipe_version()>-<suite>": the version of the image built from `suite` (os-release
// VERSION_ID, the cache directory's name), so each suite has an image of its own.
std::string image_version(std::string_view suite = kDefaultSuite);

}  // namespace machine::guest
