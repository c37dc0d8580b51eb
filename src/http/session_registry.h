// Long-lived sessions (WebSockets) by the credential that authenticated them
// (Principal::credential), so that revoking a credential also ends the sessions it opened: end()
// marks each of them ended and calls its on_end before it returns. Thread-safe.
//
// A revocation writes the credential store first and calls end() after, so a session opened after
// an access check may have missed both: the check read the credential before the revocation was
// written, and end() ran before open(). ends_begun() closes that window: read it before the check;
// when it moved by the time open() returned, an end() ran in between and the check must be made
// again (it then sees the revocation, or a later end() finds the session).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace fleetgate::http {

class SessionRegistry {
 public:
  // One open session; destroying it deregisters it, after which on_end is never called.
  class Session {
   public:
    ~Session();
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;
    // True once its credential was revoked: act on nothing more the peer sends.
    bool ended() const { return ended_.load(std::memory_order_acquire); }

   private:
    friend class SessionRegistry;
    Session(SessionRegistry& registry, std::function<void()> on_end) : registry_(registry), on_end_(std::move(on_end)) {}
    SessionRegistry& registry_;
    std::function<void()> on_end_;
    std::atomic<bool> ended_{false};
    std::multimap<std::string, Session*, std::less<>>::iterator at_;
  };

  // Registers a session opened with `credential` (empty: one that nothing ends). `on_end` runs
  // on the revoking thread, at most once, with the registry locked: it must only hand the work
  // over (post to the session's executor). REQUIRES: the registry outlives the session.
  std::unique_ptr<Session> open(std::string credential, std::function<void()> on_end);
  // Ends every open session of `credential`; how many.
  size_t end(std::string_view credential);
  // How many end() calls have begun, whatever their credential (see the file comment).
  uint64_t ends_begun() const;

 private:
  mutable std::mutex mu_;
  std::multimap<std::string, Session*, std::less<>> open_;
  uint64_t ends_begun_ = 0;
};

}  // namespace fleetgate::http
