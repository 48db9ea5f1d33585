// `roomctl token --user ID --ttl 1h`: mints a signed identity token for tests, bots and tools.
// The key is the serve profile's (auth.secret, so ROOMCTL_AUTH_SECRET works too) unless given
// here: --secret for HS256, --private-key FILE for RS256/ES256 (the login service's key).
#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "cmd/commands.hpp"
#include "server/auth/jwt.hpp"
#include "server/config/profile.hpp"
#include "server/config/serve_options.hpp"
#include "server/config/value.hpp"
#include "server/util/clock.hpp"
#include "server/util/exit_codes.hpp"

namespace roomctl::cmd {

namespace {
struct TokenArgs {
  std::string user;
  std::string ttl = "1h";
  std::string alg = "HS256";
  std::string secret;
  std::string private_key;
  std::string profile;
  std::vector<std::string> sets;
};

int run_token(const TokenArgs& args, char** envp) {
  config::Spec spec{"ttl", config::Type::duration, "1h", "", 1000, 366 * 86'400'000.0};
  config::Value ttl;
  if (auto err = config::parse_value(spec, args.ttl, ttl); !err.empty()) {
    std::cerr << "roomctl token: --ttl: " << err << "\n";
    return exit_code::usage;
  }
  std::string key = args.secret;
  try {
    if (!args.private_key.empty()) {
      std::ifstream in(args.private_key);
      std::stringstream ss;
      ss << in.rdbuf();
      key = ss.str();
    } else if (key.empty()) {
      auto settings = config::load_profile(config::serve_schema(), args.profile, args.sets, envp);
      key = config::serve_options(settings).auth.secret;
    }
    if (key.empty()) {
      std::cerr << "roomctl token: no key: pass --secret, --private-key, or a profile (or "
                   "ROOMCTL_AUTH_SECRET) with auth.secret\n";
      return exit_code::usage;
    }
    std::int64_t now = wall_now_ms() / 1000;
    std::cout << auth::sign_token(args.alg, key, args.user,
                                  now + std::get<std::int64_t>(ttl) / 1000, now)
              << "\n";
    return exit_code::ok;
  } catch (const config::ConfigError& e) {
    std::cerr << "roomctl token: " << e.what() << "\n";
    return exit_code::usage;
  } catch (const std::exception& e) {
    std::cerr << "roomctl token: " << e.what() << "\n";
    return exit_code::failure;
  }
}
}  // namespace

Command add_token(CLI::App& app, char** envp) {
  auto args = std::make_shared<TokenArgs>();
  auto* sub = app.add_subcommand("token", "Mint a signed identity token (auth.mode: token)");
  sub->add_option("--user,-u", args->user, "The userId the token proves")->required();
  sub->add_option("--ttl", args->ttl, "How long it is valid (e.g. 30m, 1h, 7d)");
  sub->add_option("--alg", args->alg, "HS256 (shared secret), RS256 or ES256 (private key)")
      ->check(CLI::IsMember({"HS256", "RS256", "ES256"}));
  sub->add_option("--secret", args->secret, "HS256 secret (else the profile's auth.secret)");
  sub->add_option("--private-key", args->private_key, "PEM private key for RS256/ES256")
      ->check(CLI::ExistingFile);
  sub->add_option("--profile,-p", args->profile, "Serve profile whose auth.secret to use")
      ->check(CLI::ExistingFile);
  sub->add_option("--set", args->sets, "Override a profile key: key=value (repeatable)");
  return {sub, [args, envp] { return run_token(*args, envp); }};
}

}  // namespace roomctl::cmd
