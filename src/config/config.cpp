#include "config/config.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <system_error>

#include "auth/credentials.hpp"
#include "transfer/journal.hpp"
#include "util/strings.hpp"

namespace s3up::config {

namespace {

// Local string helpers (kept here so this file does not depend on util/strings).
bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_lower(char c) {
  return c >= 'a' && c <= 'z';
}
bool is_upper(char c) {
  return c >= 'A' && c <= 'Z';
}
bool is_alnum_lower(char c) {
  return is_lower(c) || is_digit(c);
}

std::string_view trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && is_space(s[b])) ++b;
  while (e > b && is_space(s[e - 1])) --e;
  return s.substr(b, e - b);
}

std::string to_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (is_upper(c)) c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t p = s.find(sep, start);
    if (p == std::string_view::npos) {
      parts.push_back(s.substr(start));
      return parts;
    }
    parts.push_back(s.substr(start, p - start));
    start = p + 1;
  }
}

// A value shown in a message: in single quotes, with control and non-ASCII bytes escaped so a
// stray byte can never garble the terminal.
std::string in_quotes(std::string_view s) {
  return quoted_for_message(s, '\'');
}

// How a single character is named in a message.
std::string char_name(char c) {
  if (c == ' ') return "a space";
  unsigned char u = static_cast<unsigned char>(c);
  if (u < 0x20 || u == 0x7f || u >= 0x80) {
    static const char* hex = "0123456789abcdef";
    return std::string(u >= 0x80 ? "the byte 0x" : "the control character 0x") + hex[u >> 4] +
           hex[u & 0xf];
  }
  return std::string("'") + c + "'";
}

bool valid_utf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n;  // continuation bytes
    if (c < 0x80) {
      n = 0;
    } else if ((c & 0xe0) == 0xc0 && c >= 0xc2) {
      n = 1;
    } else if ((c & 0xf0) == 0xe0) {
      n = 2;
    } else if ((c & 0xf8) == 0xf0 && c <= 0xf4) {
      n = 3;
    } else {
      return false;
    }
    for (size_t k = 1; k <= n; ++k) {
      if (i + k >= s.size() || (static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return false;
    }
    i += n + 1;
  }
  return true;
}

bool is_ipv4_literal(std::string_view s) {
  auto parts = split(s, '.');
  if (parts.size() != 4) return false;
  for (auto p : parts) {
    if (p.empty() || p.size() > 3) return false;
    int v = 0;
    for (char c : p) {
      if (!is_digit(c)) return false;
      v = v * 10 + (c - '0');
    }
    if (v > 255) return false;
  }
  return true;
}

// "1.2.3.4"-shaped: four dot-separated groups of 1-3 digits (AWS rejects such bucket names).
bool is_ip_shaped(std::string_view s) {
  auto parts = split(s, '.');
  if (parts.size() != 4) return false;
  for (auto p : parts) {
    if (p.empty() || p.size() > 3) return false;
    for (char c : p) {
      if (!is_digit(c)) return false;
    }
  }
  return true;
}

// ---- checks shared by the public validators and resolve_settings ---------------------------
// `subject` names the value in the message, e.g. "S3_BUCKET 'my_bucket'".

std::optional<std::string> check_bucket(std::string_view b, const std::string& subject) {
  if (b.empty()) {
    return std::string("S3_BUCKET is not set: put S3_BUCKET=<bucket> in .env or pass --bucket.");
  }
  if (b.size() < 3 || b.size() > 63) {
    return subject + " is " + std::to_string(b.size()) +
           " characters long: S3 bucket names must be 3 to 63 characters.";
  }
  for (char c : b) {
    if (is_upper(c)) {
      return subject + " contains upper-case letters: S3 bucket names are lower-case, so use " +
             in_quotes(to_lower(b)) + " if that is the bucket's name.";
    }
  }
  for (char c : b) {
    if (!is_alnum_lower(c) && c != '.' && c != '-') {
      return subject + " contains " + char_name(c) +
             ": S3 bucket names may only contain lower-case letters, digits, '.' and '-'.";
    }
  }
  if (!is_alnum_lower(b.front()) || !is_alnum_lower(b.back())) {
    const bool front = !is_alnum_lower(b.front());
    return subject + (front ? " starts" : " ends") + " with '" +
           std::string(1, front ? b.front() : b.back()) +
           "': S3 bucket names must start and end with a lower-case letter or digit.";
  }
  if (b.find("..") != std::string_view::npos) {
    return subject + " contains '..': S3 bucket names need a letter or digit between dots.";
  }
  if (is_ip_shaped(b)) {
    return subject +
           " is formatted like an IP address, which S3 does not allow for bucket names: "
           "give the name of an existing bucket.";
  }
  for (std::string_view prefix : {"xn--", "sthree-"}) {
    if (b.starts_with(prefix)) {
      return subject + " starts with '" + std::string(prefix) +
             "', a prefix AWS reserves: give the name of an existing bucket.";
    }
  }
  for (std::string_view suffix : {"-s3alias", "--ol-s3"}) {
    if (b.ends_with(suffix)) {
      return subject + " ends with '" + std::string(suffix) +
             "', a suffix AWS reserves for access point aliases: give the bucket's own name.";
    }
  }
  return std::nullopt;
}

std::optional<std::string> check_region(std::string_view r, const std::string& subject) {
  if (r.empty()) return subject + " is empty: give a region such as us-east-1.";
  if (r.size() > 63) {
    return subject + " is " + std::to_string(r.size()) +
           " characters long: a region name has at most 63 characters (e.g. us-east-1).";
  }
  for (char c : r) {
    if (is_upper(c)) {
      return subject + " contains upper-case letters: region names are lower-case, e.g. " +
             in_quotes(to_lower(r)) + ".";
    }
  }
  for (char c : r) {
    if (!is_alnum_lower(c) && c != '-') {
      return subject + " contains " + char_name(c) +
             ": region names use only lower-case letters, digits and '-', e.g. us-east-1.";
    }
  }
  if (r.front() == '-' || r.back() == '-') {
    return subject + " starts or ends with '-': give a region such as us-east-1.";
  }
  return std::nullopt;
}

std::optional<std::string> check_target_path(std::string_view p, const std::string& subject) {
  if (p.empty()) return std::nullopt;
  if (p.size() > 1024) {
    return subject.substr(0, subject.find(" '")) + " is " + std::to_string(p.size()) +
           " bytes long: an S3 key prefix can be at most 1024 bytes.";
  }
  for (char c : p) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      return subject + " contains " + char_name(c) + ": remove it from the key prefix.";
    }
  }
  if (!valid_utf8(p)) {
    return subject + " is not valid UTF-8: S3 keys must be UTF-8 text.";
  }
  if (p.find('\\') != std::string_view::npos) {
    return subject + " contains a backslash: separate key prefix segments with '/'.";
  }
  if (p.front() == '/') {
    return subject + " starts with '/': write the key prefix without it, e.g. " +
           in_quotes(p.substr(p.find_first_not_of('/') == std::string_view::npos
                                  ? p.size()
                                  : p.find_first_not_of('/'))) +
           ".";
  }
  if (p.find("//") != std::string_view::npos) {
    return subject + " contains '//': separate key prefix segments with a single '/'.";
  }
  for (auto seg : split(p, '/')) {
    if (seg == ".." || seg == ".") {
      return subject + " contains a '" + std::string(seg) +
             "' segment: S3 keys are not file paths, so write the prefix without it.";
    }
  }
  return std::nullopt;
}

struct Endpoint {
  std::string scheme;  // "http" or "https"
  std::string host;    // lower-case; IPv6 literals keep their brackets
  std::string port;    // "" when none
  bool ip_literal = false;
  bool localhost = false;
  std::string url() const { return scheme + "://" + host + (port.empty() ? "" : ":" + port); }
};

Result<Endpoint> parse_endpoint(std::string_view url, const std::string& subject) {
  Endpoint ep;
  auto sep = url.find("://");
  std::string scheme = sep == std::string_view::npos ? "" : to_lower(url.substr(0, sep));
  if (scheme != "http" && scheme != "https") {
    if (sep == std::string_view::npos) {
      return unexpected(subject + " does not start with http:// or https://: write it as " +
                        in_quotes("https://" + std::string(url)) +
                        " (or http:// for a local server).");
    }
    return unexpected(subject + " uses the scheme " + in_quotes(scheme) +
                      ": only http:// and https:// endpoints are supported.");
  }
  ep.scheme = scheme;
  std::string_view rest = url.substr(sep + 3);
  for (char c : rest) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) {
      return unexpected(subject + " contains " + char_name(c) + ": remove it.");
    }
  }
  auto end_of_authority = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, end_of_authority);
  std::string_view tail =
      end_of_authority == std::string_view::npos ? "" : rest.substr(end_of_authority);
  if (!tail.empty() && tail != "/") {
    if (tail[0] == '/' && tail.find_first_of("?#") == std::string_view::npos) {
      return unexpected(subject + " has the path " + in_quotes(tail) +
                        ": give only scheme://host[:port] and put the bucket in S3_BUCKET.");
    }
    return unexpected(subject + " has a query or fragment " + in_quotes(tail) +
                      ": give only scheme://host[:port].");
  }
  if (authority.find('@') != std::string_view::npos) {
    return unexpected(subject +
                      " contains user information before '@': give only scheme://host[:port] and "
                      "pass credentials through AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.");
  }
  std::string_view host, port;
  bool has_port_sep = false;
  if (!authority.empty() && authority[0] == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) {
      return unexpected(subject + " has an IPv6 address without its closing ']'.");
    }
    host = authority.substr(0, close + 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') {
        return unexpected(subject + " has unexpected text " + in_quotes(after) +
                          " after the IPv6 address.");
      }
      has_port_sep = true;
      port = after.substr(1);
    }
    std::string_view inner = host.substr(1, host.size() - 2);
    bool ok = inner.find(':') != std::string_view::npos;
    for (char c : inner) {
      if (!(is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' ||
            c == '.')) {
        ok = false;
      }
    }
    if (!ok) return unexpected(subject + " has an invalid IPv6 address " + in_quotes(host) + ".");
    ep.ip_literal = true;
  } else {
    auto colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      has_port_sep = true;
      port = authority.substr(colon + 1);
    }
    if (host.empty()) {
      return unexpected(subject + " has no host name: write it as scheme://host[:port].");
    }
    for (char c : host) {
      if (!(is_alnum_lower(c) || is_upper(c) || c == '-' || c == '.' || c == '_')) {
        return unexpected(subject + " has " + char_name(c) + " in its host name " +
                          in_quotes(host) + ": write it as scheme://host[:port].");
      }
    }
    ep.ip_literal = is_ipv4_literal(host);
  }
  if (has_port_sep) {
    bool ok = !port.empty() && port.size() <= 5;
    long v = 0;
    for (char c : port) {
      if (!is_digit(c)) ok = false;
      v = v * 10 + (c - '0');
    }
    if (!ok || v < 1 || v > 65535) {
      return unexpected(subject + " has the invalid port " + in_quotes(port) +
                        ": a port is a number from 1 to 65535.");
    }
  }
  ep.host = to_lower(host);
  ep.port = std::string(port);
  ep.localhost = ep.host == "localhost";
  return ep;
}

std::optional<bool> parse_bool(std::string_view v) {
  std::string s = to_lower(trim(v));
  if (s == "true" || s == "1" || s == "yes" || s == "on") return true;
  if (s == "false" || s == "0" || s == "no" || s == "off") return false;
  return std::nullopt;
}

// The first non-empty value among the variables, with the variable's name.
std::optional<std::pair<std::string, std::string>> first_set(
    const Environment& env, std::initializer_list<const char*> names) {
  for (const char* n : names) {
    if (auto v = env.get(n); v && !v->empty()) return std::make_pair(std::string(n), *v);
  }
  return std::nullopt;
}

std::string display_path(const Environment& env, const std::filesystem::path& p) {
  return env.display_path(p);
}

bool valid_env_name(std::string_view k) {
  if (k.empty() || is_digit(k[0])) return false;
  for (char c : k) {
    if (!(is_alnum_lower(c) || is_upper(c) || c == '_' || c == '.')) return false;
  }
  return true;
}

}  // namespace

// ---- .env -----------------------------------------------------------------------------------

std::vector<std::pair<std::string, std::string>> parse_dotenv(std::string_view text,
                                                              std::vector<std::string>* errors) {
  std::vector<std::pair<std::string, std::string>> out;
  auto fail = [&](size_t line_no, const std::string& msg) {
    if (errors) errors->push_back("line " + std::to_string(line_no) + ": " + msg);
  };
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);  // UTF-8 byte order mark
  size_t pos = 0, line_no = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view raw =
        text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    ++line_no;
    if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);

    std::string_view line = trim(raw);
    if (line.empty() || line[0] == '#') continue;
    if (line.starts_with("export") && line.size() > 6 && is_space(line[6])) {
      line = trim(line.substr(7));
    }
    auto eq = line.find('=');
    if (eq == std::string_view::npos) {
      fail(line_no, "expected KEY=VALUE but there is no '='");
      continue;
    }
    std::string_view key = trim(line.substr(0, eq));
    if (!valid_env_name(key)) {
      fail(line_no, in_quotes(key) +
                        " is not a valid variable name (use letters, digits and '_', not "
                        "starting with a digit)");
      continue;
    }
    std::string_view rest = trim(line.substr(eq + 1));
    std::string value;
    std::string_view after;  // what follows a closing quote
    if (!rest.empty() && (rest[0] == '"' || rest[0] == '\'')) {
      const char q = rest[0];
      size_t i = 1;
      bool closed = false;
      for (; i < rest.size(); ++i) {
        char c = rest[i];
        if (c == q) {
          closed = true;
          break;
        }
        if (q == '"' && c == '\\' && i + 1 < rest.size()) {
          char n = rest[++i];
          switch (n) {
            case 'n':
              value += '\n';
              break;
            case 't':
              value += '\t';
              break;
            case 'r':
              value += '\r';
              break;
            case '"':
              value += '"';
              break;
            case '\\':
              value += '\\';
              break;
            default:  // unknown escape: kept as written
              value += '\\';
              value += n;
          }
          continue;
        }
        value += c;
      }
      if (!closed) {
        fail(line_no, std::string("the value of ") + std::string(key) + " has no closing " +
                          (q == '"' ? "double" : "single") + " quote");
        continue;
      }
      after = trim(rest.substr(i + 1));
      if (!after.empty() && after[0] != '#') {
        fail(line_no, "unexpected text " + in_quotes(after) + " after the closing quote of " +
                          std::string(key));
        continue;
      }
    } else {
      // Unquoted: an inline comment starts at a '#' preceded by whitespace.
      size_t end = rest.size();
      for (size_t i = 1; i < rest.size(); ++i) {
        if (rest[i] == '#' && is_space(rest[i - 1])) {
          end = i;
          break;
        }
      }
      if (!rest.empty() && rest[0] == '#') end = 0;
      value = std::string(trim(rest.substr(0, end)));
    }
    out.emplace_back(std::string(key), std::move(value));
  }
  return out;
}

std::optional<std::filesystem::path> find_dotenv(const std::filesystem::path& start) {
  std::error_code ec;
  std::filesystem::path dir = std::filesystem::absolute(start, ec);
  if (ec) dir = start;
  dir = dir.lexically_normal();
  while (true) {
    std::filesystem::path candidate = dir / ".env";
    auto st = std::filesystem::status(candidate, ec);
    if (!ec && std::filesystem::exists(st) && !std::filesystem::is_directory(st)) {
      return candidate;
    }
    if (!dir.has_relative_path()) return std::nullopt;  // reached the root
    std::filesystem::path parent = dir.parent_path();
    if (parent == dir) return std::nullopt;
    dir = parent;
  }
}

Result<std::optional<std::filesystem::path>> load_dotenv(Environment& env,
                                                         const std::filesystem::path& cwd) {
  auto path = find_dotenv(cwd);
  if (!path) return std::optional<std::filesystem::path>{};
  std::ifstream in(*path, std::ios::binary);
  if (!in) {
    int err = errno;
    return unexpected("cannot read " + path->string() + " (" + std::strerror(err) +
                      "): fix its permissions or remove it.");
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) {
    return unexpected("cannot read " + path->string() + ": fix the file or remove it.");
  }
  std::vector<std::string> errors;
  auto pairs = parse_dotenv(ss.str(), &errors);
  if (!errors.empty()) {
    std::string more = errors.size() > 1
                           ? " (and " + std::to_string(errors.size() - 1) + " more bad line" +
                                 (errors.size() > 2 ? "s" : "") + ")"
                           : "";
    return unexpected(path->string() + ", " + errors.front() + more +
                      ": fix the line or comment it out with '#'.");
  }
  // First definition wins, and nothing already in the environment is overridden.
  for (auto& [k, v] : pairs) env.set_if_absent(k, std::move(v));
  return std::optional<std::filesystem::path>{*path};
}

// ---- validation -----------------------------------------------------------------------------

std::optional<std::string> validate_bucket_name(std::string_view bucket) {
  return check_bucket(bucket, "bucket name " + in_quotes(bucket));
}

std::optional<std::string> validate_region(std::string_view region) {
  return check_region(region, "region " + in_quotes(region));
}

std::optional<std::string> validate_target_path(std::string_view path) {
  return check_target_path(path, "target path " + in_quotes(path));
}

std::optional<std::string> validate_endpoint_url(std::string_view url) {
  auto r = parse_endpoint(url, "endpoint URL " + in_quotes(url));
  if (r) return std::nullopt;
  return r.error();
}

std::string normalize_target_path(std::string_view path) {
  while (!path.empty() && path.front() == '/') path.remove_prefix(1);
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  return std::string(path);
}

// ---- resolution -----------------------------------------------------------------------------

Result<Settings, std::vector<std::string>> resolve_settings(const Environment& env,
                                                            const Overrides& overrides) {
  std::vector<std::string> errors;
  Settings s;

  // Profile: --profile, AWS_PROFILE, else "" (the default profile).
  if (overrides.profile) {
    s.profile = *overrides.profile;
  } else {
    s.profile = env.get_or("AWS_PROFILE", "");
  }

  // Bucket.
  {
    std::optional<std::pair<std::string, std::string>> src;
    if (overrides.bucket) {
      src = std::make_pair(std::string("--bucket"), *overrides.bucket);
    } else {
      src = first_set(env, {"S3_BUCKET"});
    }
    if (!src || src->second.empty()) {
      errors.push_back("S3_BUCKET is not set: put S3_BUCKET=<bucket> in .env or pass --bucket.");
    } else if (auto e = check_bucket(src->second, src->first + " " + in_quotes(src->second))) {
      errors.push_back(*e);
    } else {
      s.bucket = src->second;
    }
  }

  // Endpoint.
  std::optional<Endpoint> endpoint;
  bool endpoint_given = false;
  {
    std::optional<std::pair<std::string, std::string>> src;
    if (overrides.endpoint_url) {
      src = std::make_pair(std::string("--endpoint-url"), *overrides.endpoint_url);
    } else {
      src = first_set(env, {"AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"});
    }
    if (src) {
      endpoint_given = true;
      auto ep = parse_endpoint(src->second, src->first + " " + in_quotes(src->second));
      if (ep) {
        endpoint = *ep;
        s.endpoint_url = ep->url();
      } else {
        errors.push_back(ep.error());
      }
    }
  }

  // Region: --region, AWS_REGION, AWS_DEFAULT_REGION, the profile's region in the config file.
  {
    std::optional<std::pair<std::string, std::string>> src;
    std::string profile_subject;  // set when the region comes from the shared config file
    if (overrides.region) {
      src = std::make_pair(std::string("--region"), *overrides.region);
    } else {
      src = first_set(env, {"AWS_REGION", "AWS_DEFAULT_REGION"});
    }
    if (!src) {
      const std::string name = s.profile.empty() ? "default" : s.profile;
      if (auto r = auth::profile_region(env, s.profile)) {
        src = std::make_pair("", *r);
        profile_subject = "region " + in_quotes(*r) + " of profile '" + name + "' in " +
                          display_path(env, auth::shared_config_path(env));
      }
    }
    if (src) {
      const std::string subject =
          profile_subject.empty() ? src->first + " " + in_quotes(src->second) : profile_subject;
      if (auto e = check_region(src->second, subject)) {
        errors.push_back(*e);
      } else {
        s.region = src->second;
      }
    } else if (endpoint_given) {
      s.region = "us-east-1";  // what S3-compatible servers expect when none is configured
    } else {
      errors.push_back(
          "AWS_REGION is not set: put AWS_REGION=<region> (e.g. us-east-1) in .env, pass "
          "--region, or set region in the profile in " +
          display_path(env, auth::shared_config_path(env)) + ".");
    }
  }

  // Target path.
  {
    std::optional<std::pair<std::string, std::string>> src;
    if (overrides.target_path) {
      src = std::make_pair(std::string("--target-path"), *overrides.target_path);
    } else if (auto v = env.get("S3_TARGET_PATH")) {
      src = std::make_pair(std::string("S3_TARGET_PATH"), *v);
    }
    if (src) {
      if (auto e = check_target_path(src->second, src->first + " " + in_quotes(src->second))) {
        errors.push_back(*e);
      } else {
        s.target_path = normalize_target_path(src->second);
      }
    }
  }

  // Path style: --path-style, S3_FORCE_PATH_STYLE, else automatic.
  {
    std::optional<bool> forced;
    std::string forced_by;
    if (overrides.path_style) {
      forced = overrides.path_style;
      forced_by = "turning path style off on the command line";
    } else if (auto v = env.get("S3_FORCE_PATH_STYLE"); v && !trim(*v).empty()) {
      forced = parse_bool(*v);
      forced_by = "S3_FORCE_PATH_STYLE=" + std::string(trim(*v));
      if (!forced) {
        errors.push_back("S3_FORCE_PATH_STYLE " + in_quotes(*v) +
                         " is not a yes/no value: set it to true or false (or remove it).");
      }
    }
    if (forced) {
      s.path_style = *forced;
      // An IP address has no subdomains, so virtual-hosted requests cannot reach the bucket.
      if (!*forced && endpoint && endpoint->ip_literal) {
        errors.push_back(forced_by + " cannot work with the endpoint " + endpoint->url() +
                         " because an IP address has no bucket subdomains: remove it or use path "
                         "style.");
      }
    } else {
      // Automatic. Virtual-hosted style needs DNS names like <bucket>.<host>: impossible for IP
      // literals and unreliable for localhost. A bucket name with '.' over https breaks
      // virtual-hosted TLS too: <a.b>.s3.amazonaws.com does not match the *.s3.amazonaws.com
      // wildcard certificate, so such buckets are addressed path-style (as the AWS CLI does).
      const bool https = !endpoint || endpoint->scheme == "https";
      s.path_style = (endpoint && (endpoint->ip_literal || endpoint->localhost)) ||
                     (https && s.bucket.find('.') != std::string::npos);
    }
  }

  if (!errors.empty()) return unexpected(std::move(errors));
  return s;
}

// ---- integrity, comparison and resume -------------------------------------------------------

Result<IntegritySettings, std::vector<std::string>> resolve_integrity(const Environment& env,
                                                                      const Overrides& overrides) {
  using integrity::ChecksumAlgo;
  using integrity::ChecksumTransport;
  std::vector<std::string> errors;
  IntegritySettings s;

  // The flag, else the key (set and non-empty), as (source name, value).
  auto source = [&](const std::optional<std::string>& flag, const char* flag_name,
                    const char* key) -> std::optional<std::pair<std::string, std::string>> {
    if (flag) return std::make_pair(std::string(flag_name), *flag);
    return first_set(env, {key});
  };
  auto subject = [](const std::pair<std::string, std::string>& src) {
    return src.first + " " + in_quotes(src.second);
  };

  const auto algo_src =
      source(overrides.checksum_algorithm, "--checksum-algorithm", "S3_CHECKSUM_ALGORITHM");
  bool algo_ok = true;
  if (algo_src) {
    if (auto a = integrity::parse_checksum_algo(algo_src->second)) {
      s.checksum_algo = *a;
    } else {
      algo_ok = false;
      errors.push_back(subject(*algo_src) +
                       " is not a checksum algorithm: use crc32c, crc32, crc64nvme, sha256, "
                       "sha1, md5 or none.");
    }
  }
  const auto transport_src =
      source(overrides.checksum_transport, "--checksum-transport", "S3_CHECKSUM_TRANSPORT");
  bool transport_ok = true;
  if (transport_src) {
    if (auto t = integrity::parse_transport(transport_src->second)) {
      s.checksum_transport = *t;
    } else {
      transport_ok = false;
      errors.push_back(subject(*transport_src) +
                       " is not a checksum transport: use auto, trailer, header, content-md5, "
                       "payload-hash or none.");
    }
  }

  // Algorithm and transport must agree (checked only when both are readable).
  if (algo_ok && transport_ok) {
    ChecksumAlgo& a = s.checksum_algo;
    ChecksumTransport& t = s.checksum_transport;
    const bool algo_explicit = algo_src.has_value();
    const std::string algo_who = algo_src ? subject(*algo_src) : "";
    const std::string transport_who = transport_src ? subject(*transport_src) : "";
    if (a == ChecksumAlgo::kNone) {
      if (t == ChecksumTransport::kAuto || t == ChecksumTransport::kNone) {
        t = ChecksumTransport::kNone;
      } else {
        errors.push_back(algo_who + " sends no checksum, so " + transport_who +
                         " has nothing to carry: choose transport none (or leave it out), or "
                         "another algorithm.");
      }
    } else if (t == ChecksumTransport::kNone) {
      if (algo_explicit) {
        errors.push_back(transport_who + " sends no checksum, but " + algo_who +
                         " asks for one: choose algorithm none too, or another transport.");
      } else {
        a = ChecksumAlgo::kNone;
      }
    } else if (a == ChecksumAlgo::kMd5) {
      if (t == ChecksumTransport::kAuto) {
        t = ChecksumTransport::kContentMd5;
      } else if (t != ChecksumTransport::kContentMd5) {
        errors.push_back(algo_who + " can only travel as a Content-MD5 header, not as " +
                         transport_who + ": choose transport content-md5 or auto.");
      }
    } else if (t == ChecksumTransport::kPayloadHash) {
      if (!algo_explicit) {
        a = ChecksumAlgo::kSha256;
      } else if (a != ChecksumAlgo::kSha256) {
        errors.push_back(transport_who + " sends the SHA-256 of the body, so it cannot carry " +
                         algo_who + ": choose algorithm sha256, or leave the algorithm out.");
      }
    } else if (t == ChecksumTransport::kContentMd5) {
      if (!algo_explicit) {
        a = ChecksumAlgo::kMd5;
      } else {
        errors.push_back(transport_who + " sends the MD5 of the body, so it cannot carry " +
                         algo_who + ": choose algorithm md5, or leave the algorithm out.");
      }
    }
  }

  if (auto src =
          source(overrides.metadata_checksum, "--metadata-checksum", "S3_METADATA_CHECKSUM")) {
    if (auto d = integrity::parse_metadata_digest(src->second)) {
      s.metadata_digest = *d;
    } else {
      errors.push_back(subject(*src) + " is not a metadata checksum: use blake3, sha256 or none.");
    }
  }

  if (auto src = source(overrides.compare, "--compare", "S3_COMPARE")) {
    if (auto m = transfer::parse_compare_mode(src->second)) {
      s.compare = *m;
    } else {
      errors.push_back(subject(*src) + " is not a comparison mode: use size, etag or checksum.");
    }
  }

  // Resume: --no-resume, else S3_RESUME, else on.
  bool resume = true;
  if (overrides.resume) {
    resume = *overrides.resume;
  } else if (auto v = env.get("S3_RESUME"); v && !trim(*v).empty()) {
    if (auto b = parse_bool(*v)) {
      resume = *b;
    } else {
      errors.push_back("S3_RESUME " + in_quotes(*v) +
                       " is not a yes/no value: set it to true or false (or remove it).");
    }
  }
  if (overrides.state_dir && overrides.resume && !*overrides.resume) {
    errors.push_back(
        "--state-dir and --no-resume cannot be used together: without resuming there is no "
        "journal to keep.");
  }
  const auto dir_src = source(overrides.state_dir, "--state-dir", "S3_STATE_DIR");
  if (dir_src && dir_src->second.empty()) {
    errors.push_back("--state-dir is empty: give the directory for the resume journals.");
  } else if (resume) {
    if (dir_src) {
      std::string dir = dir_src->second;
      const auto home = env.home();
      if (home && dir == "~") {
        s.state_dir = *home;
      } else if (home && dir.starts_with("~/")) {
        s.state_dir = *home / dir.substr(2);
      } else {
        s.state_dir = dir;
      }
    } else if (auto d = transfer::Journal::default_dir(env)) {
      s.state_dir = *d;
    } else {
      s.warnings.push_back(
          "multipart uploads will not be resumable: neither XDG_STATE_HOME nor HOME is set, so "
          "there is no place for their journals; set S3_STATE_DIR or pass --state-dir.");
    }
  }

  if (!errors.empty()) return unexpected(std::move(errors));
  return s;
}

}  // namespace s3up::config
