// `roomctl loadtest`: the options; the coordinator and its workers live in loadgen/.
#include <CLI/CLI.hpp>
#include <memory>

#include "cmd/commands.hpp"
#include "loadgen/loadtest_command.hpp"

namespace roomctl::cmd {

Command add_loadtest(CLI::App& app, char** envp) {
  auto args = std::make_shared<loadgen::LoadtestArgs>();
  auto* sub =
      app.add_subcommand("loadtest", "Flood a server with synthetic players that play both games");
  sub->add_option("--profile,-p", args->profile, "Load test profile (YAML)")
      ->check(CLI::ExistingFile);
  sub->add_option("--set", args->sets,
                  "Override a profile key: key=value (repeatable), e.g. target=ws://HOST:PORT/");
  sub->add_option("--workers,-w", args->workers,
                  "worker processes (each holds up to ~19k connections)");
  sub->add_option("--report", args->report, "write the JSON report here");
  sub->add_option("--worker", args->worker)->group("");  // internal: this process is worker i/N
  sub->add_option("--run-id", args->run_id)->group("");
  return {sub, [args, envp] { return loadgen::loadtest(*args, envp); }};
}

}  // namespace roomctl::cmd
