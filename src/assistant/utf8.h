// Walking UTF-8 text one code point at a time. Invalid bytes decode as U+FFFD of length 1, so a
// walk always advances and never reads past the end.
#pragma once

#include <cstddef>
#include <string_view>

namespace fleetgate::assistant {

struct CodePoint {
  char32_t value = 0;
  size_t length = 0;  // bytes taken, 1..4; 0 only at or past the end of the text
};

// The code point starting at byte `pos` of `text`.
CodePoint utf8_at(std::string_view text, size_t pos);

// Number of code points in `text`.
size_t utf8_count(std::string_view text);

// True for CJK ideographs and CJK punctuation/full-width forms.
bool is_cjk(char32_t cp);

}  // namespace fleetgate::assistant
