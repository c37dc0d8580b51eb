#include "fleetgate/assistant/chat_filter.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "fleetgate/http/blocking.h"

namespace fleetgate::assistant {
namespace {

namespace json = boost::json;
using boost::asio::awaitable;
using http::await_blocking;

// Writes what it sees into a shared trace; may answer the request or fail an event.
class TracingFilter : public ChatFilter {
 public:
  TracingFilter(std::string name, std::vector<std::string>& trace, bool answers, bool fails)
      : name_(std::move(name)), trace_(trace), answers_(answers), fails_(fails) {}

  awaitable<std::optional<EarlyAnswer>> on_request(ChatExchange&) override {
    trace_.push_back(name_ + ".request");
    if (!answers_) co_return std::nullopt;
    co_return EarlyAnswer{http::Response::json(http::StatusCode::too_many_requests, json::object{}), Outcome::kOverBudget};
  }
  void on_attempt(ChatExchange&) override { trace_.push_back(name_ + ".attempt"); }
  awaitable<Status> on_event(ChatExchange&, AnswerEvent& event) override {
    // Each filter sees the event as the ones before it left it.
    json::value& seen = event.object["seen"];
    if (!seen.is_array()) seen = json::array{};
    seen.as_array().emplace_back(name_);
    event.modified = true;
    trace_.push_back(name_ + ".event");
    co_return fails_ ? Status(Code::kResourceExhausted, name_ + " refuses") : Status::ok();
  }
  void on_headers(ChatExchange&, http::Fields& headers) override { headers.set("x-" + name_, "1"); }
  void on_end(ChatExchange&, const RouteResult& result) override {
    trace_.push_back(name_ + ".end " + std::to_string(result.http_status));
  }

 private:
  std::string name_;
  std::vector<std::string>& trace_;
  bool answers_, fails_;
};

struct Chain {
  std::vector<std::string> trace;
  std::vector<ChatFilterFactory> factories;
  void add(std::string name, bool answers = false, bool fails = false) {
    factories.push_back([this, name, answers, fails] { return std::make_unique<TracingFilter>(name, trace, answers, fails); });
  }
};

TEST(ChatFilterChain, RunsFiltersInOrderAndEndsOnlyThoseARequestReached) {
  Chain c;
  c.add("a");
  c.add("b", /*answers=*/true);
  c.add("c");
  ChatFilterChain chain(c.factories);
  ChatExchange x;
  std::optional<EarlyAnswer> answered = await_blocking(chain.request(x));
  ASSERT_TRUE(answered.has_value());
  EXPECT_EQ(answered->outcome, Outcome::kOverBudget);
  RouteResult result;
  result.http_status = 429;
  chain.end(x, result);
  EXPECT_EQ(c.trace, (std::vector<std::string>{"a.request", "b.request", "a.end 429", "b.end 429"}));
}

TEST(ChatFilterChain, EachFilterSeesTheEventAsTheOnesBeforeLeftItAndAnErrorStopsIt) {
  Chain c;
  c.add("a");
  c.add("b", false, /*fails=*/true);
  c.add("c");
  ChatFilterChain chain(c.factories);
  ChatExchange x;
  ASSERT_FALSE(await_blocking(chain.request(x)).has_value());
  chain.attempt(x);
  json::object chunk{{"object", "chat.completion.chunk"}, {"model", "m-1"}, {"choices", json::array{}}};
  AnswerEvent event{chunk};
  const Status s = await_blocking(chain.event(x, event));
  EXPECT_EQ(s.code(), Code::kResourceExhausted);
  EXPECT_EQ(chunk["seen"], (json::array{"a", "b"}));
  EXPECT_TRUE(event.modified);
  EXPECT_EQ(x.model, "m-1") << "the chain notes the model an answer names";
  http::Fields headers;
  chain.headers(x, headers);
  EXPECT_EQ(headers["x-a"], "1");
  EXPECT_EQ(headers["x-c"], "1");
  EXPECT_EQ(c.trace, (std::vector<std::string>{"a.request", "b.request", "c.request", "a.attempt", "b.attempt", "c.attempt",
                                               "a.event", "b.event"}));
}

TEST(ChatFilterChain, AStreamChunkAddressingAnImpossibleChoiceIsRefusedBeforeAnyFilter) {
  Chain c;
  c.add("a");
  ChatFilterChain chain(c.factories);
  ChatExchange x;
  for (const char* index : {"-1", "128", "1.5", "\"0\""}) {
    json::object chunk = json::parse(std::string(R"({"choices":[{"index":)") + index + R"(,"delta":{"content":"x"}}]})").as_object();
    AnswerEvent event{chunk};
    EXPECT_EQ(await_blocking(chain.event(x, event)).code(), Code::kInvalidArgument) << index;
  }
  EXPECT_TRUE(c.trace.empty());
  // A plain answer's choices are addressed by position, whatever their index says.
  json::object completion = json::parse(R"({"choices":[{"index":500,"message":{"content":"x"}}]})").as_object();
  AnswerEvent whole{completion, true, true};
  EXPECT_TRUE(await_blocking(chain.event(x, whole)).is_ok());
  std::vector<size_t> indexes;
  for_each_choice(whole, [&](size_t index, json::object&, json::object*) { indexes.push_back(index); });
  EXPECT_EQ(indexes, std::vector<size_t>{0});
}

TEST(ChatFilterChain, ChoicesThatAreNotAnArrayAreRemoved) {
  Chain c;
  ChatFilterChain chain(c.factories);
  ChatExchange x;
  json::object chunk = json::parse(R"({"choices":{"0":{"delta":{"content":"x"}}}})").as_object();
  AnswerEvent event{chunk};
  ASSERT_TRUE(await_blocking(chain.event(x, event)).is_ok());
  EXPECT_FALSE(chunk.contains("choices"));
  EXPECT_TRUE(event.modified);
  EXPECT_FALSE(carries_payload(event));
}

TEST(ChatFilterChain, PayloadIsUsageAFinishReasonOrANonEmptyHolder) {
  const std::pair<const char*, bool> cases[] = {
      {R"({"choices":[]})", false},
      {R"({"choices":[{"index":0,"delta":{}}]})", false},
      {R"({"choices":[{"index":0,"delta":{},"finish_reason":null}]})", false},
      {R"({"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]})", true},
      {R"({"choices":[{"index":0,"delta":{"content":""}}]})", true},
      {R"({"choices":[],"usage":{"prompt_tokens":1}})", true},
  };
  for (const auto& [text, payload] : cases) {
    json::object chunk = json::parse(text).as_object();
    AnswerEvent event{chunk};
    EXPECT_EQ(carries_payload(event), payload) << text;
  }
}

}  // namespace
}  // namespace fleetgate::assistant
