// Every subcommand has one file in cmd/ of the same shape: add_<name>(app, envp) declares the
// subcommand with its options on the CLI11 app and returns how to run it once it was parsed.
// main.cpp is a table of them. envp is the process environment, read once in main().
#pragma once

#include <functional>

namespace CLI {
class App;
}

namespace roomctl::cmd {

struct Command {
  CLI::App* sub = nullptr;   // the parsed subcommand, to ask whether it was chosen
  std::function<int()> run;  // runs it with the parsed options; returns the exit code
};

Command add_serve(CLI::App& app, char** envp);
Command add_check(CLI::App& app, char** envp);
Command add_version(CLI::App& app, char** envp);
Command add_loadtest(CLI::App& app, char** envp);
Command add_inspect(CLI::App& app, char** envp);
Command add_token(CLI::App& app, char** envp);
Command add_completion(CLI::App& app, char** envp);

// The text of `roomctl version` and `roomctl --version`.
void print_version();

}  // namespace roomctl::cmd
