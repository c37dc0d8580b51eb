// Maps (method, path) to a route. Patterns are "/"-separated segments, each a literal, a
// "{name}" parameter (one non-empty segment) or, last only, "{name...}" (the non-empty rest of the
// path). Literal segments beat parameters, parameters beat a rest match. Not thread-safe for
// add(); find() is safe concurrently once routes are added.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "fleetgate/core/result.h"
#include "fleetgate/http/auth.h"
#include "fleetgate/http/handler.h"
#include "fleetgate/http/message.h"

namespace fleetgate::http {

struct Route {
  Verb method = Verb::get;
  std::string pattern;
  RouteOptions options;
  std::variant<Handler, StreamHandler, AsyncStreamHandler, WebSocketHandler> handler;
};

class Router {
 public:
  using Params = std::map<std::string, std::string, std::less<>>;

  enum class Outcome { kFound, kNotFound, kMethodNotAllowed, kBadPath };
  struct Match {
    Outcome outcome = Outcome::kNotFound;
    const Route* route = nullptr;  // set when kFound
    Params params;                 // percent-decoded, when kFound
    std::vector<Verb> allowed;     // methods the path accepts, when kMethodNotAllowed
  };

  // Returns invalid_argument for a malformed pattern, already_exists when a route with the same
  // method and the same shape (literals and parameter positions) exists.
  Status add(Route route);

  // kBadPath when the chosen route's parameters hold a malformed %-escape.
  Match find(Verb method, std::string_view path) const;

  // Every route added, in insertion order (for access audits and tests).
  std::vector<const Route*> routes() const;

 private:
  enum class SegmentKind { kLiteral, kParam, kRest };
  struct Segment {
    SegmentKind kind;
    std::string text;  // literal text or parameter name
  };
  struct Entry {
    Route route;
    std::vector<Segment> segments;
  };

  static Result<std::vector<Segment>> parse_pattern(std::string_view pattern);
  static bool same_shape(const std::vector<Segment>& a, const std::vector<Segment>& b);
  static bool matches(const std::vector<Segment>& pattern, const std::vector<std::string_view>& path);
  static bool more_specific(const std::vector<Segment>& a, const std::vector<Segment>& b);

  std::vector<Entry> entries_;
};

// "GET, POST" for an Allow header.
std::string allow_header(const std::vector<Verb>& methods);

}  // namespace fleetgate::http
