#include "fleetgate/http/session_registry.h"

namespace fleetgate::http {

SessionRegistry::Session::~Session() {
  std::lock_guard lock(registry_.mu_);
  if (at_ != registry_.open_.end()) registry_.open_.erase(at_);
}

std::unique_ptr<SessionRegistry::Session> SessionRegistry::open(std::string credential, std::function<void()> on_end) {
  std::unique_ptr<Session> session(new Session(*this, std::move(on_end)));
  std::lock_guard lock(mu_);
  session->at_ = credential.empty() ? open_.end() : open_.emplace(std::move(credential), session.get());
  return session;
}

size_t SessionRegistry::end(std::string_view credential) {
  std::lock_guard lock(mu_);
  ++ends_begun_;
  size_t n = 0;
  auto [first, last] = open_.equal_range(credential);
  for (auto it = first; it != last; ++n) {
    Session* s = it->second;
    s->ended_.store(true, std::memory_order_release);
    s->at_ = open_.end();
    it = open_.erase(it);
    if (s->on_end_) s->on_end_();
  }
  return n;
}

uint64_t SessionRegistry::ends_begun() const {
  std::lock_guard lock(mu_);
  return ends_begun_;
}

}  // namespace fleetgate::http
