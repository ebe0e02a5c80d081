#include "util/env.hpp"

extern char** environ;

namespace s3up {

Environment Environment::from_process() {
  Environment env;
  for (char** p = environ; p && *p; ++p) {
    std::string entry(*p);
    auto eq = entry.find('=');
    if (eq == std::string::npos) continue;
    env.vars_.emplace(entry.substr(0, eq), entry.substr(eq + 1));
  }
  return env;
}

std::optional<std::string> Environment::get(const std::string& name) const {
  auto it = vars_.find(name);
  if (it == vars_.end()) return std::nullopt;
  return it->second;
}

std::string Environment::get_or(const std::string& name, const std::string& fallback) const {
  auto v = get(name);
  return (v && !v->empty()) ? *v : fallback;
}

bool Environment::set_if_absent(const std::string& name, std::string value) {
  return vars_.emplace(name, std::move(value)).second;
}

std::optional<std::filesystem::path> Environment::home() const {
  auto h = get("HOME");
  if (!h || h->empty()) return std::nullopt;
  return std::filesystem::path(*h);
}

std::string Environment::display_path(const std::filesystem::path& p) const {
  std::string s = p.string();
  if (auto h_path = home()) {
    std::string h = h_path->string();
    while (h.size() > 1 && h.back() == '/') h.pop_back();
    if (!h.empty() && s.size() > h.size() && s.compare(0, h.size(), h) == 0 && s[h.size()] == '/') {
      return "~" + s.substr(h.size());
    }
  }
  return s;
}

}  // namespace s3up
