// The operator's command line as a new on-call engineer meets it: bare roomctl, --version,
// typos, help, completions; check's defaults, kind inference and warnings; inspect's argument
// checks before any request. Real binary, exit codes and output.
#include <catch2/catch.hpp>
#include <fstream>

#include "tests/integration/server_process.hpp"

using namespace roomctl::test;

namespace {
bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}
}  // namespace

TEST_CASE("cli: bare roomctl prints help, --version names the build", "[cli]") {
  std::string out;
  CHECK(run_command({ROOMCTL_BINARY}, out) == 0);
  CHECK(has(out, "Usage: roomctl"));
  CHECK(has(out, "inspect"));
  CHECK(has(out, "7 forbidden"));
  for (const char* flag : {"--version", "version"}) {
    out.clear();
    INFO(flag);
    CHECK(run_command({ROOMCTL_BINARY, flag}, out) == 0);
    CHECK(out.rfind("roomctl ", 0) == 0);
    for (const char* field : {"commit:", "build type:", "compiler:", "boost:      1."})
      CHECK(has(out, field));
  }
}

TEST_CASE("cli: an unknown command names the nearest, help CMD works", "[cli]") {
  std::string out;
  CHECK(run_command({ROOMCTL_BINARY, "inspcet", "rooms"}, out) == 2);
  CHECK(has(out, "unknown command \"inspcet\" (did you mean \"inspect\"?)"));
  out.clear();
  CHECK(run_command({ROOMCTL_BINARY, "help", "inspect"}, out) == 0);
  CHECK(has(out, "--watch"));
  CHECK(has(out, "--interval"));
  out.clear();
  CHECK(run_command({ROOMCTL_BINARY, "help", "chek"}, out) == 2);
  CHECK(has(out, "did you mean \"check\""));
  out.clear();
  CHECK(run_command({ROOMCTL_BINARY, "help"}, out) == 0);
  CHECK(has(out, "completion"));
}

TEST_CASE("cli: completion scripts are valid shell and know every command", "[cli]") {
  std::string out;
  CHECK(run_command({"sh", "-c", std::string(ROOMCTL_BINARY) + " completion bash | bash -n"},
                    out) == 0);
  out.clear();
  CHECK(run_command({ROOMCTL_BINARY, "completion", "bash"}, out) == 0);
  CHECK(has(out, "complete -F _roomctl roomctl"));
  for (const char* word : {"serve", "loadtest", "--profile", "--idle-over", "--kind"})
    CHECK(has(out, word));
  // Sourced into a real bash, it completes a subcommand.
  out.clear();
  std::string script = "source <(" + std::string(ROOMCTL_BINARY) +
                       " completion bash); COMP_WORDS=(roomctl ins); COMP_CWORD=1; _roomctl; "
                       "echo \"${COMPREPLY[@]}\"";
  CHECK(run_command({"bash", "-c", script}, out) == 0);
  CHECK(out == "inspect\n");
  // ... and what inspect can be asked.
  out.clear();
  script = "source <(" + std::string(ROOMCTL_BINARY) +
           " completion bash); COMP_WORDS=(roomctl inspect no); COMP_CWORD=2; _roomctl; "
           "echo \"${COMPREPLY[@]}\"";
  CHECK(run_command({"bash", "-c", script}, out) == 0);
  CHECK(out == "nodes\n");
  out.clear();
  CHECK(run_command({ROOMCTL_BINARY, "completion", "zsh"}, out) == 0);
  CHECK(out.rfind("#compdef roomctl", 0) == 0);
  CHECK(has(out, "nodes"));
  out.clear();
  CHECK(run_command({ROOMCTL_BINARY, "completion", "fish"}, out) == 2);
}

TEST_CASE("check: defaults are marked, the kind is inferred", "[cli]") {
  std::string out;
  CHECK(run_command({ROOMCTL_BINARY, "check", "--set", "limits.max_rooms=7"}, out) == 0);
  CHECK(has(out, "# kind: serve (inferred from the keys)"));
  CHECK(has(out, "idle_timeout: 30m  # default"));
  CHECK(has(out, "max_rooms: 7  # from --set"));
  out.clear();
  std::string smoke = std::string(ROOMCTL_SOURCE_DIR) + "/profiles/loadtest/smoke.yaml";
  CHECK(run_command({ROOMCTL_BINARY, "check", "--profile", smoke}, out) == 0);
  CHECK(has(out, "# kind: loadtest"));
  CHECK(has(out, "target:"));
  out.clear();
  CHECK(run_command({ROOMCTL_BINARY, "check", "--kind", "serve", "--profile", smoke}, out) == 2);
}

TEST_CASE("check: store URL and addresses are validated as serve does", "[cli]") {
  for (const char* bad : {"store.url=mysql://db", "store.url=sqlite://", "store.url=redis://h/x",
                          "admin.listen=nohost"}) {
    std::string out;
    INFO(bad);
    CHECK(run_command({ROOMCTL_BINARY, "check", "--set", bad}, out) == 2);
    CHECK(has(out, std::string(bad).substr(0, std::string(bad).find('='))));
  }
  std::string out;
  CHECK(run_command({ROOMCTL_BINARY, "check", "--set", "games.spy.word_pairs_file=/nonexistent"},
                    out) == 2);
  CHECK(has(out, "/nonexistent"));
  out.clear();
  CHECK(run_command({ROOMCTL_BINARY, "serve", "--set", "store.url=mysql://db"}, out) == 2);
  CHECK(has(out, "unsupported scheme"));
}

TEST_CASE("check: warns about an open admin API and misspelt ROOMCTL_ variables", "[cli]") {
  std::string out;
  CHECK(run_command({ROOMCTL_BINARY, "check", "--set", "admin.listen=0.0.0.0:9100"}, out) == 0);
  CHECK(has(out, "warning: admin.listen 0.0.0.0:9100 is not a loopback address"));
  out.clear();
  CHECK(run_command({ROOMCTL_BINARY, "check", "--set", "admin.listen=0.0.0.0:9100", "--set",
                     "admin.token=t"},
                    out) == 0);
  CHECK_FALSE(has(out, "warning"));
  out.clear();
  CHECK(run_command({"env", "ROOMCTL_LIMITS_MAX_CONECTIONS=5", ROOMCTL_BINARY, "check"}, out) == 0);
  CHECK(has(out, "warning: environment variable ROOMCTL_LIMITS_MAX_CONECTIONS matches no setting"));
  CHECK(has(out, "did you mean \"ROOMCTL_LIMITS_MAX_CONNECTIONS\""));
}

TEST_CASE("inspect: bad --game, --phase, --sort and durations exit 2 with the allowed values",
          "[cli][inspect]") {
  // Port 1: nothing listens, so an exit 2 proves no request was needed to refuse.
  auto run = [](std::vector<std::string> args, std::string& out) {
    std::vector<std::string> argv{ROOMCTL_BINARY, "inspect"};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), {"--server", "http://127.0.0.1:1"});
    return run_command(argv, out);
  };
  std::string out;
  CHECK(run({"rooms", "--game", "chess"}, out) == 2);
  CHECK(has(out, "--game \"chess\" is not one of: spy, skribble"));
  out.clear();
  CHECK(run({"rooms", "--game", "spy", "--phase", "drawing"}, out) == 2);
  CHECK(has(out, "lobby, countdown, round_intro, speaking, voting, reveal"));
  out.clear();
  CHECK(run({"rooms", "--phase", "drawng"}, out) == 2);
  CHECK(has(out, "did you mean \"drawing\""));
  out.clear();
  CHECK(run({"rooms", "--sort", "size"}, out) == 2);
  CHECK(has(out, "id, age, idle, players"));
  out.clear();
  CHECK(run({"rooms", "--idle-over", "5 minutes"}, out) == 2);
  out.clear();
  CHECK(run({"rooms", "-w", "--interval", "soon"}, out) == 2);
  out.clear();
  CHECK(run({"rooms", "-w", "5s"}, out) == 2);
  CHECK(has(out, "-w takes no value: --interval 5s"));
  out.clear();
  CHECK(run({"rooms", "-o", "wide"}, out) == 1);  // valid: fails only at the connect
  CHECK(has(out, "cannot reach"));
}
