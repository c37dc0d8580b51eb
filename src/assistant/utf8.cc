#include "fleetgate/assistant/utf8.h"

namespace fleetgate::assistant {

namespace {

constexpr char32_t kReplacement = 0xFFFD;

bool continuation(unsigned char c) { return (c & 0xC0) == 0x80; }

}  // namespace

CodePoint utf8_at(std::string_view text, size_t pos) {
  if (pos >= text.size()) return {};
  auto lead = static_cast<unsigned char>(text[pos]);
  size_t length = lead < 0x80 ? 1 : (lead >> 5) == 0x6 ? 2 : (lead >> 4) == 0xE ? 3 : (lead >> 3) == 0x1E ? 4 : 0;
  if (length == 0 || pos + length > text.size()) return {kReplacement, 1};
  if (length == 1) return {lead, 1};
  char32_t value = lead & (0x7F >> length);
  for (size_t i = 1; i < length; ++i) {
    auto c = static_cast<unsigned char>(text[pos + i]);
    if (!continuation(c)) return {kReplacement, 1};
    value = (value << 6) | (c & 0x3F);
  }
  return {value, length};
}

size_t utf8_count(std::string_view text) {
  size_t count = 0;
  for (size_t pos = 0; pos < text.size(); pos += utf8_at(text, pos).length) ++count;
  return count;
}

bool is_cjk(char32_t cp) {
  return (cp >= 0x4E00 && cp <= 0x9FFF) ||   // unified ideographs
         (cp >= 0x3400 && cp <= 0x4DBF) ||   // extension A
         (cp >= 0x3000 && cp <= 0x303F) ||   // CJK punctuation
         (cp >= 0xFF00 && cp <= 0xFFEF) ||   // full-width forms
         (cp >= 0x20000 && cp <= 0x2FA1F);   // extensions B+
}

}  // namespace fleetgate::assistant
