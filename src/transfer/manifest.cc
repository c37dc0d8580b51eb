#include "fleetgate/transfer/manifest.h"

#include <algorithm>
#include <boost/json.hpp>

#include "fleetgate/transfer/json_reader.h"

namespace fleetgate::transfer {
namespace json = boost::json;
using detail::to_json_array;

json::object to_json(const Manifest& m) {
  json::object files;
  for (const auto& [name, digest] : m.files) files[name] = digest;
  json::object file_bytes;
  for (const auto& [name, size] : m.file_bytes) file_bytes[name] = size;
  return json::object{{"transfer_id", m.transfer_id},
                      {"source_region", m.source_region},
                      {"dest_region", m.dest_region},
                      {"data_class", m.data_class},
                      {"fields", to_json_array(m.fields)},
                      {"from_ms", m.from_ms},
                      {"to_ms", m.to_ms},
                      {"records", m.records},
                      {"vehicles", m.vehicles},
                      {"suppressed", m.suppressed},
                      {"min_group_size", m.min_group_size},
                      {"artifact", m.artifact},
                      {"approvers", to_json_array(m.approvers)},
                      {"created_ms", m.created_ms},
                      {"files", std::move(files)},
                      {"file_bytes", std::move(file_bytes)}};
}

Result<Manifest> manifest_from_json(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return data_loss("manifest is not a JSON object");
  detail::JsonReader r(v.as_object(), Code::kDataLoss, "manifest");
  Manifest m;
  m.transfer_id = r.text("transfer_id");
  m.source_region = r.text("source_region");
  m.dest_region = r.text("dest_region");
  m.data_class = r.text("data_class");
  m.fields = r.strings("fields");
  m.from_ms = r.integer("from_ms");
  m.to_ms = r.integer("to_ms");
  m.records = r.count("records");
  m.vehicles = r.count("vehicles");
  m.suppressed = r.count("suppressed");
  const uint64_t k = r.count("min_group_size");
  m.min_group_size = static_cast<uint32_t>(k);
  m.artifact = r.text("artifact");
  m.approvers = r.strings("approvers");
  m.created_ms = r.integer("created_ms");
  m.files = r.string_map("files");
  if (const json::object* sizes = r.object("file_bytes")) {
    for (const auto& entry : *sizes) {
      const json::value& size = entry.value();
      if (!size.is_uint64() && !(size.is_int64() && size.as_int64() >= 0)) {
        r.fail("file_bytes", "holds a size that is not a non-negative integer");
        break;
      }
      m.file_bytes[std::string(entry.key())] = size.is_uint64() ? size.as_uint64() : static_cast<uint64_t>(size.as_int64());
    }
    const bool same_names = std::equal(m.files.begin(), m.files.end(), m.file_bytes.begin(), m.file_bytes.end(),
                                       [](const auto& a, const auto& b) { return a.first == b.first; });
    if (!same_names) r.fail("file_bytes", "does not name exactly the files");
  }
  if (k > UINT32_MAX) r.fail("min_group_size", "is out of range");
  if (Status s = r.status(); !s.is_ok()) return s;
  return m;
}

}  // namespace fleetgate::transfer
