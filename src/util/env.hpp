// The process environment as a value, so configuration and credentials are pure and testable.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>

namespace s3up {

class Environment {
 public:
  Environment() = default;
  explicit Environment(std::map<std::string, std::string> vars) : vars_(std::move(vars)) {}

  // Snapshot of the real process environment (environ).
  static Environment from_process();

  // Value of a variable; an unset variable is nullopt, a set-but-empty one is "".
  std::optional<std::string> get(const std::string& name) const;
  // Value or fallback when unset or empty.
  std::string get_or(const std::string& name, const std::string& fallback) const;
  bool has(const std::string& name) const { return vars_.count(name) != 0; }
  void set(const std::string& name, std::string value) { vars_[name] = std::move(value); }
  // Sets only if not already present (how .env values are merged: they never override).
  bool set_if_absent(const std::string& name, std::string value);
  const std::map<std::string, std::string>& vars() const { return vars_; }

  // $HOME, or nullopt.
  std::optional<std::filesystem::path> home() const;
  // `p` with $HOME shown as "~", so messages are short and match what users type.
  std::string display_path(const std::filesystem::path& p) const;

 private:
  std::map<std::string, std::string> vars_;
};

}  // namespace s3up
