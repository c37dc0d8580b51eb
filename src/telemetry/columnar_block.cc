#include "fleetgate/telemetry/columnar_block.h"

#include <algorithm>
#include <optional>
#include <string>

#include "fleetgate/telemetry/proto/stored_record.pb.h"
#include "fleetgate/telemetry/proto/telemetry.pb.h"
#include "fleetgate/telemetry/wire_datum.h"

namespace fleetgate::telemetry {
namespace {

using stored::ValueKind;

ValueKind kind_of(const wire::Datum& d) {
  switch (d.value_case()) {
    case wire::Datum::kStringValue: return stored::VALUE_KIND_STRING;
    case wire::Datum::kIntValue: return stored::VALUE_KIND_INT;
    case wire::Datum::kDoubleValue: return stored::VALUE_KIND_DOUBLE;
    case wire::Datum::kBoolValue: return stored::VALUE_KIND_BOOL;
    case wire::Datum::kLocationValue:
      return d.location_value().has_heading() ? stored::VALUE_KIND_LOCATION_HEADING : stored::VALUE_KIND_LOCATION;
    case wire::Datum::VALUE_NOT_SET: break;
  }
  return stored::VALUE_KIND_UNSPECIFIED;
}

// The catalogue type of a value of `kind`; nullopt for none (unspecified, or a number this
// version does not know).
std::optional<ValueType> type_of(int kind) {
  switch (kind) {
    case stored::VALUE_KIND_STRING: return ValueType::kString;
    case stored::VALUE_KIND_INT: return ValueType::kInt;
    case stored::VALUE_KIND_DOUBLE: return ValueType::kDouble;
    case stored::VALUE_KIND_BOOL: return ValueType::kBool;
    case stored::VALUE_KIND_LOCATION:
    case stored::VALUE_KIND_LOCATION_HEADING: return ValueType::kLocation;
    default: return std::nullopt;
  }
}

// Personal values are sealed, and so is every location, whatever its field's class.
bool sealed_at_rest(const FieldSpec& s) { return s.data_class == DataClass::kPersonal || s.type == ValueType::kLocation; }

// Times and seqs are stored as differences from the previous record's, taken (and summed back)
// modulo 2^64, so no value overflows, whatever the bytes.
int64_t delta(uint64_t value, uint64_t previous) { return static_cast<int64_t>(value - previous); }
uint64_t undelta(int64_t delta, uint64_t previous) { return previous + static_cast<uint64_t>(delta); }

// ---- Writing

bool has_layout(const stored::Layout& layout, const wire::Payload& r) {
  if (layout.fields_size() != r.data_size()) return false;
  for (int i = 0; i < r.data_size(); ++i) {
    const wire::Datum& d = r.data(i);
    if (layout.fields(i) != static_cast<uint32_t>(d.field()) || layout.kinds(i) != kind_of(d)) return false;
  }
  return true;
}

// The index of `r`'s layout in clear.layouts, added when new.
Result<uint32_t> layout_index(const wire::Payload& r, stored::ColumnarBlock& clear) {
  for (int i = 0; i < clear.layouts_size(); ++i) {
    if (has_layout(clear.layouts(i), r)) return static_cast<uint32_t>(i);
  }
  stored::Layout& layout = *clear.add_layouts();
  for (int i = 0; i < r.data_size(); ++i) {
    const wire::Datum& d = r.data(i);
    Result<const FieldSpec*> s = check_wire(d, static_cast<size_t>(i));
    if (!s.is_ok()) return s.status();
    const ValueKind kind = kind_of(d);
    if (type_of(kind) != (*s)->type) {
      return invalid_argument("data[" + std::to_string(i) + "] (" + std::string((*s)->name) + "): a " +
                              std::string(to_string(*type_of(kind))) + " value where the catalogue says " +
                              std::string(to_string((*s)->type)));
    }
    layout.add_fields(static_cast<uint32_t>(d.field()));
    layout.add_kinds(kind);
  }
  return static_cast<uint32_t>(clear.layouts_size() - 1);
}

uint32_t dictionary_index(const std::string& s, stored::Columns& out) {
  const int probe = std::min(out.dictionary_size(), kDictionaryProbe);
  for (int i = 0; i < probe; ++i) {
    if (out.dictionary(i) == s) return static_cast<uint32_t>(i);
  }
  out.add_dictionary(s);
  return static_cast<uint32_t>(out.dictionary_size() - 1);
}

// REQUIRES: `d` has a value (its layout was checked).
void append_value(const wire::Datum& d, stored::Columns& out) {
  switch (d.value_case()) {
    case wire::Datum::kStringValue: out.add_strings(dictionary_index(d.string_value(), out)); break;
    case wire::Datum::kIntValue: out.add_ints(d.int_value()); break;
    case wire::Datum::kDoubleValue: out.add_doubles(d.double_value()); break;
    case wire::Datum::kBoolValue: out.add_bools(d.bool_value()); break;
    case wire::Datum::kLocationValue: {
      const wire::Location& l = d.location_value();
      out.add_doubles(l.lat());
      out.add_doubles(l.lon());
      if (l.has_heading()) out.add_doubles(l.heading());
      break;
    }
    case wire::Datum::VALUE_NOT_SET: break;
  }
}

// ---- Checking

// How many entries of each column some records take.
struct ColumnSizes {
  uint64_t doubles = 0;
  uint64_t ints = 0;
  uint64_t bools = 0;
  uint64_t strings = 0;

  // REQUIRES: type_of(kind) is set.
  void add(int kind) {
    switch (kind) {
      case stored::VALUE_KIND_STRING: ++strings; break;
      case stored::VALUE_KIND_INT: ++ints; break;
      case stored::VALUE_KIND_DOUBLE: ++doubles; break;
      case stored::VALUE_KIND_BOOL: ++bools; break;
      case stored::VALUE_KIND_LOCATION: doubles += 2; break;
      default: doubles += 3; break;  // VALUE_KIND_LOCATION_HEADING
    }
  }
  void add(const ColumnSizes& o) {
    doubles += o.doubles;
    ints += o.ints;
    bools += o.bools;
    strings += o.strings;
  }
};

struct PartSizes {
  ColumnSizes clear;
  ColumnSizes sealed;
};

std::string layout_at(int layout, int item) {
  return "layouts[" + std::to_string(layout) + "] item " + std::to_string(item);
}

// The column entries one record of layout `index` takes in each part.
Result<PartSizes> layout_sizes(const stored::Layout& layout, int index) {
  if (layout.fields_size() != layout.kinds_size()) {
    return corrupt_at_rest("layouts[" + std::to_string(index) + "] has " + std::to_string(layout.fields_size()) +
                           " fields but " + std::to_string(layout.kinds_size()) + " kinds");
  }
  PartSizes out;
  for (int i = 0; i < layout.fields_size(); ++i) {
    const FieldSpec* s = find_field(layout.fields(i));
    if (s == nullptr) return corrupt_at_rest(layout_at(index, i) + " has unknown field number " + std::to_string(layout.fields(i)));
    const int kind = layout.kinds(i);
    if (type_of(kind) != s->type) {
      return corrupt_at_rest(layout_at(index, i) + " has value kind " + std::to_string(kind) + " for " +
                             std::string(s->name) + ", a " + std::string(to_string(s->type)) + " field");
    }
    (sealed_at_rest(*s) ? out.sealed : out.clear).add(kind);
  }
  return out;
}

// OK when `values` holds exactly `want` entries and its string indices lie in its dictionary.
Status check_part(const stored::Columns& values, const ColumnSizes& want, std::string_view part) {
  const struct {
    std::string_view name;
    int have;
    uint64_t want;
  } columns[] = {{"doubles", values.doubles_size(), want.doubles},
                 {"ints", values.ints_size(), want.ints},
                 {"bools", values.bools_size(), want.bools},
                 {"strings", values.strings_size(), want.strings}};
  for (const auto& c : columns) {
    if (static_cast<uint64_t>(c.have) != c.want) {
      return corrupt_at_rest(std::string(part) + " part has " + std::to_string(c.have) + " " + std::string(c.name) +
                             " where its layouts call for " + std::to_string(c.want));
    }
  }
  for (const uint32_t i : values.strings()) {
    if (i >= static_cast<uint32_t>(values.dictionary_size())) {
      return corrupt_at_rest(std::string(part) + " part refers to string " + std::to_string(i) + " of a dictionary of " +
                             std::to_string(values.dictionary_size()));
    }
  }
  return Status::ok();
}

// Checks the clear part; returns the column entries its records take in the sealed part.
Result<ColumnSizes> check_clear(const stored::ColumnarBlock& clear) {
  const int records = clear.created_at_size();
  if (records == 0) return corrupt_at_rest("a block holds no records");
  if (clear.seq_size() != records) {
    return corrupt_at_rest("a block has " + std::to_string(records) + " times but " + std::to_string(clear.seq_size()) + " seqs");
  }
  if (clear.layout_of_size() == 0 ? clear.layouts_size() != 1 : clear.layout_of_size() != records) {
    return corrupt_at_rest("a block of " + std::to_string(records) + " records has " + std::to_string(clear.layouts_size()) +
                           " layouts and " + std::to_string(clear.layout_of_size()) + " layout indices");
  }
  std::vector<PartSizes> per_layout;
  per_layout.reserve(static_cast<size_t>(clear.layouts_size()));
  for (int i = 0; i < clear.layouts_size(); ++i) {
    Result<PartSizes> s = layout_sizes(clear.layouts(i), i);
    if (!s.is_ok()) return s.status();
    per_layout.push_back(*s);
  }
  PartSizes total;
  for (int i = 0; i < records; ++i) {
    const uint32_t layout = clear.layout_of_size() == 0 ? 0 : clear.layout_of(i);
    if (layout >= per_layout.size()) {
      return corrupt_at_rest("records[" + std::to_string(i) + "] has layout " + std::to_string(layout) + " of " +
                             std::to_string(per_layout.size()));
    }
    total.clear.add(per_layout[layout].clear);
    total.sealed.add(per_layout[layout].sealed);
  }
  if (Status s = check_part(clear.values(), total.clear, "the clear"); !s.is_ok()) return s;
  return total.sealed;
}

// ---- Reading

// Takes the values of one part in order. REQUIRES: check_part passed for the layouts read.
class ColumnReader {
 public:
  explicit ColumnReader(const stored::Columns& values) : values_(values) {}

  Value next(int kind) {
    switch (kind) {
      case stored::VALUE_KIND_STRING: return values_.dictionary(static_cast<int>(values_.strings(strings_++)));
      case stored::VALUE_KIND_INT: return values_.ints(ints_++);
      case stored::VALUE_KIND_DOUBLE: return values_.doubles(doubles_++);
      case stored::VALUE_KIND_BOOL: return values_.bools(bools_++);
      default: {  // a location, with heading or without
        Location l{values_.doubles(doubles_), values_.doubles(doubles_ + 1), std::nullopt};
        doubles_ += 2;
        if (kind == stored::VALUE_KIND_LOCATION_HEADING) l.heading = values_.doubles(doubles_++);
        return l;
      }
    }
  }

 private:
  const stored::Columns& values_;
  int doubles_ = 0;
  int ints_ = 0;
  int bools_ = 0;
  int strings_ = 0;
};

}  // namespace

Status corrupt_at_rest(std::string_view why) { return data_loss("stored telemetry is corrupt: " + std::string(why)); }

Status write_columns(std::span<const wire::Payload* const> records, stored::ColumnarBlock& clear,
                     stored::SealedColumns& sealed) {
  clear.Clear();
  sealed.Clear();
  sealed.set_vin(records.front()->vin());
  stored::Columns& technical = *clear.mutable_values();
  stored::Columns& personal = *sealed.mutable_values();
  uint64_t time = 0;
  uint64_t seq = 0;
  for (const wire::Payload* r : records) {
    clear.add_created_at(delta(static_cast<uint64_t>(r->created_at()), time));
    clear.add_seq(delta(r->seq(), seq));
    time = static_cast<uint64_t>(r->created_at());
    seq = r->seq();
    Result<uint32_t> layout = layout_index(*r, clear);
    if (!layout.is_ok()) return layout.status();
    clear.add_layout_of(*layout);
    for (const wire::Datum& d : r->data()) {
      append_value(d, sealed_at_rest(*find_field(static_cast<uint32_t>(d.field()))) ? personal : technical);
    }
  }
  if (clear.layouts_size() == 1) clear.clear_layout_of();
  return Status::ok();
}

Status read_columns(const stored::ColumnarBlock& clear, const stored::SealedColumns& sealed,
                    std::string_view pseudonym, std::vector<Record>& out) {
  Result<ColumnSizes> sealed_sizes = check_clear(clear);
  if (!sealed_sizes.is_ok()) return sealed_sizes.status();
  if (Status s = check_part(sealed.values(), *sealed_sizes, "the sealed"); !s.is_ok()) return s;
  ColumnReader technical(clear.values());
  ColumnReader personal(sealed.values());
  uint64_t time = 0;
  uint64_t seq = 0;
  out.reserve(out.size() + static_cast<size_t>(clear.created_at_size()));
  for (int i = 0; i < clear.created_at_size(); ++i) {
    time = undelta(clear.created_at(i), time);
    seq = undelta(clear.seq(i), seq);
    const stored::Layout& layout = clear.layouts(clear.layout_of_size() == 0 ? 0 : static_cast<int>(clear.layout_of(i)));
    Record& r = out.emplace_back();
    r.vin = sealed.vin();
    r.pseudonym = pseudonym;
    r.created_at_ms = static_cast<int64_t>(time);
    r.seq = seq;
    r.data.reserve(static_cast<size_t>(layout.fields_size()));
    for (int j = 0; j < layout.fields_size(); ++j) {
      const FieldSpec& s = *find_field(layout.fields(j));
      r.data.push_back({s.field, (sealed_at_rest(s) ? personal : technical).next(layout.kinds(j))});
    }
  }
  return Status::ok();
}

Result<uint64_t> count_columns(const stored::ColumnarBlock& clear, int64_t from_ms, int64_t to_ms) {
  if (Result<ColumnSizes> s = check_clear(clear); !s.is_ok()) return s.status();
  uint64_t time = 0;
  uint64_t n = 0;
  for (const int64_t d : clear.created_at()) {
    time = undelta(d, time);
    const auto t = static_cast<int64_t>(time);
    n += from_ms <= t && t <= to_ms ? 1 : 0;
  }
  return n;
}

}  // namespace fleetgate::telemetry
