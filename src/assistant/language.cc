#include "fleetgate/assistant/language.h"


#include "fleetgate/assistant/utf8.h"

namespace fleetgate::assistant {

namespace {

// Words that are German and unlikely in an English request; umlauts and ß are checked apart.
constexpr std::string_view kGermanMarkers[] = {
    "bitte", "auf", "zu", "zum", "zur", "und", "der", "die", "das", "den", "dem", "ein", "eine",
    "ich", "mir", "mich", "mach", "mache", "nach", "kannst", "du", "hallo", "guten", "grad",
    "stufe", "fenster", "kofferraum", "temperatur", "licht", "musik", "sitzheizung", "wischer",
    "scheibenwischer", "klimaanlage", "navigiere", "spiele", "ladeklappe", "schiebedach", "alle",
    "stelle"};

bool is_letter_byte(char c) { return (c & 0x80) != 0 || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

bool has_german_marker_word(const std::string& folded) {
  size_t pos = 0;
  while (pos < folded.size()) {
    while (pos < folded.size() && !is_letter_byte(folded[pos])) ++pos;
    size_t end = pos;
    while (end < folded.size() && is_letter_byte(folded[end])) ++end;
    std::string_view word(folded.data() + pos, end - pos);
    for (auto marker : kGermanMarkers) {
      if (word == marker) return true;
    }
    pos = end;
  }
  return false;
}

}  // namespace

std::string_view to_string(Language lang) {
  switch (lang) {
    case Language::kEn: return "en";
    case Language::kZh: return "zh";
    case Language::kDe: return "de";
  }
  return "en";
}

Language detect_language(std::string_view utf8) {
  bool german_letter = false;
  for (size_t pos = 0; pos < utf8.size();) {
    CodePoint cp = utf8_at(utf8, pos);
    if (is_cjk(cp.value) && cp.value < 0xFF00) return Language::kZh;
    switch (cp.value) {
      case U'ä': case U'ö': case U'ü': case U'Ä': case U'Ö': case U'Ü': case U'ß':
        german_letter = true;
        break;
      default: break;
    }
    pos += cp.length;
  }
  if (german_letter || has_german_marker_word(fold_case(utf8))) return Language::kDe;
  return Language::kEn;
}

std::string fold_case(std::string_view utf8) {
  std::string out(utf8);
  for (size_t i = 0; i < out.size(); ++i) {
    char& c = out[i];
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    } else if (static_cast<unsigned char>(c) == 0xC3 && i + 1 < out.size()) {
      // Ä Ö Ü are C3 84 / C3 96 / C3 9C; their lower-case forms differ by 0x20 in the second byte.
      auto next = static_cast<unsigned char>(out[i + 1]);
      if (next == 0x84 || next == 0x96 || next == 0x9C) out[i + 1] = static_cast<char>(next + 0x20);
      ++i;
    }
  }
  return out;
}

std::string_view Localized::in(Language lang) const {
  switch (lang) {
    case Language::kEn: return en;
    case Language::kZh: return zh;
    case Language::kDe: return de;
  }
  return en;
}

}  // namespace fleetgate::assistant
