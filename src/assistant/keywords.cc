#include "fleetgate/assistant/keywords.h"

namespace fleetgate::assistant {

bool is_word_byte(char c) {
  auto u = static_cast<unsigned char>(c);
  return u >= 0x80 || (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9');
}

namespace {

constexpr std::string_view kThen = " ... ";

// "a ... b": a, then b after it; the hit spans both.
std::optional<Hit> find_in_order(std::string_view text, std::string_view keyword, Language lang) {
  size_t then = keyword.find(kThen);
  auto first = find_keyword(text, keyword.substr(0, then), lang);
  if (!first) return std::nullopt;
  auto second = find_keyword(text.substr(first->end), keyword.substr(then + kThen.size()), lang);
  if (!second) return std::nullopt;
  return Hit{first->begin, first->end + second->end};
}

}  // namespace

std::optional<Hit> find_keyword(std::string_view text, std::string_view keyword, Language lang) {
  if (keyword.find(kThen) != std::string_view::npos) return find_in_order(text, keyword, lang);
  bool prefix = keyword.size() > 1 && keyword.back() == '*';
  if (prefix) keyword.remove_suffix(1);
  if (keyword.empty()) return std::nullopt;
  for (size_t pos = text.find(keyword); pos != std::string_view::npos; pos = text.find(keyword, pos + 1)) {
    size_t end = pos + keyword.size();
    if (lang == Language::kZh) return Hit{pos, end};
    if (pos > 0 && is_word_byte(text[pos - 1])) continue;
    if (prefix) {
      while (end < text.size() && is_word_byte(text[end])) ++end;
    } else if (end < text.size() && is_word_byte(text[end])) {
      continue;
    }
    return Hit{pos, end};
  }
  return std::nullopt;
}

std::optional<Hit> find_any(std::string_view folded, const Words& words, Language lang) {
  std::optional<Hit> best;
  for (std::string_view keyword : words.in(lang)) {
    auto hit = find_keyword(folded, keyword, lang);
    if (hit && (!best || hit->begin < best->begin)) best = hit;
  }
  return best;
}

bool mentions_in_any_language(std::string_view folded, const Words& words) {
  for (Language lang : kAllLanguages) {
    if (find_any(folded, words, lang)) return true;
  }
  return false;
}

}  // namespace fleetgate::assistant
