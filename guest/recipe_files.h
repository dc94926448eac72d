#pragma once
// The recipe's shell parts (guest/recipe/*), embedded at build time by embed_recipe.cmake.
#include <string>
#include <vector>

namespace machine::guest {

struct RecipeFile {
  const char* name;  // file name in guest/recipe/
  const char* content;
};

const std::vector<RecipeFile>& recipe_files();

// "<project version>-<hash of the recipe>": changes whenever the recipe does, so a
// new build of machine never boots an image made by an older recipe.
std::string image_version();

}  // namespace machine::guest
