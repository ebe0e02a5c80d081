#include "cli/completions.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cctype>
#include <set>
#include <string>
#include <vector>

namespace s3up::cli {

namespace {

// ---- what each option completes to ----------------------------------------------------------

enum class Hint { kNone, kFiles, kWords, kProfiles };

struct ValueHint {
  std::string_view name;  // long name without dashes, or positional name
  Hint hint;
  std::string_view words;  // for kWords: space-separated, plain tokens
};

// Keep the word lists in step with s3::storage_classes() / s3::canned_acls(), the values
// the --encryption parser accepts, and the names in integrity/checksum.hpp and
// transfer::parse_compare_mode().
constexpr ValueHint kValueHints[] = {
    {"PATH", Hint::kFiles, ""},
    {"report", Hint::kFiles, ""},
    {"config", Hint::kFiles, ""},
    {"sse-c-key-file", Hint::kFiles, ""},
    {"storage-class", Hint::kWords,
     "STANDARD STANDARD_IA ONEZONE_IA INTELLIGENT_TIERING GLACIER_IR GLACIER DEEP_ARCHIVE "
     "REDUCED_REDUNDANCY"},
    {"acl", Hint::kWords,
     "private public-read public-read-write authenticated-read aws-exec-read bucket-owner-read "
     "bucket-owner-full-control"},
    {"encryption", Hint::kWords, "aes256 aws-kms"},
    {"checksum-algorithm", Hint::kWords, "crc32c crc32 crc64nvme sha256 sha1 md5 none"},
    {"checksum-transport", Hint::kWords, "auto trailer header content-md5 payload-hash none"},
    {"metadata-checksum", Hint::kWords, "blake3 sha256 none"},
    {"compare", Hint::kWords, "size etag checksum"},
    {"completions", Hint::kWords, "bash zsh fish"},
    {"profile", Hint::kProfiles, ""},
};

// Prints the profile names from the shared config and credentials files, one a line:
// "[default]", "[profile NAME]" (config) and "[NAME]" (credentials); sections such as
// "[sso-session x]" or "[services x]" are skipped. Single-quoted in every shell, so it holds
// no single quote; `cat` (unlike some awks) goes on past a missing file.
constexpr std::string_view kProfileAwk =
    R"(awk '/^[ \t]*\[/ { s = $0; sub(/^[ \t]*\[[ \t]*/, "", s); sub(/[ \t]*].*$/, "", s); )"
    R"(if (s ~ /^profile[ \t]/) sub(/^profile[ \t]+/, "", s); )"
    R"(if (s != "" && s !~ /[ \t]/ && !seen[s]++) print s }')";

struct Entry {
  std::vector<std::string> shorts;  // "-c"
  std::vector<std::string> longs;   // "--max-concurrent"
  std::string positional;           // "PATH" for positionals, else empty
  std::string description;          // one line
  std::string value_name;           // what the value is called ("N", "FILE", ...)
  bool takes_value = false;
  bool repeatable = false;
  Hint hint = Hint::kNone;
  std::vector<std::string> words;

  std::vector<std::string> names() const {
    std::vector<std::string> all = shorts;
    all.insert(all.end(), longs.begin(), longs.end());
    return all;
  }
};

std::vector<std::string> split_words(std::string_view s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && s[i] == ' ') ++i;
    size_t j = i;
    while (j < s.size() && s[j] != ' ') ++j;
    if (j > i) out.emplace_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

// Whitespace runs (newlines included) become one space; ends trimmed.
std::string one_line(std::string_view s) {
  std::string out;
  bool space = false;
  for (char c : s) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      space = !out.empty();
    } else {
      if (space) out += ' ';
      space = false;
      out += c;
    }
  }
  return out;
}

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

void assign_hint(Entry& e, const std::string& type_name) {
  std::vector<std::string> keys;
  for (const auto& l : e.longs) keys.push_back(l.substr(2));
  if (!e.positional.empty()) keys.push_back(e.positional);
  for (const auto& key : keys) {
    for (const auto& h : kValueHints) {
      if (h.name == key) {
        e.hint = h.hint;
        e.words = split_words(h.words);
        return;
      }
    }
  }
  const std::string t = upper(type_name);
  if (t == "FILE" || t == "PATH" || t == "DIR" || !e.positional.empty()) e.hint = Hint::kFiles;
}

void collect(const CLI::App& app, bool is_group, std::vector<Entry>& out,
             std::set<std::string>& seen) {
  for (const CLI::Option* opt : app.get_options()) {
    if (opt->get_group().empty()) continue;  // hidden
    if (is_group && (opt == app.get_help_ptr() || opt == app.get_help_all_ptr())) continue;
    Entry e;
    for (const auto& s : opt->get_snames())
      if (seen.insert("-" + s).second) e.shorts.push_back("-" + s);
    for (const auto& l : opt->get_lnames())
      if (seen.insert("--" + l).second) e.longs.push_back("--" + l);
    const bool named = !opt->get_snames().empty() || !opt->get_lnames().empty();
    if (!named) {
      e.positional = opt->get_name(true, false);
      if (e.positional.empty()) continue;
    } else if (e.shorts.empty() && e.longs.empty()) {
      continue;  // every name already taken by an earlier option
    }
    e.description = one_line(opt->get_description());
    e.takes_value = !named || opt->get_items_expected_max() > 0;
    const auto policy = opt->get_multi_option_policy();
    e.repeatable = policy == CLI::MultiOptionPolicy::TakeAll ||
                   policy == CLI::MultiOptionPolicy::Join || opt->get_expected_max() > 1;
    if (!named) e.repeatable = opt->get_items_expected_max() > 1;
    std::string type_name = e.takes_value ? opt->get_type_name() : std::string();
    e.value_name = one_line(type_name);
    if (e.value_name.empty()) e.value_name = named ? std::string("VALUE") : e.positional;
    if (e.takes_value) assign_hint(e, type_name);
    out.push_back(std::move(e));
  }
  for (const CLI::App* group :
       app.get_subcommands([](const CLI::App* sub) { return sub->get_name().empty(); })) {
    if (group->get_group().empty()) continue;  // hidden option group
    collect(*group, true, out, seen);
  }
}

std::string program_name(const CLI::App& app) {
  std::string name = app.get_name();
  return name.empty() ? std::string("s3upload") : name;
}

// A shell identifier made from the program name ("s3upload" -> "s3upload", "my-tool" -> "my_tool").
std::string ident(const std::string& s) {
  std::string out;
  for (char c : s) out += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return out;
}

// 'text' for bash and zsh.
std::string sh_quote(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}

// 'text' for fish: inside single quotes only \ and ' are special.
std::string fish_quote(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\\' || c == '\'') out += '\\';
    out += c;
  }
  return out + "'";
}

std::string join(const std::vector<std::string>& v, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) out += sep;
    out += v[i];
  }
  return out;
}

// ---- bash -----------------------------------------------------------------------------------

std::string bash_script(const std::string& prog, const std::vector<Entry>& entries) {
  const std::string fn = "_" + ident(prog);
  std::vector<std::string> all_names;
  bool positional = false;
  for (const auto& e : entries) {
    if (!e.positional.empty()) positional = true;
    for (const auto& n : e.names()) all_names.push_back(n);
  }

  std::string s;
  s += "# bash completion for " + prog + "\n";
  s += "# Load it with:  source <(" + prog + " --completions bash)\n";
  s += "# or save it as ~/.local/share/bash-completion/completions/" + prog + "\n\n";

  s += fn + "_reply() {  # COMPREPLY from the lines on stdin\n";
  s += "  local line\n";
  s += "  COMPREPLY=()\n";
  s += "  while IFS= read -r line; do COMPREPLY+=(\"$line\"); done\n";
  s += "}\n\n";

  s += fn + "_files() {\n";
  s += "  if declare -F _filedir >/dev/null; then\n";
  s += "    _filedir\n";
  s += "  else\n";
  s += "    compopt -o filenames 2>/dev/null\n";
  s += "    " + fn + "_reply < <(compgen -f -- \"$cur\")\n";
  s += "  fi\n";
  s += "}\n\n";

  s += fn + "_profiles() {  # profile names from the shared config and credentials files\n";
  s += "  cat -- \"${AWS_CONFIG_FILE:-$HOME/.aws/config}\" "
       "\"${AWS_SHARED_CREDENTIALS_FILE:-$HOME/.aws/credentials}\" 2>/dev/null |\n";
  s += "    " + std::string(kProfileAwk) + "\n";
  s += "}\n\n";

  s += fn + "() {\n";
  s += "  local cur=\"${COMP_WORDS[COMP_CWORD]}\" prev= i\n";
  s += "  COMPREPLY=()\n";
  s += "  (( COMP_CWORD > 0 )) && prev=\"${COMP_WORDS[COMP_CWORD-1]}\"\n";
  s += "  # --opt=value: split at '=' by COMP_WORDBREAKS, or kept whole when '=' is not in it.\n";
  s += "  if [[ $cur == = && $prev == -* ]]; then\n";
  s += "    cur=\n";
  s += "  elif [[ $prev == = ]] && (( COMP_CWORD > 1 )); then\n";
  s += "    prev=\"${COMP_WORDS[COMP_CWORD-2]}\"\n";
  s += "  elif [[ $cur == --*=* ]]; then\n";
  s += "    prev=\"${cur%%=*}\"\n";
  s += "    cur=\"${cur#*=}\"\n";
  s += "  fi\n";
  s += "  for (( i = 1; i < COMP_CWORD; i++ )); do\n";
  s += "    if [[ ${COMP_WORDS[i]} == -- ]]; then\n";
  s += positional ? "      " + fn + "_files\n" : std::string();
  s += "      return 0\n";
  s += "    fi\n";
  s += "  done\n";

  s += "  case \"$prev\" in\n";
  for (const auto& e : entries) {
    if (!e.takes_value || !e.positional.empty()) continue;
    std::vector<std::string> pats;
    for (const auto& n : e.names()) pats.push_back(sh_quote(n));
    s += "    " + join(pats, "|") + ")\n";
    switch (e.hint) {
      case Hint::kFiles:
        s += "      " + fn + "_files\n";
        break;
      case Hint::kWords:
        s += "      " + fn + "_reply < <(compgen -W " + sh_quote(join(e.words, " ")) +
             " -- \"$cur\")\n";
        break;
      case Hint::kProfiles:
        s += "      local p\n";
        s += "      while IFS= read -r p; do\n";
        s += "        [[ $p == \"$cur\"* ]] && COMPREPLY+=(\"$p\")\n";
        s += "      done < <(" + fn + "_profiles)\n";
        break;
      case Hint::kNone:
        break;  // a value we cannot guess: offer nothing
    }
    s += "      return 0\n";
    s += "      ;;\n";
  }
  s += "  esac\n";

  s += "  if [[ $cur == -* ]]; then\n";
  s += "    " + fn + "_reply < <(compgen -W " + sh_quote(join(all_names, " ")) + " -- \"$cur\")\n";
  s += "    return 0\n";
  s += "  fi\n";
  if (positional) s += "  " + fn + "_files\n";
  s += "  return 0\n";
  s += "}\n\n";
  s += "complete -F " + fn + " " + sh_quote(prog) + "\n";
  return s;
}

// ---- zsh ------------------------------------------------------------------------------------

// Text inside an _arguments spec: [description] and :message: both drop a backslash before any
// character, so backslash-escape the characters that would end them.
std::string zsh_spec_text(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\\' || c == '[' || c == ']' || c == ':') out += '\\';
    out += c;
  }
  return out;
}

// An option name or a word in a (w1 w2) action: backslash anything unusual.
std::string zsh_word(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.' &&
        c != '/')
      out += '\\';
    out += c;
  }
  return out;
}

std::string zsh_action(const Entry& e, const std::string& fn) {
  switch (e.hint) {
    case Hint::kFiles:
      return "_files";
    case Hint::kWords: {
      std::vector<std::string> w;
      for (const auto& word : e.words) w.push_back(zsh_word(word));
      return "(" + join(w, " ") + ")";
    }
    case Hint::kProfiles:
      return fn + "_profiles";
    case Hint::kNone:
      break;
  }
  return " ";  // show the message, complete nothing
}

std::string zsh_script(const std::string& prog, const std::vector<Entry>& entries) {
  const std::string fn = "_" + ident(prog);
  std::vector<std::string> specs;
  std::vector<std::string> positional_specs;
  for (const auto& e : entries) {
    const std::string action = zsh_action(e, fn);
    const std::string message = zsh_spec_text(e.value_name);
    if (!e.positional.empty()) {
      positional_specs.push_back(sh_quote((e.repeatable ? "*:" : ":") + message + ":" + action));
      continue;
    }
    const auto names = e.names();
    std::string exclusion;
    if (!e.repeatable && names.size() > 1) {
      std::vector<std::string> n;
      for (const auto& name : names) n.push_back(zsh_word(name));
      exclusion = "(" + join(n, " ") + ")";
    }
    for (const auto& name : names) {
      std::string spec = exclusion + (e.repeatable ? "*" : "") + zsh_word(name);
      if (e.takes_value) spec += name.rfind("--", 0) == 0 ? "=" : "+";
      spec += "[" + zsh_spec_text(e.description) + "]";
      if (e.takes_value) spec += ":" + message + ":" + action;
      specs.push_back(sh_quote(spec));
    }
  }
  specs.insert(specs.end(), positional_specs.begin(), positional_specs.end());

  std::string s;
  s += "#compdef " + prog + "\n";
  s += "# zsh completion for " + prog + "\n";
  s += "# Save it as _" + prog + " in a directory on $fpath (before compinit runs),\n";
  s += "# or, after compinit:  source <(" + prog + " --completions zsh)\n\n";

  s += fn + "_profiles() {  # profile names from the shared config and credentials files\n";
  s += "  local -a profiles expl\n";
  s += "  profiles=(${(f)\"$(cat -- \"${AWS_CONFIG_FILE:-$HOME/.aws/config}\" "
       "\"${AWS_SHARED_CREDENTIALS_FILE:-$HOME/.aws/credentials}\" 2>/dev/null |\n";
  s += "    " + std::string(kProfileAwk) + ")\"})\n";
  s += "  _wanted profiles expl 'AWS profile' compadd -a profiles\n";
  s += "}\n\n";

  s += fn + "() {\n";
  s += "  _arguments -s -S";
  for (const auto& spec : specs) s += " \\\n    " + spec;
  s += "\n}\n\n";

  // Autoloaded from $fpath the file is the body of the function, so run it; sourced, register.
  s += "if [[ ${funcstack[1]-} == " + fn + " ]]; then\n";
  s += "  " + fn + " \"$@\"\n";
  s += "else\n";
  s += "  compdef " + fn + " " + sh_quote(prog) + "\n";
  s += "fi\n";
  return s;
}

// ---- fish -----------------------------------------------------------------------------------

std::string fish_script(const std::string& prog, const std::vector<Entry>& entries) {
  const std::string fn = "__" + ident(prog) + "_profiles";
  const std::string c = "complete -c " + fish_quote(prog);
  bool positional = false;
  for (const auto& e : entries) positional = positional || !e.positional.empty();

  std::string s;
  s += "# fish completion for " + prog + "\n";
  s += "# Save it:  " + prog + " --completions fish > ~/.config/fish/completions/" + prog +
       ".fish\n\n";

  s += "function " + fn + " --description 'AWS profile names'\n";
  s += "    set -l config ~/.aws/config\n";
  s += "    set -l credentials ~/.aws/credentials\n";
  s += "    test -n \"$AWS_CONFIG_FILE\"; and set config $AWS_CONFIG_FILE\n";
  s += "    test -n \"$AWS_SHARED_CREDENTIALS_FILE\"; and set credentials "
       "$AWS_SHARED_CREDENTIALS_FILE\n";
  s += "    cat -- $config $credentials 2>/dev/null | " + std::string(kProfileAwk) + "\n";
  s += "end\n\n";

  if (!positional) s += c + " -f\n";
  for (const auto& e : entries) {
    if (!e.positional.empty()) continue;  // positionals: fish completes files by default
    std::string value;
    if (e.takes_value) {
      switch (e.hint) {
        case Hint::kFiles:
          value = positional ? " -r" : " -r -F";
          break;
        case Hint::kWords:
          value = " -x -a " + fish_quote(join(e.words, " "));
          break;
        case Hint::kProfiles:
          value = " -x -a " + fish_quote("(" + fn + ")");
          break;
        case Hint::kNone:
          value = " -x";
          break;
      }
    }
    const std::string desc = e.description.empty() ? "" : " -d " + fish_quote(e.description);
    std::string shorts;
    for (const auto& sn : e.shorts) shorts += " -s " + fish_quote(sn.substr(1));
    if (e.longs.empty()) {
      s += c + shorts + value + desc + "\n";
      continue;
    }
    for (size_t i = 0; i < e.longs.size(); ++i) {
      s += c + (i == 0 ? shorts : std::string()) + " -l " + fish_quote(e.longs[i].substr(2)) +
           value + desc + "\n";
    }
  }
  return s;
}

}  // namespace

std::optional<Shell> parse_shell(std::string_view name) {
  std::string lower;
  for (char ch : name) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (lower == "bash") return Shell::kBash;
  if (lower == "zsh") return Shell::kZsh;
  if (lower == "fish") return Shell::kFish;
  return std::nullopt;
}

std::string completion_script(const CLI::App& app, Shell shell) {
  std::vector<Entry> entries;
  std::set<std::string> seen;
  collect(app, false, entries, seen);
  const std::string prog = program_name(app);
  switch (shell) {
    case Shell::kBash:
      return bash_script(prog, entries);
    case Shell::kZsh:
      return zsh_script(prog, entries);
    case Shell::kFish:
      return fish_script(prog, entries);
  }
  return {};
}

}  // namespace s3up::cli
