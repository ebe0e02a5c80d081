#include "auth/credentials.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <system_error>

namespace s3up::auth {

namespace {

// Local string helpers (kept here so this file does not depend on util/strings).
bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

std::string trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && is_space(s[b])) ++b;
  while (e > b && is_space(s[e - 1])) --e;
  return std::string(s.substr(b, e - b));
}

std::string to_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string display_path(const Environment& env, const std::filesystem::path& p) {
  return env.display_path(p);
}

std::filesystem::path aws_file(const Environment& env, const char* var, const char* name) {
  if (auto v = env.get(var); v && !v->empty()) return std::filesystem::path(*v);
  if (auto home = env.home()) return *home / ".aws" / name;
  return std::filesystem::path("~") / ".aws" / name;  // no HOME: a path that does not exist
}

// Contents of a shared file; nullopt when it does not exist; an error sentence when it exists
// but cannot be read.
Result<std::optional<std::string>> read_shared_file(const Environment& env,
                                                    const std::filesystem::path& p,
                                                    const char* override_var) {
  std::error_code ec;
  auto st = std::filesystem::status(p, ec);
  if (ec || st.type() == std::filesystem::file_type::not_found) {
    return std::optional<std::string>{};
  }
  if (std::filesystem::is_directory(st)) {
    return unexpected(display_path(env, p) +
                      " is a directory, not an AWS shared file: remove it or point " +
                      override_var + " at the right file.");
  }
  std::ifstream in(p, std::ios::binary);
  if (!in) {
    int err = errno;
    return unexpected("cannot read " + display_path(env, p) + " (" + std::strerror(err) +
                      "): fix its permissions or point " + override_var + " at a readable file.");
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return std::optional<std::string>{ss.str()};
}

using Section = std::map<std::string, std::string>;

const Section* find_section(const IniSections& s, const std::string& name) {
  auto it = s.find(name);
  return it == s.end() ? nullptr : &it->second;
}

std::string get_key(const Section* s, const char* key) {
  if (!s) return "";
  auto it = s->find(key);
  return it == s->end() ? "" : it->second;
}

bool has_key(const Section* s, const char* key) {
  return !get_key(s, key).empty();
}

bool has_prefixed_key(const Section* s, std::string_view prefix) {
  if (!s) return false;
  for (const auto& [k, v] : *s) {
    if (std::string_view(k).substr(0, prefix.size()) == prefix && !v.empty()) return true;
  }
  return false;
}

class EnvironmentProvider final : public CredentialsProvider {
 public:
  explicit EnvironmentProvider(const Environment& env) : env_(env) {}
  std::string name() const override {
    return "the environment (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)";
  }
  Result<std::optional<Credentials>> load() const override {
    std::string id = env_.get_or("AWS_ACCESS_KEY_ID", "");
    std::string secret = env_.get_or("AWS_SECRET_ACCESS_KEY", "");
    if (id.empty() && secret.empty()) return std::optional<Credentials>{};
    if (secret.empty()) {
      return unexpected(std::string(
          "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not: export both, or unset "
          "AWS_ACCESS_KEY_ID to use the shared credentials file."));
    }
    if (id.empty()) {
      return unexpected(std::string(
          "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not: export both, or unset "
          "AWS_SECRET_ACCESS_KEY to use the shared credentials file."));
    }
    Credentials c;
    c.access_key_id = std::move(id);
    c.secret_access_key = std::move(secret);
    c.session_token = env_.get_or("AWS_SESSION_TOKEN", "");
    c.source = "environment";
    return std::optional<Credentials>{std::move(c)};
  }

 private:
  Environment env_;
};

class ProfileProvider final : public CredentialsProvider {
 public:
  ProfileProvider(const Environment& env, std::string profile)
      : env_(env),
        explicit_(!profile.empty() && profile != "default"),
        profile_(profile.empty() ? "default" : std::move(profile)) {}

  std::string name() const override {
    return "profile '" + profile_ + "' in " + display_path(env_, shared_credentials_path(env_)) +
           " and " + display_path(env_, shared_config_path(env_));
  }

  Result<std::optional<Credentials>> load() const override {
    const auto cred_path = shared_credentials_path(env_);
    const auto conf_path = shared_config_path(env_);
    const std::string cred_shown = display_path(env_, cred_path);
    const std::string conf_shown = display_path(env_, conf_path);

    auto cred_text = read_shared_file(env_, cred_path, "AWS_SHARED_CREDENTIALS_FILE");
    if (!cred_text) return unexpected(cred_text.error());
    auto conf_text = read_shared_file(env_, conf_path, "AWS_CONFIG_FILE");
    if (!conf_text) return unexpected(conf_text.error());

    IniSections cred_ini, conf_ini;
    if (*cred_text) cred_ini = parse_ini(**cred_text, false);
    if (*conf_text) conf_ini = parse_ini(**conf_text, true);
    const Section* cred = find_section(cred_ini, profile_);
    const Section* conf = find_section(conf_ini, profile_);

    if (!cred && !conf) {
      if (!explicit_) return std::optional<Credentials>{};
      return unexpected("profile '" + profile_ + "' was not found in " + cred_shown + " or " +
                        conf_shown +
                        ": check the name given with --profile or AWS_PROFILE, or add [" +
                        profile_ + "] to " + cred_shown + ".");
    }

    // Same precedence as the AWS CLI: role and SSO settings win over static keys, static keys in
    // the credentials file win over credential_process, which wins over keys in the config file.
    const std::string where = "profile '" + profile_ + "'";
    const std::string fix =
        ": export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN) instead, "
        "for example from the output of `aws configure export-credentials --profile " +
        profile_ + " --format env`.";
    if (has_key(cred, "role_arn") || has_key(conf, "role_arn")) {
      return unexpected(where + " assumes a role (role_arn), which s3upload does not support yet" +
                        fix);
    }
    if (has_key(cred, "web_identity_token_file") || has_key(conf, "web_identity_token_file")) {
      return unexpected(where +
                        " uses web identity (web_identity_token_file), which s3upload does not "
                        "support yet" +
                        fix);
    }
    if (has_prefixed_key(cred, "sso_") || has_prefixed_key(conf, "sso_")) {
      return unexpected(where +
                        " uses AWS IAM Identity Center (sso_* settings), which s3upload "
                        "does not support yet" +
                        fix);
    }

    auto from_section = [&](const Section* s,
                            const std::string& shown) -> Result<std::optional<Credentials>> {
      std::string id = get_key(s, "aws_access_key_id");
      std::string secret = get_key(s, "aws_secret_access_key");
      if (id.empty() && secret.empty()) return std::optional<Credentials>{};
      if (id.empty() || secret.empty()) {
        const char* missing = id.empty() ? "aws_access_key_id" : "aws_secret_access_key";
        const char* present = id.empty() ? "aws_secret_access_key" : "aws_access_key_id";
        return unexpected(where + " in " + shown + " has " + present + " but no " + missing +
                          ": add " + missing + " to that profile.");
      }
      Credentials c;
      c.access_key_id = std::move(id);
      c.secret_access_key = std::move(secret);
      c.session_token = get_key(s, "aws_session_token");
      c.source = "profile " + profile_ + " in " + shown;
      return std::optional<Credentials>{std::move(c)};
    };

    auto from_cred = from_section(cred, cred_shown);
    if (!from_cred || *from_cred) return from_cred;
    if (has_key(cred, "credential_process") || has_key(conf, "credential_process")) {
      return unexpected(where +
                        " gets its keys from a program (credential_process), which s3upload does "
                        "not support yet" +
                        fix);
    }
    return from_section(conf, conf_shown);
  }

 private:
  Environment env_;
  bool explicit_;
  std::string profile_;
};

}  // namespace

std::string redacted(const Credentials& c) {
  std::string out = c.access_key_id.substr(0, 4) + "…";
  out += " (from " + (c.source.empty() ? std::string("an unknown source") : c.source);
  if (!c.session_token.empty()) out += ", with session token";
  out += ")";
  return out;
}

std::unique_ptr<CredentialsProvider> make_environment_provider(const Environment& env) {
  return std::make_unique<EnvironmentProvider>(env);
}

std::unique_ptr<CredentialsProvider> make_profile_provider(const Environment& env,
                                                           const std::string& profile) {
  return std::make_unique<ProfileProvider>(env, profile);
}

Result<Credentials> CredentialsChain::resolve() const {
  std::string looked;
  for (const auto& p : providers_) {
    auto r = p->load();
    if (!r) return unexpected(r.error());
    if (*r) return std::move(**r);
    if (!looked.empty()) looked += ", ";
    looked += p->name();
  }
  if (looked.empty()) looked = "nowhere (no credential sources are configured)";
  return unexpected(
      "no AWS credentials found (looked in " + looked +
      "): export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or add aws_access_key_id and "
      "aws_secret_access_key to the profile in the shared credentials file (aws configure does "
      "this).");
}

CredentialsChain default_chain(const Environment& env, const std::string& profile) {
  CredentialsChain chain;
  chain.add(make_environment_provider(env));
  chain.add(make_profile_provider(env, profile));
  return chain;
}

IniSections parse_ini(std::string_view text, bool strip_profile_prefix) {
  IniSections out;
  std::map<std::string, std::string>* current = nullptr;
  bool in_nested = false;  // inside an indented block under a key with an empty value (`s3 =`)
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view raw =
        text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() + 1 : nl + 1;
    if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);

    std::string line = trim(raw);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    const bool indented = is_space(raw[0]);

    if (line[0] == '[') {
      in_nested = false;
      auto close = line.find(']');
      if (close == std::string::npos) {  // malformed header: ignore lines until the next one
        current = nullptr;
        continue;
      }
      std::string name = trim(std::string_view(line).substr(1, close - 1));
      if (strip_profile_prefix && name.size() > 8 && name.compare(0, 7, "profile") == 0 &&
          is_space(name[7])) {
        name = trim(std::string_view(name).substr(8));
      }
      current = &out[name];
      continue;
    }
    if (!current) continue;  // keys before any section
    if (indented && in_nested) continue;
    in_nested = false;

    auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    std::string key = to_lower(trim(std::string_view(line).substr(0, eq)));
    std::string value = trim(std::string_view(line).substr(eq + 1));
    // Inline comments only when preceded by whitespace, so values may contain '#' or ';'.
    for (size_t i = 1; i < value.size(); ++i) {
      if ((value[i] == '#' || value[i] == ';') && is_space(value[i - 1])) {
        value = trim(std::string_view(value).substr(0, i));
        break;
      }
    }
    if (key.empty()) continue;
    if (value.empty()) {
      in_nested = true;  // `s3 =` followed by indented sub-keys: skipped
      continue;
    }
    (*current)[key] = value;
  }
  return out;
}

std::filesystem::path shared_credentials_path(const Environment& env) {
  return aws_file(env, "AWS_SHARED_CREDENTIALS_FILE", "credentials");
}

std::filesystem::path shared_config_path(const Environment& env) {
  return aws_file(env, "AWS_CONFIG_FILE", "config");
}

std::optional<std::string> profile_region(const Environment& env, const std::string& profile) {
  auto text = read_shared_file(env, shared_config_path(env), "AWS_CONFIG_FILE");
  if (!text || !*text) return std::nullopt;
  auto ini = parse_ini(**text, true);
  std::string v = get_key(find_section(ini, profile.empty() ? "default" : profile), "region");
  if (v.empty()) return std::nullopt;
  return v;
}

}  // namespace s3up::auth
