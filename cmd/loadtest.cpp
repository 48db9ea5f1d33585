// `roomctl loadtest`: the options; the coordinator and its workers live in loadgen/.
#include <CLI/CLI.hpp>
#include <memory>
#include <string>
#include <vector>

#include "cmd/commands.hpp"
#include "loadgen/loadtest_command.hpp"

namespace roomctl::cmd {

Command add_loadtest(CLI::App& app, char** envp) {
  auto args = std::make_shared<loadgen::LoadtestArgs>();
  auto* sub =
      app.add_subcommand("loadtest", "Flood a server with synthetic players that play both games");
  sub->add_option("--profile,-p", args->profile, "Load test profile (YAML), required")
      ->check(CLI::ExistingFile);
  sub->add_option("--set", args->sets,
                  "Override a profile key: key=value (repeatable), e.g. target=ws://HOST:PORT/");
  // --target is `--set target=...` with several values: they join into the one setting, which
  // the workers get with the other --set values.
  auto targets = std::make_shared<std::vector<std::string>>();
  sub->add_option("--target", *targets,
                  "server URL ws://HOST:PORT/ (repeatable, or comma separated); several: each "
                  "room's bots round robin over them (target_spread=rooms: one target per room)");
  sub->add_option("--workers,-w", args->workers,
                  "worker processes (each holds up to ~19k connections)");
  sub->add_option("--report", args->report,
                  "write the report here (checked at start): JSON, or a self-contained HTML page "
                  "with charts when FILE ends in .html");
  sub->add_option("--out", args->outs,
                  "per-second measurements: json=FILE (one JSON line per metric)");
  sub->add_option("--search", args->search,
                  "capacity search: ramp this parameter (rooms or stroke_rate) until an SLO fails");
  sub->add_option("--slo", args->slos,
                  "what each search step must hold, e.g. 'fanout_latency.p99<10ms' (repeatable; "
                  "default: the profile's thresholds)");
  sub->add_option("--max-steps", args->max_steps, "capacity search: at most this many steps");
  sub->add_option("--server-admin", args->server_admin,
                  "capacity search: the server's admin address (http://HOST:PORT) for its CPU");
  sub->add_option("--worker", args->worker)->group("");  // internal: this process is worker i/N
  sub->add_option("--run-id", args->run_id)->group("");
  return {sub, [args, targets, envp] {
            if (!targets->empty()) {
              std::string joined;
              for (const auto& t : *targets) joined += (joined.empty() ? "" : ",") + t;
              args->sets.push_back("target=" + joined);
            }
            return loadgen::loadtest(*args, envp);
          }};
}

}  // namespace roomctl::cmd
