// roomctl: one binary, several subcommands. A table from subcommand to its add_/run pair in
// cmd/<name>.cpp; parsing only, no logic here. Before CLI11 sees argv, main answers what CLI11
// does not do the way operators expect (git/kubectl): bare `roomctl` and `roomctl help [CMD]`
// print help, `--version` prints the build, an unknown command names the nearest one.
#include <CLI/CLI.hpp>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "cmd/commands.hpp"
#include "server/util/exit_codes.hpp"
#include "server/util/suggest.hpp"

extern char** environ;

namespace {
using namespace roomctl;

CLI::App* find_sub(CLI::App& app, const std::string& name) {
  for (CLI::App* s : app.get_subcommands([](CLI::App*) { return true; }))
    if (s->get_name() == name) return s;
  return nullptr;
}

// Returns -1 when argv is for CLI11, else the exit code of what was answered here.
int answer_before_parsing(CLI::App& app, int argc, char** argv) {
  if (argc < 2) {
    std::cout << app.help();
    return exit_code::ok;
  }
  std::string first = argv[1];
  if (first == "--version" || first == "-V") {
    cmd::print_version();
    return exit_code::ok;
  }
  if (first == "--help-all") {  // every command's help at once: what help2man turns into roomctl.1
    std::cout << app.help();
    for (CLI::App* s : app.get_subcommands([](CLI::App*) { return true; })) {
      // help2man makes a sub-section of a line ending in ':' followed by indented lines.
      std::cout << "\nroomctl " << s->get_name() << ":\n";
      std::istringstream lines(s->help());
      for (std::string line; std::getline(lines, line);)
        std::cout << (line.empty() ? "" : "  ") << line << "\n";
    }
    return exit_code::ok;
  }
  std::vector<std::string> names{"help"};
  for (CLI::App* s : app.get_subcommands([](CLI::App*) { return true; }))
    names.push_back(s->get_name());
  if (first == "help") {
    if (argc < 3) {
      std::cout << app.help();
      return exit_code::ok;
    }
    if (CLI::App* sub = find_sub(app, argv[2])) {
      std::cout << sub->help();
      return exit_code::ok;
    }
    std::cerr << "roomctl help: unknown command \"" << argv[2] << "\""
              << util::did_you_mean(argv[2], names) << "\n";
    return exit_code::usage;
  }
  if (first[0] != '-' && !find_sub(app, first)) {
    std::cerr << "roomctl: unknown command \"" << first << "\"" << util::did_you_mean(first, names)
              << "\nRun 'roomctl --help' for the list of commands.\n";
    return exit_code::usage;
  }
  return -1;
}
}  // namespace

int main(int argc, char** argv) {
  using namespace roomctl::cmd;
  CLI::App app{"roomctl: game-room server and operations toolkit", "roomctl"};
  app.require_subcommand(1);
  bool version = false;  // answered before parsing; declared so that --help lists it
  app.add_flag("--version,-V", version, "Print the version, commit, build type and compiler");
  char** envp = environ;  // the environment is read here, once, and handed to every command
  const Command commands[] = {add_serve(app, envp),     add_check(app, envp),
                              add_version(app, envp),   add_loadtest(app, envp),
                              add_inspect(app, envp),   add_token(app, envp),
                              add_completion(app, envp)};
  // Set after the subcommands were added, which would otherwise inherit it.
  app.footer(
      "Run 'roomctl help COMMAND' or 'roomctl COMMAND --help' for a command's options.\n"
      "Exit codes: 0 ok, 1 failure, 2 usage or configuration error, 3 load test thresholds "
      "failed, 4 unauthorized, 5 not found, 6 load test interrupted, 7 forbidden.");
  if (int rc = answer_before_parsing(app, argc, argv); rc >= 0) return rc;
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
