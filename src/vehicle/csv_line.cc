#include "fleetgate/vehicle/csv_line.h"

namespace fleetgate::vehicle {

Result<std::vector<std::string>> split_csv_line(std::string_view line) {
  std::vector<std::string> fields(1);
  size_t i = 0;
  while (i <= line.size()) {
    std::string& field = fields.back();
    if (i < line.size() && line[i] == '"') {
      const size_t open = i++;
      for (;;) {
        if (i >= line.size()) return invalid_argument("unterminated quote opened at column " + std::to_string(open + 1));
        if (line[i] == '"' && i + 1 < line.size() && line[i + 1] == '"') {
          field.push_back('"');
          i += 2;
        } else if (line[i] == '"') {
          ++i;
          break;
        } else {
          field.push_back(line[i++]);
        }
      }
      if (i < line.size() && line[i] != ',') {
        return invalid_argument("unexpected text after the closing quote at column " + std::to_string(i + 1));
      }
    } else {
      while (i < line.size() && line[i] != ',') {
        if (line[i] == '"') return invalid_argument("quote inside an unquoted field at column " + std::to_string(i + 1));
        field.push_back(line[i++]);
      }
    }
    if (i == line.size()) break;
    ++i;  // past the ','
    fields.emplace_back();
  }
  return fields;
}

}  // namespace fleetgate::vehicle
