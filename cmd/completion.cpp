// `roomctl completion bash|zsh`: a shell completion script generated from the CLI11 app itself,
// so a new subcommand or option is completed without editing a script by hand. Options that
// take a file (profiles, reports) complete file names; the rest complete their flags.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "cmd/commands.hpp"
#include "inspect/inspect.hpp"
#include "server/util/exit_codes.hpp"

namespace roomctl::cmd {

namespace {
struct Sub {
  std::string name;
  std::vector<std::string> flags;
  std::vector<std::string> file_flags;  // options whose value is a path
};

std::vector<Sub> describe(CLI::App& app) {
  std::vector<Sub> subs;
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
    Sub s{sub->get_name(), {"--help"}, {}};
    for (CLI::Option* o : sub->get_options()) {
      if (!o->nonpositional() || o->get_group().empty()) continue;  // hidden options stay hidden
      for (const auto& l : o->get_lnames()) {
        if (l == "help") continue;
        s.flags.push_back("--" + l);
        bool file = l == "profile" || l == "report" || l == "html";
        if (file) s.file_flags.push_back("--" + l);
      }
      for (const auto& n : o->get_snames()) {
        s.flags.push_back("-" + n);
        if (n == "p") s.file_flags.push_back("-" + n);
      }
    }
    subs.push_back(std::move(s));
  }
  return subs;
}

std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

// What follows `roomctl`: every subcommand and `help`.
std::vector<std::string> command_names(const std::vector<Sub>& subs) {
  std::vector<std::string> names;
  for (const auto& s : subs) names.push_back(s.name);
  names.push_back("help");
  return names;
}

std::string bash_script(const std::vector<Sub>& subs) {
  std::vector<std::string> names = command_names(subs);
  std::ostringstream out;
  out << "# bash completion for roomctl: source it, or save as\n"
         "# /usr/share/bash-completion/completions/roomctl\n"
         "_roomctl() {\n"
         "  local cur prev cmd\n"
         "  cur=\"${COMP_WORDS[COMP_CWORD]}\"\n"
         "  prev=\"${COMP_WORDS[COMP_CWORD-1]}\"\n"
         "  cmd=\"${COMP_WORDS[1]}\"\n"
         "  if [ \"$COMP_CWORD\" -eq 1 ]; then\n"
         "    COMPREPLY=($(compgen -W \""
      << join(names, " ") << " --help --version\" -- \"$cur\"))\n"
      << "    return\n  fi\n  case \"$cmd\" in\n";
  for (const auto& s : subs) {
    out << "    " << s.name << ")\n";
    if (!s.file_flags.empty())
      out << "      case \"$prev\" in " << join(s.file_flags, "|")
          << ") COMPREPLY=($(compgen -f -- \"$cur\")); return ;; esac\n";
    if (s.name == "completion")
      out << "      COMPREPLY=($(compgen -W \"bash zsh\" -- \"$cur\"))\n";
    else if (s.name == "inspect")
      out << "      COMPREPLY=($(compgen -W \"" << inspect::kTargets << " " << join(s.flags, " ")
          << "\" -- \"$cur\"))\n";
    else
      out << "      COMPREPLY=($(compgen -W \"" << join(s.flags, " ") << "\" -- \"$cur\"))\n";
    out << "      ;;\n";
  }
  out << "    help) COMPREPLY=($(compgen -W \"" << join(names, " ") << "\" -- \"$cur\")) ;;\n"
      << "  esac\n}\ncomplete -F _roomctl roomctl\n";
  return out.str();
}

std::string zsh_script(const std::vector<Sub>& subs) {
  std::vector<std::string> names = command_names(subs);
  std::ostringstream out;
  out << "#compdef roomctl\n"
         "# zsh completion for roomctl: save as _roomctl in a directory of $fpath\n"
         "_roomctl() {\n"
         "  if (( CURRENT == 2 )); then\n"
         "    compadd -- "
      << join(names, " ")
      << " --help --version\n"
         "    return\n  fi\n"
         "  case ${words[CURRENT-1]} in\n";
  std::vector<std::string> file_flags;
  for (const auto& s : subs)
    for (const auto& f : s.file_flags)
      if (std::find(file_flags.begin(), file_flags.end(), f) == file_flags.end())
        file_flags.push_back(f);
  out << "    " << join(file_flags, "|") << ") _files; return ;;\n  esac\n"
      << "  case ${words[2]} in\n";
  for (const auto& s : subs) {
    out << "    " << s.name << ") compadd -- ";
    if (s.name == "completion") out << "bash zsh";
    if (s.name == "inspect") out << inspect::kTargets << " ";
    if (s.name != "completion") out << join(s.flags, " ");
    out << " ;;\n";
  }
  out << "    help) compadd -- " << join(names, " ") << " ;;\n"
      << "  esac\n}\n"
      // Autoloaded from $fpath the file is the function; sourced, it registers itself.
      << "if [ \"$funcstack[1]\" = \"_roomctl\" ]; then _roomctl \"$@\"; "
         "else compdef _roomctl roomctl; fi\n";
  return out.str();
}
}  // namespace

Command add_completion(CLI::App& app, char**) {
  auto shell = std::make_shared<std::string>();
  auto* sub = app.add_subcommand("completion", "Print a shell completion script (bash or zsh)");
  sub->add_option("shell", *shell, "bash or zsh")
      ->required()
      ->check(CLI::IsMember({"bash", "zsh"}));
  return {sub, [shell, &app] {
            auto subs = describe(app);
            std::cout << (*shell == "bash" ? bash_script(subs) : zsh_script(subs));
            return exit_code::ok;
          }};
}

}  // namespace roomctl::cmd
