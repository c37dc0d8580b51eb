// Test support: the whole fleetgate service in-process, as `fleetgate serve` runs it, from a
// config file and on an ephemeral port (Service::port() tells which).
#pragma once

#include <filesystem>
#include <memory>

#include "fleetgate/app/cli.h"
#include "fleetgate/app/service.h"
#include "support/test_backend.h"

namespace fleetgate::testing {

// Puts `config_file` on the suite's backend (support/test_backend.h), loads it, creates the service
// with `options` (on an ephemeral port, whatever options.port says) and starts it; the first
// failure otherwise.
inline Result<std::unique_ptr<app::Service>> start_service(const std::filesystem::path& config_file,
                                                            app::ServiceOptions options = {}) {
  use_suite_backend(config_file);
  auto loaded = app::load(config_file.string());
  if (!loaded.is_ok()) return loaded.status();
  options.port = 0;
  auto service = app::Service::create(std::move(loaded).value(), options);
  if (!service.is_ok()) return service.status();
  if (Status s = (*service)->start(); !s.is_ok()) return s;
  return std::move(service).value();
}

}  // namespace fleetgate::testing
