// The languages the assistant answers in (English, Chinese, German), a guess of the user's
// language from text, and Localized strings kept as data.
#pragma once

#include <string>
#include <string_view>

namespace fleetgate::assistant {

enum class Language { kEn, kZh, kDe };

inline constexpr Language kAllLanguages[] = {Language::kEn, Language::kZh, Language::kDe};

// "en", "zh", "de".
std::string_view to_string(Language lang);

// Any CJK ideograph -> kZh; else German letters (ä ö ü ß) or German function and vehicle words
// ("bitte", "auf", "fenster", ...) -> kDe; else kEn (also for empty text).
Language detect_language(std::string_view utf8);

// Lower-cases ASCII and the German capitals Ä Ö Ü. Byte offsets are preserved, so a position
// found in the folded text is valid in the original.
std::string fold_case(std::string_view utf8);

// One text per language.
struct Localized {
  std::string_view en;
  std::string_view zh;
  std::string_view de;
  std::string_view in(Language lang) const;
};

}  // namespace fleetgate::assistant
