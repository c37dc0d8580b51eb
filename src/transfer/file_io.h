// Internal to the transfer module: whole-file reads and durable writes for key files and bundles.
// I/O errors are kUnavailable naming the path and the failed step.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "fleetgate/core/result.h"

namespace fleetgate::transfer::detail {

Status io_error(const std::filesystem::path& path, std::string_view what, int err);
// Creates `path` (O_EXCL, `mode`), writes `data` and fsyncs it.
Status write_new_file(const std::filesystem::path& path, std::string_view data, int mode = 0644);
// fsyncs a directory so renames and links inside it are durable.
Status sync_dir(const std::filesystem::path& dir);
// Reads a whole regular file of at most `max_bytes`, checked before anything is read. The open
// follows no symlink and never blocks (a FIFO or device is refused, not waited on). kNotFound
// when absent, kInvalidArgument when not a regular file, kResourceExhausted when larger.
Result<std::string> read_file(const std::filesystem::path& path, uint64_t max_bytes);

}  // namespace fleetgate::transfer::detail
