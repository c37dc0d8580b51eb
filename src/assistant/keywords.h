// Keyword lexicons in English, Chinese and German, and how a keyword is found in fold_case()d
// text: English and German keywords match whole words ("on" is not found in "song"), a trailing
// '*' lets a word continue ("window*" finds "windows"); Chinese keywords match anywhere. "a ... b"
// finds b anywhere after a, for German separable verbs ("schließ* ... ab": "Schließ das Auto ab").
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

#include "fleetgate/assistant/language.h"

namespace fleetgate::assistant {

// Keywords per language.
struct Words {
  std::vector<std::string_view> en, zh, de;
  const std::vector<std::string_view>& in(Language lang) const {
    return lang == Language::kZh ? zh : lang == Language::kDe ? de : en;
  }
};

struct Hit {
  size_t begin = 0;  // byte range in the text
  size_t end = 0;
};

// True for bytes that continue a word: ASCII letters and digits and any byte of a non-ASCII
// character.
bool is_word_byte(char c);

// The first place `keyword` of `lang` occurs in `folded`, by the rules above.
std::optional<Hit> find_keyword(std::string_view folded, std::string_view keyword, Language lang);

// The earliest keyword of `words` in `lang` found in `folded`.
std::optional<Hit> find_any(std::string_view folded, const Words& words, Language lang);

// True when a keyword of `words` in any of the three languages is found in `folded` (text of
// mixed or unknown language, such as a function's name and description).
bool mentions_in_any_language(std::string_view folded, const Words& words);

}  // namespace fleetgate::assistant
