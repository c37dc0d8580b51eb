// Token counts for providers that report none (the on-board engine, or an upstream that omits
// usage). The estimate works on UTF-8 code points: an ASCII code point weighs 1/4 token (English
// and German average about four characters per token), any other code point one token (a CJK
// ideograph is about one token; accented Latin letters are over-counted a little). Each message
// adds 4 tokens of framing, and offered tools count as their JSON text.
#pragma once

#include <cstdint>
#include <string_view>

#include "fleetgate/assistant/chat.h"

namespace fleetgate::assistant {

// ceil(ascii_code_points / 4) + other_code_points; 0 for empty text.
int64_t estimate_tokens(std::string_view utf8);

// prompt: messages (text, tool calls, framing) plus the request's `tools` JSON;
// completion: the turn's content plus each tool call's name and arguments.
Usage estimate_usage(const ChatRequest& request, const AssistantTurn& turn);

}  // namespace fleetgate::assistant
