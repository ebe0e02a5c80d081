// AWS credentials and the provider chain that finds them.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "util/env.hpp"
#include "util/result.hpp"

namespace s3up::auth {

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty when none
  // Where they came from, e.g. "environment", "profile default in ~/.aws/credentials".
  std::string source;
};

// Safe to print or log: the key id's first 4 characters followed by "…", the source, and
// whether a session token is present. Never the secret access key or the session token.
std::string redacted(const Credentials& c);

// One way of finding credentials. Returns nullopt when this source has none (the chain moves
// on); an error when the source exists but is broken (the chain stops and says so).
class CredentialsProvider {
 public:
  virtual ~CredentialsProvider() = default;
  virtual std::string name() const = 0;
  virtual Result<std::optional<Credentials>> load() const = 0;
};

// AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN.
std::unique_ptr<CredentialsProvider> make_environment_provider(const Environment& env);
// [profile] in the shared credentials file, then in the shared config file.
std::unique_ptr<CredentialsProvider> make_profile_provider(const Environment& env,
                                                           const std::string& profile);

// Ordered providers; later issues add web identity, SSO, container and instance providers.
class CredentialsChain {
 public:
  void add(std::unique_ptr<CredentialsProvider> p) { providers_.push_back(std::move(p)); }
  // The first provider that has credentials. Error sentence if none has any or one is broken.
  Result<Credentials> resolve() const;

 private:
  std::vector<std::unique_ptr<CredentialsProvider>> providers_;
};

// The default chain: environment, then shared files for `profile`.
CredentialsChain default_chain(const Environment& env, const std::string& profile);

// Shared config/credentials files (INI). Sections keyed by name as written, with the
// "profile " prefix of the config file removed ("default" stays "default").
using IniSections = std::map<std::string, std::map<std::string, std::string>>;
IniSections parse_ini(std::string_view text, bool strip_profile_prefix);

// AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials; AWS_CONFIG_FILE or ~/.aws/config.
std::filesystem::path shared_credentials_path(const Environment& env);
std::filesystem::path shared_config_path(const Environment& env);

// `region` of the profile in the shared config file, if any.
std::optional<std::string> profile_region(const Environment& env, const std::string& profile);

}  // namespace s3up::auth
