// AI transparency labels on assistant answers ([[compliance.ai_labels]]; CN: Measures for
// Labelling AI-Generated Synthetic Content, EU: AI Act Art. 50). The rule of the car's market
// decides what the driver is told in words (a notice before the answer's text, on every answer
// or on a conversation's first turn) and every answer it covers carries a machine-readable label:
// the `fleetgate_ai_label` field of the completion (or of a stream's first chunk) and the
// `x-fleetgate-ai-label` header, naming the provider, its developer's jurisdiction, the model and
// the answer's content id (its usage record's request id).
#pragma once

#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "fleetgate/assistant/chat.h"
#include "fleetgate/assistant/language.h"
#include "fleetgate/core/config.h"

namespace fleetgate::assistant {

struct AiLabel {
  const config::AiLabelRule* rule = nullptr;
  std::string notice;      // in the user's language; empty on a later turn of a first-turn rule
  std::string content_id;  // the answer's usage record id

  // The machine-readable label of an answer by `provider` (nullptr when none answered) in `model`.
  boost::json::object metadata(const config::Provider* provider, std::string_view model) const;
  // The x-fleetgate-ai-label header's value: `ai-generated; provider=ID; content-id=ID`.
  std::string header(std::string_view provider_id) const;
};

// The label of the answer to `request` from a car of `market`; nullopt when no rule covers it.
std::optional<AiLabel> ai_label_for(const config::Config& config, std::string_view market, Language lang,
                                    const ChatRequest& request, std::string content_id);

// Puts `notice` before the text of `holder`, a message or a stream delta: string content gets
// "notice\n\ntext", an array of parts a text part in front, none the notice (followed by "\n\n"
// when `text_follows`, as in a stream's first delta).
void put_notice(boost::json::object& holder, std::string_view notice, bool text_follows);

}  // namespace fleetgate::assistant
