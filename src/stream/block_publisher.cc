#include "fleetgate/stream/block_publisher.h"

#include <string>

#include "fleetgate/stream/nats_status.h"

namespace fleetgate::stream {

Result<std::unique_ptr<BlockPublisher>> BlockPublisher::create(ClusterConnection& cluster, StreamLayout layout,
                                                               PublishOptions options) {
  if (Status s = validate(layout); !s.is_ok()) return s;
  if (layout.region != cluster.region()) {
    return invalid_argument("a publisher for region " + layout.region + " on region " + cluster.region() +
                            "'s cluster");
  }
  if (options.max_in_flight == 0) return invalid_argument("publisher: max_in_flight must be positive");
  if (options.ack_timeout.count() <= 0) return invalid_argument("publisher: ack_timeout must be positive");
  std::unique_ptr<BlockPublisher> publisher(new BlockPublisher(std::move(layout), options));
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.Wait = cluster.options().request_timeout.count();
  jo.PublishAsync.AckHandler = &BlockPublisher::on_pub_ack;
  jo.PublishAsync.AckHandlerClosure = publisher.get();
  // nats.c's own bound would stall publish() (StallWait); ours refuses instead, so it stays above ours.
  jo.PublishAsync.MaxPending = static_cast<int64_t>(options.max_in_flight) + 1;
  if (natsStatus s = natsConnection_JetStream(&publisher->js_, cluster.nats(), &jo); s != NATS_OK) {
    return nats_error("region " + cluster.region() + ": JetStream publish context", s);
  }
  return publisher;
}

BlockPublisher::~BlockPublisher() {
  // Terminates: every publish carries MaxWait, so nats.c's timer completes it with a timeout when
  // no PubAck comes, and the connection it needs lives on (ClusterConnection reconnects forever).
  std::unique_lock lock(mu_);
  drained_.wait(lock, [this] { return in_flight_.empty(); });
  lock.unlock();
  jsCtx_Destroy(js_);
}

size_t BlockPublisher::in_flight() const {
  std::lock_guard lock(mu_);
  return in_flight_.size();
}

Status BlockPublisher::publish(const BlockKey& key, std::string_view block, AckCallback done) {
  const int shard = shard_of(key.pseudonym, layout_.shards);
  const std::string subject = stream_subject(layout_.region, shard);
  const std::string id = msg_id(layout_.region, key);
  natsMsg* msg = nullptr;
  natsStatus s = natsMsg_Create(&msg, subject.c_str(), nullptr, block.data(), static_cast<int>(block.size()));
  if (s != NATS_OK) return nats_error("block " + id, s);
  {
    std::lock_guard lock(mu_);
    if (in_flight_.size() >= options_.max_in_flight) {
      natsMsg_Destroy(msg);
      return {Code::kResourceExhausted, "region " + layout_.region + ": " + std::to_string(in_flight_.size()) +
                                            " blocks await their PubAck (the publisher's limit)"};
    }
    // Before sending: the PubAck may arrive before js_PublishMsgAsync returns.
    in_flight_.emplace(msg, std::move(done));
  }
  jsPubOptions po;
  jsPubOptions_Init(&po);
  po.MsgId = id.c_str();
  po.MaxWait = options_.ack_timeout.count();
  natsMsg* owned = msg;
  s = js_PublishMsgAsync(js_, &owned, &po);
  if (s == NATS_OK) return Status::ok();  // nats.c owns the message; on_pub_ack will run
  // nats.c did not take it, so on_pub_ack will not run for it.
  Status error = nats_error("publish block " + id + " to " + stream_name(layout_.region, shard), s);
  std::lock_guard lock(mu_);
  in_flight_.erase(msg);
  natsMsg_Destroy(msg);
  return error;
}

namespace {

Status pub_ack_error(natsMsg* msg, const jsPubAckErr* pae, std::chrono::milliseconds ack_timeout) {
  const char* id = nullptr;
  if (natsMsgHeader_Get(msg, "Nats-Msg-Id", &id) != NATS_OK) id = "?";
  std::string what = "publish block " + std::string(id) + " to " + natsMsg_GetSubject(msg);
  if (pae == nullptr) return unavailable(what + ": no PubAck");
  if (pae->Err == NATS_TIMEOUT) what += " (no PubAck within " + std::to_string(ack_timeout.count()) + " ms)";
  return nats_error(what, pae->Err, pae->ErrCode, pae->ErrText != nullptr ? pae->ErrText : "");
}

}  // namespace

void BlockPublisher::on_pub_ack(jsCtx*, natsMsg* msg, jsPubAck* pa, jsPubAckErr* pae, void* closure) {
  auto* self = static_cast<BlockPublisher*>(closure);
  AckCallback done;
  {
    std::lock_guard lock(self->mu_);
    auto it = self->in_flight_.find(msg);
    if (it != self->in_flight_.end()) done = std::move(it->second);
  }
  if (done) {
    if (pa != nullptr) {
      done(PublishAck{pa->Sequence, pa->Duplicate});
    } else {
      done(pub_ack_error(msg, pae, self->options_.ack_timeout));
    }
  }
  std::lock_guard lock(self->mu_);
  self->in_flight_.erase(msg);
  // Only after the erase: while its entry lived, no new message could reuse this address as a key.
  natsMsg_Destroy(msg);
  // Under the lock: the destructor, once woken, may free this publisher as soon as it is released.
  self->drained_.notify_all();
}

}  // namespace fleetgate::stream
