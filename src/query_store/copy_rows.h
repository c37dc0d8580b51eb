// Rows for PostgreSQL's binary COPY format (COPY … FROM STDIN WITH (FORMAT binary)): no text
// escaping of the sealed blocks, which are most of the bytes. Fields are added in the table's
// column order; the caller keeps the count per row right.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace fleetgate::query_store {

class CopyRows {
 public:
  CopyRows();  // the format's header
  CopyRows& row(int16_t fields);
  CopyRows& int8(int64_t v);           // a bigint column
  CopyRows& bytes(std::string_view v); // a bytea or text column (text: UTF-8)
  // The whole input, with the trailer. REQUIRES: called once, last.
  std::string finish() &&;
  bool empty() const { return rows_ == 0; }

 private:
  void put_be(uint64_t v, int width);

  std::string out_;
  size_t rows_ = 0;
};

}  // namespace fleetgate::query_store
