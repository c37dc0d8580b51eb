#include "fleetgate/assistant/ai_label.h"

#include <algorithm>

namespace fleetgate::assistant {

namespace json = boost::json;

json::object AiLabel::metadata(const config::Provider* provider, std::string_view model) const {
  return json::object{{"ai_generated", true},
                      {"provider", provider != nullptr ? provider->id : ""},
                      {"developer_jurisdiction", provider != nullptr ? provider->developer_jurisdiction : ""},
                      {"model", model},
                      {"content_id", content_id},
                      {"reference", rule->reference}};
}

std::string AiLabel::header(std::string_view provider_id) const {
  return "ai-generated; provider=" + std::string(provider_id) + "; content-id=" + content_id;
}

std::optional<AiLabel> ai_label_for(const config::Config& config, std::string_view market, Language lang,
                                    const ChatRequest& request, std::string content_id) {
  const config::AiLabelRule* rule = config.ai_label_rule(market);
  if (rule == nullptr) return std::nullopt;
  AiLabel label{rule, "", std::move(content_id)};
  const bool first_turn = std::none_of(request.messages.begin(), request.messages.end(),
                                       [](const ChatMessage& m) { return m.role == Role::kAssistant; });
  if (first_turn || rule->when == config::AiLabelRule::When::kEveryAnswer) {
    label.notice = Localized{rule->notice_en, rule->notice_zh, rule->notice_de}.in(lang);
  }
  return label;
}

void put_notice(json::object& holder, std::string_view notice, bool text_follows) {
  json::value* content = holder.if_contains("content");
  if (content != nullptr && content->is_array()) {
    content->as_array().insert(content->as_array().begin(), json::object{{"type", "text"}, {"text", notice}});
    return;
  }
  std::string text(notice);
  const bool has_text = content != nullptr && content->is_string() && !content->as_string().empty();
  if (has_text || text_follows) text += "\n\n";
  if (has_text) text += std::string_view(content->as_string());
  holder["content"] = std::move(text);
}

}  // namespace fleetgate::assistant
