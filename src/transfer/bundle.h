// Transfer bundles on disk: a directory holding content files, manifest.json (the Manifest with
// the SHA-256 of every content file) and manifest.sig (hex Ed25519 signature of manifest.json's
// exact bytes). publish_bundle() writes everything into a hidden temp directory beside the target,
// fsyncs it and renames it into place, so a bundle either exists complete or not at all.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <string_view>

#include "fleetgate/core/result.h"
#include "fleetgate/transfer/manifest.h"
#include "fleetgate/transfer/signing_key.h"

namespace fleetgate::transfer {

inline constexpr std::string_view kManifestFile = "manifest.json";
inline constexpr std::string_view kSignatureFile = "manifest.sig";
inline constexpr std::string_view kRecordsFile = "records.jsonl";
inline constexpr std::string_view kWeightsFile = "weights.bin";

// What a bundle holds once read and verified.
struct BundleContent {
  Manifest manifest;
  std::string manifest_bytes;                 // manifest.json exactly as signed
  std::map<std::string, std::string> files;  // content file name -> bytes
};

// Fills `manifest.files` with the digests of `files`, signs and publishes out_dir/name; returns
// the published content. kAlreadyExists when out_dir/name exists; kInvalidArgument for a file
// name that is not a plain name or collides with the manifest files.
Result<BundleContent> publish_bundle(const std::filesystem::path& out_dir, std::string_view name, Manifest manifest,
                                     std::map<std::string, std::string> files, const SigningKey& key);

// The manifest of `bundle` before verification, to learn which key must have signed it.
// kNotFound when there is no such bundle; kDataLoss when the manifest cannot be parsed.
Result<Manifest> peek_manifest(const std::filesystem::path& bundle);

// Reads `bundle` and checks the signature of manifest.json against `public_pem`, then every
// content file against its digest; the directory may hold nothing else. Every file must be a
// regular file (no symlink, FIFO or device: never waited on) within a cap checked before it is
// read: 1 MiB for the manifest, 1 KiB for the signature, the signed file_bytes for content.
// kDataLoss naming the first problem (bad signature, missing, altered, oversized or unexpected
// file); kNotFound when there is no bundle.
Result<BundleContent> read_bundle(const std::filesystem::path& bundle, std::string_view public_pem);

}  // namespace fleetgate::transfer
