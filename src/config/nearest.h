// Edit-distance suggestions for misspelt keys and kinds ("did you mean ...").
#pragma once

#include <string>
#include <vector>

namespace gen {

// The candidate closest to `word`, or "" when none is close enough to be a plausible typo.
std::string nearest_word(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace gen
