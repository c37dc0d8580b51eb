#include "fleetgate/assistant/tool_parameters.h"

#include "fleetgate/assistant/language.h"

namespace fleetgate::assistant {

namespace json = boost::json;

namespace {

constexpr int kMaxDepth = 8;

bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
bool is_lower_or_digit(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

std::string string_at(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}

// The first type that is not "null": ["number", "null"] is a number that may be left out.
std::string type_of(const json::object& schema) {
  const json::value* t = schema.if_contains("type");
  if (t == nullptr) return "";
  if (t->is_string()) return std::string(t->get_string());
  if (const json::array* list = t->if_array()) {
    for (const json::value& name : *list) {
      if (name.is_string() && name.get_string() != "null") return std::string(name.get_string());
    }
  }
  return "";
}

bool is_required(const json::object& parent, std::string_view key) {
  const json::value* required = parent.if_contains("required");
  if (required == nullptr || !required->is_array()) return false;
  for (const json::value& k : required->get_array()) {
    if (k.is_string() && k.get_string() == key) return true;
  }
  return false;
}

void collect(const json::object& schema, std::vector<std::string>& path, bool required, int depth,
             std::vector<Parameter>& out) {
  const json::value* props = schema.if_contains("properties");
  if (props == nullptr || !props->is_object() || depth >= kMaxDepth) return;
  for (const auto& kv : props->get_object()) {
    const json::object* sub = kv.value().if_object();
    if (sub == nullptr) continue;
    path.emplace_back(kv.key());
    const bool sub_required = required && is_required(schema, kv.key());
    const std::string type = type_of(*sub);
    if (type == "object" || (type.empty() && sub->contains("properties"))) {
      collect(*sub, path, sub_required, depth + 1, out);
    } else {
      Parameter p{path, sub, sub_required, type, identifier_words(kv.key()), "", {}};
      for (const std::string& part : path) p.words += identifier_words(part) + " ";
      p.words += "| " + fold_case(string_at(*sub, "title")) + " | " + fold_case(string_at(*sub, "description"));
      if (const json::value* e = sub->if_contains("enum"); e != nullptr && e->is_array()) {
        for (const json::value& v : e->get_array()) {
          if (v.is_string()) p.enum_values.emplace_back(v.get_string());
        }
      } else if (const json::value* c = sub->if_contains("const"); c != nullptr && c->is_string()) {
        p.enum_values.emplace_back(c->get_string());
      }
      out.push_back(std::move(p));
    }
    path.pop_back();
  }
}

}  // namespace

std::string Parameter::dotted() const {
  std::string text;
  for (const std::string& part : path) text += (text.empty() ? "" : ".") + part;
  return text;
}

std::vector<Parameter> parameters_of(const json::object& schema) {
  std::vector<Parameter> out;
  std::vector<std::string> path;
  collect(schema, path, true, 0, out);
  return out;
}

std::string identifier_words(std::string_view name) {
  std::string out;
  auto separate = [&] {
    if (!out.empty() && out.back() != ' ') out += ' ';
  };
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if (c == '_' || c == '-' || c == '.' || c == ' ' || c == '/' || c == ':') {
      separate();
      continue;
    }
    // A capital starts a word after a small letter or digit ("setWindow"), and the last capital
    // of a run starts one when a small letter follows ("ACTemp" -> "AC Temp").
    const bool after_lower = i > 0 && is_lower_or_digit(name[i - 1]);
    const bool run_ends = i > 0 && is_upper(name[i - 1]) && i + 1 < name.size() && is_lower_or_digit(name[i + 1]);
    if (is_upper(c) && (after_lower || run_ends)) separate();
    out += c;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return fold_case(out);
}

}  // namespace fleetgate::assistant
