// roomctl: one binary, several subcommands. A table from subcommand to its add_/run pair in
// cmd/<name>.cpp; parsing only, no logic here.
#include <CLI/CLI.hpp>

#include "cmd/commands.hpp"
#include "server/util/exit_codes.hpp"

extern char** environ;

int main(int argc, char** argv) {
  using namespace roomctl::cmd;
  CLI::App app{"roomctl: game-room server and operations toolkit"};
  app.require_subcommand(1);
  char** envp = environ;  // the environment is read here, once, and handed to every command
  const Command commands[] = {add_serve(app, envp),   add_check(app, envp),
                              add_version(app, envp), add_loadtest(app, envp),
                              add_inspect(app, envp), add_token(app, envp)};
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? roomctl::exit_code::ok : roomctl::exit_code::usage;
  }
  for (const auto& c : commands)
    if (c.sub->parsed()) return c.run();
  return roomctl::exit_code::usage;
}
