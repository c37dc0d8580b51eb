// libFuzzer target: an imported transfer bundle (read_bundle: manifest.sig hex, the Ed25519
// signature of manifest.json's exact bytes, the manifest's JSON, the content files against their
// SHA-256), written as a directory per input. Input parts (fuzz_input.h): manifest.json,
// manifest.sig, a flag (first byte odd: replace manifest.sig by a valid signature, so inputs get
// past the signature to the manifest), then one content file's name and bytes. Properties: a
// refusal says why; an accepted bundle carries the one valid signature, its files match their digests, and its
// manifest survives to_json and back unchanged.
#include <boost/json/serialize.hpp>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>

#include "fleetgate/core/digest.h"
#include "fleetgate/store/test_dir.h"
#include "fleetgate/transfer/bundle.h"
#include "fuzz_input.h"

namespace {

using namespace fleetgate;
namespace fs = std::filesystem;

struct Scratch {
  store::TestDir dir;
  std::unique_ptr<transfer::SigningKey> key;
  Scratch() {
    auto k = transfer::SigningKey::open(dir.path());
    if (!k.is_ok()) std::abort();
    key = std::move(k).value();
  }
};

Scratch& scratch() {
  static Scratch s;
  return s;
}

void write(const fs::path& file, std::string_view bytes) {
  std::ofstream(file, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// manifest.sig as publish_bundle writes it. Ed25519 signatures are deterministic, so this is the
// only signature of `manifest` (up to the case of its hex digits) that may be accepted.
std::string valid_signature(std::string_view manifest) {
  auto sig = scratch().key->sign(manifest);
  if (!sig.is_ok()) std::abort();
  return to_hex(reinterpret_cast<const uint8_t*>(sig->data()), sig->size()) + "\n";
}

// The hex digits of a manifest.sig, lowercase, without the final newline.
std::string signed_hex(std::string_view sig) {
  if (sig.ends_with('\n')) sig.remove_suffix(1);
  std::string out(sig);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool plain_name(std::string_view name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string_view::npos;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::FuzzInput input(data, size);
  const std::string_view manifest = input.part();
  std::string signature(input.part());
  if (input.choice() % 2 == 1) signature = valid_signature(manifest);
  const std::string_view file_name = input.part();
  const std::string_view file_bytes = input.part();

  const fs::path bundle = scratch().dir / "bundle";
  std::error_code ec;
  fs::remove_all(bundle, ec);
  fs::create_directory(bundle);
  write(bundle / transfer::kManifestFile, manifest);
  write(bundle / transfer::kSignatureFile, signature);
  if (plain_name(file_name) && file_name != transfer::kManifestFile && file_name != transfer::kSignatureFile) {
    write(bundle / file_name, file_bytes);
  }

  auto content = transfer::read_bundle(bundle, scratch().key->public_pem());
  if (!content.is_ok()) {
    if (content.status().message().empty()) __builtin_trap();
    return 0;
  }
  if (content->manifest_bytes != manifest) __builtin_trap();
  if (signed_hex(signature) != signed_hex(valid_signature(manifest))) __builtin_trap();
  for (const auto& [name, digest] : content->manifest.files) {
    auto it = content->files.find(name);
    if (it == content->files.end() || sha256_hex(it->second) != digest) __builtin_trap();
  }
  auto again = transfer::manifest_from_json(boost::json::serialize(transfer::to_json(content->manifest)));
  if (!again.is_ok() || !(*again == content->manifest)) __builtin_trap();
  return 0;
}
