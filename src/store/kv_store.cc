#include "fleetgate/store/kv_store.h"

namespace fleetgate::store {

WriteBatch& WriteBatch::put(std::string_view key, std::string_view value) {
  entries_.push_back({Op::kPut, std::string(key), std::string(value)});
  return *this;
}

WriteBatch& WriteBatch::put_moved(std::string&& key, std::string&& value) {
  entries_.push_back({Op::kPut, std::move(key), std::move(value)});
  return *this;
}

WriteBatch& WriteBatch::remove(std::string_view key) {
  entries_.push_back({Op::kRemove, std::string(key), {}});
  return *this;
}

WriteBatch& WriteBatch::append(WriteBatch&& other) {
  if (entries_.empty()) {
    entries_ = std::move(other.entries_);
  } else {
    entries_.insert(entries_.end(), std::make_move_iterator(other.entries_.begin()),
                    std::make_move_iterator(other.entries_.end()));
  }
  other.entries_.clear();
  return *this;
}

Result<std::vector<std::optional<std::string>>> KvReader::get_many(const std::vector<std::string>& keys) const {
  std::vector<std::optional<std::string>> values;
  values.reserve(keys.size());
  for (const auto& key : keys) {
    auto v = get(key);
    if (v.is_ok()) {
      values.emplace_back(std::move(v).value());
    } else if (v.status().code() == Code::kNotFound) {
      values.emplace_back();
    } else {
      return v.status();
    }
  }
  return values;
}

Status KvStore::put(std::string_view key, std::string_view value, WriteOptions options) {
  return write(WriteBatch().put(key, value), options);
}

Status KvStore::remove(std::string_view key, WriteOptions options) {
  return write(WriteBatch().remove(key), options);
}

}  // namespace fleetgate::store
