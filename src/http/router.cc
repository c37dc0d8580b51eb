#include "fleetgate/http/router.h"

#include <algorithm>

namespace fleetgate::http {

namespace {

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> out;
  if (path.empty() || path == "/") return out;
  if (path.front() == '/') path.remove_prefix(1);
  for (;;) {
    const size_t slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

bool valid_param_name(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

}  // namespace

Result<std::vector<Router::Segment>> Router::parse_pattern(std::string_view pattern) {
  if (pattern.empty() || pattern.front() != '/') {
    return invalid_argument("route pattern must start with '/': " + std::string(pattern));
  }
  std::vector<Segment> segments;
  const std::vector<std::string_view> parts = split_path(pattern);
  for (size_t i = 0; i < parts.size(); ++i) {
    const std::string_view part = parts[i];
    const std::string where = "route pattern " + std::string(pattern) + ": segment " + std::to_string(i + 1);
    if (part.empty()) return invalid_argument(where + " is empty");
    if (part.front() != '{') {
      if (part.find_first_of("{}") != std::string_view::npos) return invalid_argument(where + " mixes text and braces");
      segments.push_back({SegmentKind::kLiteral, std::string(part)});
      continue;
    }
    if (part.back() != '}') return invalid_argument(where + " lacks a closing '}'");
    std::string_view name = part.substr(1, part.size() - 2);
    SegmentKind kind = SegmentKind::kParam;
    if (name.ends_with("...")) {
      if (i + 1 != parts.size()) return invalid_argument(where + ": a {name...} segment must be last");
      name.remove_suffix(3);
      kind = SegmentKind::kRest;
    }
    if (!valid_param_name(name)) return invalid_argument(where + " has a bad parameter name");
    for (const Segment& s : segments) {
      if (s.kind != SegmentKind::kLiteral && s.text == name) {
        return invalid_argument(where + " repeats parameter " + std::string(name));
      }
    }
    segments.push_back({kind, std::string(name)});
  }
  return segments;
}

bool Router::same_shape(const std::vector<Segment>& a, const std::vector<Segment>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].kind != b[i].kind) return false;
    if (a[i].kind == SegmentKind::kLiteral && a[i].text != b[i].text) return false;
  }
  return true;
}

bool Router::matches(const std::vector<Segment>& pattern, const std::vector<std::string_view>& path) {
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (i >= path.size()) return false;
    switch (pattern[i].kind) {
      case SegmentKind::kLiteral:
        if (pattern[i].text != path[i]) return false;
        break;
      case SegmentKind::kParam:
        if (path[i].empty()) return false;
        break;
      case SegmentKind::kRest:
        return !path[i].empty() || i + 1 < path.size();
    }
  }
  return pattern.size() == path.size();
}

bool Router::more_specific(const std::vector<Segment>& a, const std::vector<Segment>& b) {
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
    if (a[i].kind != b[i].kind) return a[i].kind < b[i].kind;
  }
  return a.size() > b.size();
}

Status Router::add(Route route) {
  Result<std::vector<Segment>> segments = parse_pattern(route.pattern);
  if (!segments.is_ok()) return segments.status();
  for (const Entry& e : entries_) {
    if (e.route.method == route.method && same_shape(e.segments, *segments)) {
      return already_exists("route " + std::string(beast_http::to_string(route.method)) + " " + route.pattern +
                            " clashes with " + e.route.pattern);
    }
  }
  entries_.push_back({std::move(route), std::move(segments).value()});
  return Status::ok();
}

Router::Match Router::find(Verb method, std::string_view path) const {
  const std::vector<std::string_view> parts = split_path(path);
  Match m;
  const Entry* best = nullptr;
  for (const Entry& e : entries_) {
    if (!matches(e.segments, parts)) continue;
    if (e.route.method != method) {
      if (std::find(m.allowed.begin(), m.allowed.end(), e.route.method) == m.allowed.end()) {
        m.allowed.push_back(e.route.method);
      }
      continue;
    }
    if (best == nullptr || more_specific(e.segments, best->segments)) best = &e;
  }
  if (best == nullptr) {
    m.outcome = m.allowed.empty() ? Outcome::kNotFound : Outcome::kMethodNotAllowed;
    std::sort(m.allowed.begin(), m.allowed.end());
    return m;
  }
  m.allowed.clear();
  for (size_t i = 0; i < best->segments.size(); ++i) {
    const Segment& s = best->segments[i];
    if (s.kind == SegmentKind::kLiteral) continue;
    std::string_view raw = parts[i];
    if (s.kind == SegmentKind::kRest) {
      // The rest runs from this segment to the end of the path, slashes included.
      raw = std::string_view(parts[i].data(), parts.back().data() + parts.back().size() - parts[i].data());
    }
    std::optional<std::string> value = percent_decode(raw);
    if (!value) {
      m.outcome = Outcome::kBadPath;
      m.params.clear();
      return m;
    }
    m.params.emplace(s.text, std::move(*value));
  }
  m.outcome = Outcome::kFound;
  m.route = &best->route;
  return m;
}

std::string allow_header(const std::vector<Verb>& methods) {
  std::string out;
  for (Verb v : methods) {
    if (!out.empty()) out += ", ";
    out += beast_http::to_string(v);
  }
  return out;
}

std::vector<const Route*> Router::routes() const {
  std::vector<const Route*> out;
  out.reserve(entries_.size());
  for (const auto& e : entries_) out.push_back(&e.route);
  return out;
}

}  // namespace fleetgate::http
