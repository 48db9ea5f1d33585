// `roomctl check`: validate a profile as serve would (addresses, store URL, token file, word
// lists) and print the effective configuration as YAML, each value marked with where it came
// from (`# default`, `# from FILE:LINE`, ...). Without --kind the profile's keys say whether it
// is a serve or a loadtest profile. Warnings (stderr, exit 0) name
// what is valid but probably wrong: an admin API open to the network without a token, a
// ROOMCTL_* variable that matches no setting.
#include <yaml-cpp/yaml.h>

#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "cmd/commands.hpp"
#include "loadgen/loadtest_options.hpp"
#include "server/config/profile.hpp"
#include "server/config/serve_options.hpp"
#include "server/games/skribble/word_lists.hpp"
#include "server/games/spy/word_pairs.hpp"
#include "server/util/exit_codes.hpp"

namespace roomctl::cmd {

namespace {
struct CheckArgs {
  std::string profile;
  std::vector<std::string> sets;
  std::string kind;  // serve, loadtest, or empty: inferred
};

std::set<std::string> top_level_keys(const config::Schema& schema) {
  std::set<std::string> out;
  for (const auto& spec : schema.specs()) out.insert(spec.key.substr(0, spec.key.find('.')));
  return out;
}

// "loadtest" when a top-level key of the profile or of a --set belongs to the loadtest schema
// only; otherwise "serve" (whose errors then name any key that belongs to neither).
std::string infer_kind(const CheckArgs& args) {
  std::vector<std::string> keys;
  if (!args.profile.empty()) {
    try {
      YAML::Node root = YAML::LoadFile(args.profile);
      if (root.IsMap())
        for (const auto& kv : root) keys.push_back(kv.first.as<std::string>());
    } catch (const YAML::Exception&) {
      return "serve";  // loading it again reports the error with its line
    }
  }
  for (const auto& s : args.sets) keys.push_back(s.substr(0, s.find_first_of(".=")));
  auto serve = top_level_keys(config::serve_schema());
  auto loadtest = top_level_keys(loadgen::loadtest_schema());
  for (const auto& k : keys)
    if (!serve.count(k) && loadtest.count(k)) return "loadtest";
  return "serve";
}

// The word lists serve loads at start, loaded the same way: a missing or empty file is a
// configuration error here rather than a failed start.
void load_word_lists(const config::ServeOptions& o) {
  try {
    if (!o.spy_word_pairs_file.empty()) games::spy::load_word_pairs(o.spy_word_pairs_file);
    for (const auto& f : o.skribble_words_files)
      if (!f.empty()) games::skribble::load_words(f);
  } catch (const std::runtime_error& e) {
    throw config::ConfigError(e.what());
  }
}

bool loopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

int run_check(const CheckArgs& args, char** envp) {
  std::string kind = args.kind.empty() ? infer_kind(args) : args.kind;
  for (const auto& w :
       config::unknown_environment(envp, {&config::serve_schema(), &loadgen::loadtest_schema()},
                                   {"ROOMCTL_INSPECT_SERVER", "ROOMCTL_ADMIN_TOKEN"}))
    std::cerr << "roomctl check: warning: " << w << "\n";
  try {
    bool serve = kind == "serve";
    const auto& schema = serve ? config::serve_schema() : loadgen::loadtest_schema();
    auto settings = config::load_profile(schema, args.profile, args.sets, envp);
    if (serve) {
      auto options = config::serve_options(settings);  // the same conversions serve does
      load_word_lists(options);
      if (!loopback(options.admin_listen.host) && options.admin_token.empty())
        std::cerr << "roomctl check: warning: admin.listen " << settings.string("admin.listen")
                  << " is not a loopback address and admin.token is empty: set a token "
                     "(ROOMCTL_ADMIN_TOKEN or admin.token_file) before exposing the admin API\n";
    } else {
      loadgen::loadtest_options(settings);
    }
    if (args.kind.empty()) std::cout << "# kind: " << kind << " (inferred from the keys)\n";
    std::cout << settings.to_yaml();
    return exit_code::ok;
  } catch (const config::ConfigError& e) {
    std::cerr << "roomctl check: " << e.what() << "\n";
    return exit_code::usage;
  }
}
}  // namespace

Command add_check(CLI::App& app, char** envp) {
  auto args = std::make_shared<CheckArgs>();
  auto* sub =
      app.add_subcommand("check", "Validate a profile and print the effective configuration");
  sub->add_option("--profile,-p", args->profile, "Profile (YAML)")->check(CLI::ExistingFile);
  sub->add_option("--set", args->sets, "Override a profile key: key=value (repeatable)");
  sub->add_option("--kind", args->kind,
                  "Profile kind: serve or loadtest (default: inferred from the keys)")
      ->check(CLI::IsMember({"serve", "loadtest"}));
  return {sub, [args, envp] { return run_check(*args, envp); }};
}

}  // namespace roomctl::cmd
