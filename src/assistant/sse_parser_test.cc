#include "fleetgate/assistant/sse_parser.h"

#include <gtest/gtest.h>

#include <vector>

namespace fleetgate::assistant {
namespace {

std::vector<SseEvent> parse_in_pieces(std::string_view text, size_t piece) {
  SseParser parser;
  std::vector<SseEvent> out;
  for (size_t at = 0; at < text.size(); at += piece) {
    Status st = parser.feed(text.substr(at, piece), [&](const SseEvent& e) {
      out.push_back(e);
      return true;
    });
    EXPECT_TRUE(st.is_ok()) << st.to_string();
  }
  return out;
}

TEST(SseParser, EventsAreTheSameWhateverThePieceSize) {
  const std::string text =
      ": keep-alive\r\n\r\n"
      "data: {\"a\":1}\n\n"
      "event: delta\r\nid: 7\r\ndata: line one\r\ndata:line two\r\n\r\n"
      "data: [DONE]\r\r";
  for (size_t piece : {1, 2, 3, 5, 64}) {
    auto events = parse_in_pieces(text, piece);
    ASSERT_EQ(events.size(), 3u) << "piece " << piece;
    EXPECT_EQ(events[0].data, "{\"a\":1}");
    EXPECT_EQ(events[1].event, "delta");
    EXPECT_EQ(events[1].id, "7");
    EXPECT_EQ(events[1].data, "line one\nline two") << "multi-line data joins with LF, one leading space dropped";
    EXPECT_EQ(events[2].data, "[DONE]");
  }
}

TEST(SseParser, CommentsAndFieldsWithoutDataDispatchNothing) {
  auto events = parse_in_pieces(": ping\n\nevent: x\nretry: 5\n\n", 4);
  EXPECT_TRUE(events.empty());
}

TEST(SseParser, AnEventWithoutItsBlankLineIsNotEmitted) {
  auto events = parse_in_pieces("data: partial", 3);
  EXPECT_TRUE(events.empty());
}

TEST(SseParser, StopsWhenTheHandlerSaysSo) {
  SseParser parser;
  int seen = 0;
  Status st = parser.feed("data: 1\n\ndata: 2\n\ndata: 3\n\n", [&](const SseEvent&) { return ++seen < 2; });
  EXPECT_TRUE(st.is_ok());
  EXPECT_TRUE(parser.stopped());
  EXPECT_EQ(seen, 2);
}

TEST(SseParser, OversizedEventIsAnError) {
  SseParser parser(16);
  Status st = parser.feed("data: 0123456789abcdefghij\n\n", [](const SseEvent&) { return true; });
  EXPECT_EQ(st.code(), Code::kResourceExhausted);
}

}  // namespace
}  // namespace fleetgate::assistant
