#include "fleetgate/transfer/transfer.h"

#include <boost/json.hpp>

#include "fleetgate/transfer/json_reader.h"

namespace fleetgate::transfer {
namespace {

namespace json = boost::json;
using detail::JsonReader;
using detail::to_json_array;

constexpr std::pair<State, std::string_view> kStateNames[] = {
    {State::kRequested, "requested"}, {State::kApproved, "approved"}, {State::kRejected, "rejected"},
    {State::kExpired, "expired"},     {State::kExported, "exported"}, {State::kImported, "imported"}};

std::optional<State> parse_state(std::string_view s) {
  for (const auto& [state, name] : kStateNames) {
    if (name == s) return state;
  }
  return std::nullopt;
}

TransferRequest read_request(JsonReader& r) {
  TransferRequest req;
  req.source_region = r.text("source_region");
  req.dest_region = r.text("dest_region");
  const std::string data_class = r.text("data_class");
  if (auto c = residency::parse_data_class(data_class); c.is_ok()) {
    req.data_class = *c;
  } else if (!data_class.empty()) {
    r.fail("data_class", "is not a data class: " + c.status().message());
  }
  req.fields = r.strings("fields", true);
  req.selection.from_ms = r.integer("from_ms", true);
  req.selection.to_ms = r.integer("to_ms", true);
  req.selection.vins = r.strings("vins", true);
  const uint64_t k = r.count("min_group_size", true);
  if (k > UINT32_MAX) r.fail("min_group_size", "is out of range");
  req.min_group_size = static_cast<uint32_t>(k);
  req.artifact = r.text("artifact", true);
  req.purpose = r.text("purpose");
  req.legal_basis = r.text("legal_basis");
  req.basis_type = r.text("basis_type", true);
  req.assessment_ref = r.text("assessment_ref");
  req.expires_at_ms = r.integer("expires_at_ms");
  return req;
}

}  // namespace

std::string_view to_string(State s) {
  for (const auto& [state, name] : kStateNames) {
    if (state == s) return name;
  }
  return "unknown";
}

json::object to_json(const TransferRequest& r) {
  return json::object{{"source_region", r.source_region},
                      {"dest_region", r.dest_region},
                      {"data_class", residency::to_string(r.data_class)},
                      {"fields", to_json_array(r.fields)},
                      {"from_ms", r.selection.from_ms},
                      {"to_ms", r.selection.to_ms},
                      {"vins", to_json_array(r.selection.vins)},
                      {"min_group_size", r.min_group_size},
                      {"artifact", r.artifact},
                      {"purpose", r.purpose},
                      {"legal_basis", r.legal_basis},
                      {"basis_type", r.basis_type},
                      {"assessment_ref", r.assessment_ref},
                      {"expires_at_ms", r.expires_at_ms}};
}

json::object to_json(const Transfer& t) {
  json::array approvals;
  for (const auto& a : t.approvals) {
    approvals.push_back(json::object{{"approver", a.approver}, {"role", a.role}, {"time_ms", a.time_ms}});
  }
  return json::object{{"id", t.id},
                      {"state", to_string(t.state)},
                      {"requester", t.requester},
                      {"created_ms", t.created_ms},
                      {"updated_ms", t.updated_ms},
                      {"request", to_json(t.request)},
                      {"approvals", std::move(approvals)},
                      {"rejected_by", t.rejected_by},
                      {"reject_reason", t.reject_reason},
                      {"manifest_sha256", t.manifest_sha256}};
}

Result<TransferRequest> parse_request(const json::object& body) {
  JsonReader r(body, Code::kInvalidArgument, "transfer request");
  for (const auto& [key, value] : body) {
    if (!to_json(TransferRequest{}).contains(key)) r.fail(key, "is not a transfer request field");
  }
  TransferRequest req = read_request(r);
  if (Status s = r.status(); !s.is_ok()) return s;
  return req;
}

Result<Transfer> transfer_from_json(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return data_loss("stored transfer is not a JSON object");
  JsonReader r(v.as_object(), Code::kDataLoss, "stored transfer");
  Transfer t;
  t.id = r.text("id");
  const std::string state = r.text("state");
  if (auto s = parse_state(state)) t.state = *s;
  else r.fail("state", "is not a transfer state");
  t.requester = r.text("requester");
  t.created_ms = r.integer("created_ms");
  t.updated_ms = r.integer("updated_ms");
  if (const json::object* req = r.object("request")) {
    JsonReader rr(*req, Code::kDataLoss, "stored transfer request");
    t.request = read_request(rr);
    if (Status s = rr.status(); !s.is_ok()) return s;
  }
  if (const json::value* approvals = v.as_object().if_contains("approvals"); approvals && approvals->is_array()) {
    for (const auto& a : approvals->as_array()) {
      if (!a.is_object()) return data_loss("stored transfer: an approval is not an object");
      JsonReader ar(a.as_object(), Code::kDataLoss, "stored approval");
      Approval approval{ar.text("approver"), ar.text("role"), ar.integer("time_ms")};
      if (Status s = ar.status(); !s.is_ok()) return s;
      t.approvals.push_back(std::move(approval));
    }
  } else {
    r.fail("approvals", "must be an array");
  }
  t.rejected_by = r.text("rejected_by");
  t.reject_reason = r.text("reject_reason");
  t.manifest_sha256 = r.text("manifest_sha256");
  if (Status s = r.status(); !s.is_ok()) return s;
  return t;
}

}  // namespace fleetgate::transfer
