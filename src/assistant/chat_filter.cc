#include "fleetgate/assistant/chat_filter.h"

namespace fleetgate::assistant {

namespace json = boost::json;
using boost::asio::awaitable;

std::optional<size_t> choice_index(const json::object& choice, size_t position) {
  const json::value* index = choice.if_contains("index");
  if (index == nullptr) return position;
  if (index->is_int64() && index->get_int64() >= 0 && index->get_int64() < static_cast<int64_t>(kMaxChoices)) {
    return static_cast<size_t>(index->get_int64());
  }
  if (index->is_uint64() && index->get_uint64() < kMaxChoices) return static_cast<size_t>(index->get_uint64());
  return std::nullopt;
}

std::string_view attributed_provider(const RouteResult& result) {
  if (!result.provider_id.empty()) return result.provider_id;
  if (result.attempts.empty()) return "none";
  return result.attempts.back().provider_id;
}

namespace {

json::array* choices_of(json::object& object) {
  json::value* choices = object.if_contains("choices");
  return choices != nullptr && choices->is_array() ? &choices->as_array() : nullptr;
}

bool choice_has_payload(const json::object& choice, const char* holder_key) {
  const json::value* finish = choice.if_contains("finish_reason");
  if (finish != nullptr && !finish->is_null()) return true;
  const json::value* holder = choice.if_contains(holder_key);
  return holder != nullptr && holder->is_object() && !holder->as_object().empty();
}

}  // namespace

void for_each_choice(AnswerEvent& event, const std::function<void(size_t, json::object&, json::object*)>& fn) {
  json::array* list = choices_of(event.object);
  if (list == nullptr) return;
  for (size_t position = 0; position < list->size(); ++position) {
    json::object* choice = (*list)[position].if_object();
    if (choice == nullptr) continue;
    json::value* holder = choice->if_contains(event.holder_key());
    // A plain answer's choices are addressed by position, as client libraries read them.
    const size_t index = event.whole ? position : choice_index(*choice, position).value_or(position);
    fn(index, *choice, holder != nullptr && holder->is_object() ? &holder->as_object() : nullptr);
  }
}

const LogTags& log_tags(const ChatExchange& x) {
  static const LogTags kNone;
  return x.http != nullptr ? x.http->log_tags() : kNone;
}

bool carries_payload(const AnswerEvent& event) {
  if (event.object.contains("usage")) return true;
  const json::value* choices = event.object.if_contains("choices");
  if (choices == nullptr || !choices->is_array()) return false;
  for (const json::value& choice : choices->as_array()) {
    if (choice.is_object() && choice_has_payload(choice.as_object(), event.holder_key())) return true;
  }
  return false;
}

ChatFilterChain::ChatFilterChain(const std::vector<ChatFilterFactory>& factories) {
  filters_.reserve(factories.size());
  for (const ChatFilterFactory& make : factories) filters_.push_back(make());
}

awaitable<std::optional<EarlyAnswer>> ChatFilterChain::request(ChatExchange& x) {
  for (const auto& filter : filters_) {
    ++reached_;
    if (std::optional<EarlyAnswer> answered = co_await filter->on_request(x)) co_return answered;
  }
  co_return std::nullopt;
}

void ChatFilterChain::attempt(ChatExchange& x) {
  for (const auto& filter : filters_) filter->on_attempt(x);
}

awaitable<Status> ChatFilterChain::event(ChatExchange& x, AnswerEvent& event) {
  if (auto* m = event.object.if_contains("model"); m != nullptr && m->is_string()) x.model = m->as_string();
  if (json::value* choices = event.object.if_contains("choices"); choices != nullptr && !choices->is_array()) {
    event.object.erase("choices");  // no client reads choices that are not an array; nor can a filter review them
    event.modified = true;
  }
  if (json::array* list = choices_of(event.object); list != nullptr && !event.whole) {
    for (size_t position = 0; position < list->size(); ++position) {
      const json::object* choice = (*list)[position].if_object();
      if (choice != nullptr && !choice_index(*choice, position)) {
        co_return Status(Code::kInvalidArgument, "a choice's index is not an integer below " + std::to_string(kMaxChoices));
      }
    }
  }
  for (const auto& filter : filters_) {
    if (Status s = co_await filter->on_event(x, event); !s.is_ok()) co_return s;
  }
  co_return Status::ok();
}

void ChatFilterChain::headers(ChatExchange& x, http::Fields& headers) {
  for (const auto& filter : filters_) filter->on_headers(x, headers);
}

void ChatFilterChain::end(ChatExchange& x, const RouteResult& result) {
  for (size_t i = 0; i < reached_; ++i) filters_[i]->on_end(x, result);
}

}  // namespace fleetgate::assistant
