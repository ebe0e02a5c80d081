// Shell completion scripts (bash, zsh, fish) generated from the CLI11 definition itself, so a
// new flag is completed as soon as it is added to the App: long and short names, a description
// per flag (zsh and fish show them), and value completion for the options that have one
// (files, fixed word lists such as storage classes, or AWS profile names read from
// ~/.aws/config and ~/.aws/credentials when the user presses TAB).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace CLI {
class App;
}

namespace s3up::cli {

enum class Shell { kBash, kZsh, kFish };

// "bash", "zsh" or "fish", ASCII case-insensitive; nullopt for anything else.
std::optional<Shell> parse_shell(std::string_view name);

// The completion script for the program named app.get_name() ("s3upload" when empty). Covers
// the App's own options and those of its option groups (nested too); hidden options (empty
// group), options without a name and the help flags CLI11 copies into every option group are
// left out. Named subcommands are not handled (s3upload has none).
//
// Values: options are looked up by long name (or positional name) in a small table in
// completions.cpp; failing that, a type name of FILE, PATH or DIR completes files; other options
// that take a value complete nothing. Positionals complete files.
std::string completion_script(const CLI::App& app, Shell shell);

}  // namespace s3up::cli
