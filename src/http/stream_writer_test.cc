#include "fleetgate/http/stream_writer.h"

#include <gtest/gtest.h>

namespace fleetgate::http {
namespace {

class RecordingSink : public StreamSink {
 public:
  Status begin(StatusCode status, const Fields& headers) override {
    head = std::to_string(static_cast<unsigned>(status)) + " " +
           std::string(headers[beast_http::field::content_type]);
    return Status::ok();
  }
  Status chunk(std::string_view data) override {
    if (broken) return unavailable("gone");
    chunks.emplace_back(data);
    return Status::ok();
  }
  std::string head;
  std::vector<std::string> chunks;
  bool broken = false;
};

TEST(StreamWriterTest, FormatsEventsLinePerData) {
  EXPECT_EQ(StreamWriter::format_event("{\"a\":1}"), "data: {\"a\":1}\n\n");
  EXPECT_EQ(StreamWriter::format_event("one\ntwo\r\nthree\rfour", "delta"),
            "event: delta\ndata: one\ndata: two\ndata: three\ndata: four\n\n");
  EXPECT_EQ(StreamWriter::format_event(""), "data: \n\n");
}

TEST(StreamWriterTest, StartsWithEventStreamDefaults) {
  auto sink = std::make_shared<RecordingSink>();
  StreamWriter w(sink);
  EXPECT_EQ(w.write("x").code(), Code::kFailedPrecondition);
  ASSERT_TRUE(w.start().is_ok());
  EXPECT_EQ(sink->head, "200 text/event-stream");
  ASSERT_TRUE(w.send_event("[DONE]").is_ok());
  EXPECT_EQ(sink->chunks, std::vector<std::string>{"data: [DONE]\n\n"});
  EXPECT_EQ(w.start().code(), Code::kFailedPrecondition);
  EXPECT_EQ(w.reply(Response{}).code(), Code::kFailedPrecondition);
}

TEST(StreamWriterTest, CommentsAreOneLineEach) {
  auto sink = std::make_shared<RecordingSink>();
  StreamWriter w(sink);
  ASSERT_TRUE(w.start().is_ok());
  ASSERT_TRUE(w.send_comment("x-fleetgate-overhead-us: 12").is_ok());
  EXPECT_EQ(w.send_comment("two\nlines").code(), Code::kInvalidArgument);
  EXPECT_EQ(w.send_comment("two\rlines").code(), Code::kInvalidArgument);
  EXPECT_EQ(sink->chunks, std::vector<std::string>{": x-fleetgate-overhead-us: 12\n\n"});
}

TEST(StreamWriterTest, ReplyInsteadOfStream) {
  StreamWriter w(std::make_shared<RecordingSink>());
  ASSERT_TRUE(w.reply(Response::text(StatusCode::bad_request, "no")).is_ok());
  EXPECT_EQ(w.start().code(), Code::kFailedPrecondition);
  std::optional<Response> r = w.take_reply();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, StatusCode::bad_request);
}

TEST(StreamWriterTest, FailedWriteCancelsOnceAndRunsCallbacks) {
  auto sink = std::make_shared<RecordingSink>();
  StreamWriter w(sink);
  int calls = 0;
  w.on_cancel([&] { ++calls; });
  ASSERT_TRUE(w.start().is_ok());
  sink->broken = true;
  EXPECT_EQ(w.write("a").code(), Code::kUnavailable);
  EXPECT_TRUE(w.cancelled());
  EXPECT_EQ(w.write("b").code(), Code::kUnavailable);
  w.cancel();
  EXPECT_EQ(calls, 1);
  int late = 0;
  w.on_cancel([&] { ++late; });
  EXPECT_EQ(late, 1);
}

}  // namespace
}  // namespace fleetgate::http
