#include "fleetgate/query_store/copy_rows.h"

namespace fleetgate::query_store {

CopyRows::CopyRows() {
  out_.append("PGCOPY\n\xff\r\n\0", 11);
  put_be(0, 4);  // flags: no OIDs
  put_be(0, 4);  // header extension length
}

void CopyRows::put_be(uint64_t v, int width) {
  for (int i = width - 1; i >= 0; --i) out_.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

CopyRows& CopyRows::row(int16_t fields) {
  ++rows_;
  put_be(static_cast<uint16_t>(fields), 2);
  return *this;
}

CopyRows& CopyRows::int8(int64_t v) {
  put_be(8, 4);
  put_be(static_cast<uint64_t>(v), 8);
  return *this;
}

CopyRows& CopyRows::bytes(std::string_view v) {
  put_be(v.size(), 4);
  out_.append(v);
  return *this;
}

std::string CopyRows::finish() && {
  put_be(0xffff, 2);  // -1: end of data
  return std::move(out_);
}

}  // namespace fleetgate::query_store
