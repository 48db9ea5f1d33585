// Fuzzes YAML profile loading the way `roomctl check` does it (cmd/check.cpp): the input is the
// profile text, loaded into the serve schema and into the loadtest schema, converted to the typed
// options the commands use, and printed back as YAML. (load_profile reads a file and then does
// exactly load_yaml_text; the environment is left out so that runs are reproducible.)
// Invariants: nothing crashes or hits undefined behaviour, and every error is a
// config::ConfigError with a message: `roomctl check` catches only that type, so any other
// exception escaping would terminate the command instead of printing an error.
#include <cstdint>
#include <exception>
#include <string>
#include <typeinfo>

#include "loadgen/loadtest_options.hpp"
#include "server/config/serve_options.hpp"
#include "server/config/settings.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using namespace roomctl;
using roomctl::fuzz::violated;

namespace {

void check(const std::string& text, bool serve) {
  try {
    const auto& schema = serve ? config::serve_schema() : loadgen::loadtest_schema();
    config::Settings settings(schema);
    settings.load_yaml_text(text, "fuzz.yaml");
    if (serve)
      config::serve_options(settings);
    else
      loadgen::loadtest_options(settings);
    (void)settings.to_yaml();
  } catch (const config::ConfigError& e) {
    if (std::string(e.what()).empty()) violated("config errors have a message", "");
  } catch (const std::exception& e) {
    violated("profile errors are ConfigError (roomctl check catches nothing else)",
             std::string(typeid(e).name()) + ": " + e.what());
  } catch (...) {
    violated("profile errors are ConfigError (roomctl check catches nothing else)", "non-std");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  check(text, true);
  check(text, false);
  return 0;
}
