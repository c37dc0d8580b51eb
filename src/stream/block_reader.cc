#include "fleetgate/stream/block_reader.h"

#include <utility>

#include "fleetgate/stream/nats_status.h"

namespace fleetgate::stream {

Delivery::Delivery(natsMsg* msg) : msg_(msg) {
  jsMsgMetaData* meta = nullptr;
  if (natsMsg_GetMetaData(&meta, msg_) == NATS_OK) {
    stream_seq_ = meta->Sequence.Stream;
    deliveries_ = meta->NumDelivered;
    pending_ = meta->NumPending;
    jsMsgMetaData_Destroy(meta);
  }
}

Delivery::~Delivery() { natsMsg_Destroy(msg_); }

Delivery::Delivery(Delivery&& other) noexcept
    : msg_(std::exchange(other.msg_, nullptr)), stream_seq_(other.stream_seq_),
      deliveries_(other.deliveries_),
      pending_(other.pending_) {}

Delivery& Delivery::operator=(Delivery&& other) noexcept {
  if (this != &other) {
    natsMsg_Destroy(msg_);
    msg_ = std::exchange(other.msg_, nullptr);
    stream_seq_ = other.stream_seq_;
    deliveries_ = other.deliveries_;
    pending_ = other.pending_;
  }
  return *this;
}

std::string_view Delivery::msg_id() const {
  const char* id = nullptr;
  if (msg_ == nullptr || natsMsgHeader_Get(msg_, "Nats-Msg-Id", &id) != NATS_OK || id == nullptr) return {};
  return id;
}

std::string_view Delivery::block() const {
  if (msg_ == nullptr) return {};
  return {natsMsg_GetData(msg_), static_cast<size_t>(natsMsg_GetDataLength(msg_))};
}

Status Delivery::ack() {
  if (msg_ == nullptr) return failed_precondition("ack of a moved-from delivery");
  jsErrCode code = static_cast<jsErrCode>(0);
  const natsStatus s = natsMsg_AckSync(msg_, nullptr, &code);
  if (s != NATS_OK) return nats_error("ack of stream sequence " + std::to_string(stream_seq_), s, code);
  return Status::ok();
}

Status Delivery::ack_async() {
  if (msg_ == nullptr) return failed_precondition("ack of a moved-from delivery");
  const natsStatus s = natsMsg_Ack(msg_, nullptr);
  if (s != NATS_OK) return nats_error("ack of stream sequence " + std::to_string(stream_seq_), s);
  return Status::ok();
}

Status Delivery::nak_async() {
  if (msg_ == nullptr) return failed_precondition("nak of a moved-from delivery");
  const natsStatus s = natsMsg_Nak(msg_, nullptr);
  if (s != NATS_OK) return nats_error("nak of stream sequence " + std::to_string(stream_seq_), s);
  return Status::ok();
}

Result<std::unique_ptr<BlockReader>> BlockReader::open(ClusterConnection& cluster, const StreamLayout& layout,
                                                       int shard, const std::string& durable,
                                                       ReaderOptions options) {
  if (Status s = validate(layout); !s.is_ok()) return s;
  if (layout.region != cluster.region()) {
    return invalid_argument("a reader for region " + layout.region + " on region " + cluster.region() + "'s cluster");
  }
  if (shard < 0 || shard >= layout.shards) return invalid_argument("reader: no shard " + std::to_string(shard));
  if (durable.empty() || durable.find_first_of(". *>") != std::string::npos) {
    return invalid_argument("reader: durable name '" + durable + "' must be non-empty, without '.', ' ', '*', '>'");
  }
  const std::string stream = stream_name(layout.region, shard);
  const std::string subject = stream_subject(layout.region, shard);
  jsSubOptions so;
  jsSubOptions_Init(&so);
  so.Stream = stream.c_str();
  so.Config.Durable = durable.c_str();
  so.Config.AckPolicy = js_AckExplicit;
  so.Config.DeliverPolicy = js_DeliverAll;
  so.Config.AckWait = std::chrono::duration_cast<std::chrono::nanoseconds>(options.ack_wait).count();
  natsSubscription* sub = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  const natsStatus s = js_PullSubscribe(&sub, cluster.js(), subject.c_str(), durable.c_str(), nullptr, &so, &code);
  if (s != NATS_OK) return nats_error("pull consumer " + durable + " on " + stream, s, code);
  return std::unique_ptr<BlockReader>(new BlockReader(sub, stream));
}

BlockReader::~BlockReader() {
  // Not natsSubscription_Unsubscribe: it deletes a consumer nats.c's subscribe created, durable or
  // not, and with it the position. Destroy keeps it (ADurableReaderResumesAfterItsLastAck).
  natsSubscription_Destroy(sub_);
}

Result<uint64_t> acked_through(ClusterConnection& cluster, const StreamLayout& layout, int shard,
                               const std::string& durable, std::chrono::milliseconds timeout) {
  const std::string stream = stream_name(layout.region, shard);
  jsOptions options;
  jsOptions_Init(&options);
  options.Wait = timeout.count();  // 0: the context's request timeout
  jsConsumerInfo* ci = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  const natsStatus s = js_GetConsumerInfo(&ci, cluster.js(), stream.c_str(), durable.c_str(), &options, &code);
  if (s != NATS_OK) return nats_error("consumer " + durable + " on " + stream, s, code);
  const uint64_t floor = ci->AckFloor.Stream;
  jsConsumerInfo_Destroy(ci);
  return floor;
}

Result<std::vector<Delivery>> BlockReader::fetch(int max, std::chrono::milliseconds timeout) {
  if (max <= 0) return invalid_argument("fetch: max must be positive");
  std::vector<Delivery> out;
  // natsSubscription_Fetch(max) would hold a lone block until `max` came or the timeout passed:
  // a persisted ack waits on this. So: a long poll for one block, then at once what else is there.
  auto take = [&](jsFetchRequest& request) -> Status {
    natsMsgList list{};
    const natsStatus s = natsSubscription_FetchRequest(&list, sub_, &request);
    if (s == NATS_TIMEOUT || s == NATS_NOT_FOUND) return Status::ok();  // nothing new in time
    if (s != NATS_OK) {
      // The server ends a waiting pull request when the consumer's leader changes or a server
      // shuts down ("409 Leadership Change"): the durable consumer lives on, so fetching again
      // succeeds. Only a call fleetgate got wrong is more than unavailable.
      Status error = nats_error("fetch from " + stream_, s);
      if (error.code() == Code::kInternal) return Status(Code::kUnavailable, error.message());
      return error;
    }
    for (int i = 0; i < list.Count; ++i) out.emplace_back(std::exchange(list.Msgs[i], nullptr));
    natsMsgList_Destroy(&list);
    return Status::ok();
  };
  const int64_t expires_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(timeout).count();
  jsFetchRequest first;
  jsFetchRequest_Init(&first);
  first.Batch = 1;
  first.Expires = expires_ns;
  if (Status s = take(first); !s.is_ok()) return s;
  if (out.empty() || max == 1) return out;
  jsFetchRequest rest;
  jsFetchRequest_Init(&rest);
  rest.Batch = max - 1;
  rest.NoWait = true;
  rest.Expires = expires_ns;
  (void)take(rest);  // what failed here fails the next fetch; the blocks in hand are not lost
  return out;
}

}  // namespace fleetgate::stream
