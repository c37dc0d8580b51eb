#include "fleetgate/http/websocket.h"

#include <boost/asio/post.hpp>

namespace fleetgate::http {

void WebSocketRevocation::fire() {
  fired = true;
  if (!live) return;
  if (hook) {
    hook();
  } else if (close) {
    close();
  }
}

void WebSocketSession::on_revoked(std::function<void()> fn) {
  revocation_->hook = std::move(fn);
  if (!revocation_->fired) return;
  boost::asio::post(stream_.get_executor(), [revocation = revocation_] {
    if (revocation->live && revocation->hook) revocation->hook();
  });
}

}  // namespace fleetgate::http
