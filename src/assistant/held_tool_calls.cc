#include "fleetgate/assistant/held_tool_calls.h"

#include <cstdint>

namespace fleetgate::assistant {
namespace {

namespace json = boost::json;

// A member that is present and not null (providers send null for "not in this piece").
const json::value* present(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr && !v->is_null() ? v : nullptr;
}

// A streamed call's index: an integer naming a call already begun or the next one.
std::optional<size_t> call_index(const json::value* v, size_t calls) {
  if (v == nullptr) return std::nullopt;
  uint64_t index = 0;
  if (v->is_int64() && v->get_int64() >= 0) {
    index = static_cast<uint64_t>(v->get_int64());
  } else if (v->is_uint64()) {
    index = v->get_uint64();
  } else {
    return std::nullopt;
  }
  if (index > calls) return std::nullopt;
  return static_cast<size_t>(index);
}

Status unreadable(std::string what) { return invalid_argument(std::move(what)); }

}  // namespace

Status ToolCallHold::append(std::string& to, const json::value* piece) {
  if (piece == nullptr) return Status::ok();
  if (!piece->is_string()) return unreadable("a name, id or arguments is not a string");
  const json::string& s = piece->get_string();
  if (s.size() > limits_.max_bytes - bytes_) {
    return Status(Code::kResourceExhausted,
                  "the answer's tool calls exceed " + std::to_string(limits_.max_bytes) + " bytes");
  }
  bytes_ += s.size();
  to.append(s.data(), s.size());
  return Status::ok();
}

Status ToolCallHold::new_call() {
  if (calls_ == limits_.max_calls) {
    return Status(Code::kResourceExhausted,
                  "the answer has more than " + std::to_string(limits_.max_calls) + " tool calls");
  }
  ++calls_;
  return Status::ok();
}

Status ToolCallHold::take_tool_call(Pending& p, const json::value& v, size_t position, bool whole) {
  const json::object* call = v.if_object();
  if (call == nullptr) return unreadable("a tool call is not an object");
  std::optional<size_t> index = whole ? position : call_index(call->if_contains("index"), p.tool_calls.size());
  if (!index) return unreadable("a tool call's index does not name a begun or the next call");
  if (const json::value* type = present(*call, "type"); type != nullptr && *type != "function") {
    return unreadable("a tool call's type is not 'function'");
  }
  const json::value* fn = present(*call, "function");
  if (fn != nullptr && !fn->is_object()) return unreadable("a tool call's function is not an object");
  const json::object* f = fn != nullptr ? &fn->get_object() : nullptr;
  const json::value* id = present(*call, "id");
  const json::value* name = f != nullptr ? present(*f, "name") : nullptr;
  const json::value* arguments = f != nullptr ? present(*f, "arguments") : nullptr;
  if (*index == p.tool_calls.size()) {
    if (id == nullptr || name == nullptr || (whole && arguments == nullptr)) {
      return unreadable("a tool call lacks its id, name or arguments");
    }
    if (Status s = new_call(); !s.is_ok()) return s;
    p.tool_calls.emplace_back();
    if (Status s = append(p.tool_calls.back().id, id); !s.is_ok()) return s;
  } else if (id != nullptr && (!id->is_string() || (!id->get_string().empty() && id->get_string() != p.tool_calls[*index].id))) {
    return unreadable("a tool call's pieces name two ids");
  }
  HeldCall& held = p.tool_calls[*index];
  if (Status s = append(held.name, name); !s.is_ok()) return s;
  return append(held.arguments, arguments);
}

Status ToolCallHold::take_tool_calls(Pending& p, const json::value& v, bool whole) {
  const json::array* calls = v.if_array();
  if (calls == nullptr) return unreadable("tool_calls is not an array");
  for (size_t i = 0; i < calls->size(); ++i) {
    if (Status s = take_tool_call(p, (*calls)[i], p.tool_calls.size(), whole); !s.is_ok()) return s;
  }
  return Status::ok();
}

Status ToolCallHold::take_function_call(Pending& p, const json::value& v, bool whole) {
  const json::object* call = v.if_object();
  if (call == nullptr) return unreadable("function_call is not an object");
  const json::value* name = present(*call, "name");
  const json::value* arguments = present(*call, "arguments");
  if (!p.function_call) {
    if (name == nullptr || (whole && arguments == nullptr)) return unreadable("function_call lacks its name or arguments");
    if (Status s = new_call(); !s.is_ok()) return s;
    p.function_call = HeldCall{CallShape::kFunctionCall, "", "", ""};
  }
  if (Status s = append(p.function_call->name, name); !s.is_ok()) return s;
  return append(p.function_call->arguments, arguments);
}

Result<bool> ToolCallHold::take_from(size_t choice, json::object& holder, bool whole) {
  bool taken = false;
  for (std::string_view key : {"tool_calls", "function_call"}) {
    auto it = holder.find(key);
    if (it == holder.end()) continue;
    const json::value v = std::move(it->value());
    holder.erase(it);
    taken = true;
    if (v.is_null()) continue;
    Pending& p = held_[choice];
    if (!p.unreadable.empty()) continue;  // the choice is refused whole: nothing more to keep
    Status s = key == "tool_calls" ? take_tool_calls(p, v, whole) : take_function_call(p, v, whole);
    if (s.code() == Code::kResourceExhausted) return s;
    if (!s.is_ok()) {
      p.unreadable = s.message();
      p.tool_calls.clear();
      p.function_call.reset();
    }
    if (p.tool_calls.empty() && !p.function_call && p.unreadable.empty()) held_.erase(choice);  // e.g. "tool_calls":[]
  }
  return taken;
}

std::vector<size_t> ToolCallHold::holding() const {
  std::vector<size_t> out;
  for (const auto& [choice, p] : held_) out.push_back(choice);
  return out;
}

HeldChoice ToolCallHold::release(size_t choice) {
  auto it = held_.find(choice);
  if (it == held_.end()) return {};
  HeldChoice out{std::move(it->second.tool_calls), std::move(it->second.unreadable)};
  if (it->second.function_call) out.calls.push_back(std::move(*it->second.function_call));
  held_.erase(it);
  return out;
}

}  // namespace fleetgate::assistant
