#include "app/check.hpp"

#include <curl/curl.h>

#include <optional>
#include <random>

namespace s3up::app {

namespace {

using State = CheckStep::State;

// Runs one operation to its end on the client's loop.
template <typename T, typename Start>
s3::S3Result<T> wait_for(s3::Client& c, Start&& start) {
  std::optional<s3::S3Result<T>> out;
  start([&out](s3::S3Result<T> r) { out.emplace(std::move(r)); });
  c.loop().run();
  if (!out) {
    s3::S3Error e;
    e.curl_code = CURLE_ABORTED_BY_CALLBACK;
    e.message = "interrupted";
    return unexpected(std::move(e));
  }
  return std::move(*out);
}

std::string random_hex(size_t bytes) {
  static const char* hex = "0123456789abcdef";
  std::random_device rd;
  std::string s;
  for (size_t i = 0; i < bytes; ++i) {
    unsigned v = rd() & 0xff;
    s += hex[v >> 4];
    s += hex[v & 0xf];
  }
  return s;
}

bool plain_denial(const s3::S3Error& e) {
  if (e.is_transport()) return false;
  if (e.code == "AccessDenied" || e.code == "AllAccessDisabled" || e.code == "Forbidden") {
    return true;
  }
  return e.http_status == 403 && e.code.empty();
}

CheckStep failed(std::string name, const s3::S3Error& e, const std::string& advice,
                 const std::string& consequence = "") {
  std::string detail = e.describe();
  if (!advice.empty()) detail += "; " + advice;
  if (!consequence.empty()) detail += " (" + consequence + ")";
  return {std::move(name), State::kFailed, std::move(detail)};
}

}  // namespace

std::string grant_advice(const s3::S3Error& error, const std::string& action,
                         const std::string& resource) {
  if (!plain_denial(error)) return "";
  return "grant " + action + " on " + resource;
}

std::vector<CheckStep> run_checks(s3::Client& client, const CheckOptions& opts,
                                  const std::string& random_suffix) {
  std::vector<CheckStep> steps;
  const std::string bucket = client.config().bucket;
  const std::string bucket_arn = "arn:aws:s3:::" + bucket;
  const std::string objects_arn = bucket_arn + "/" + opts.prefix + "*";
  const std::string list_name =
      "ListObjectsV2 " + (opts.prefix.empty() ? std::string("(bucket root)") : opts.prefix);
  const std::string key =
      opts.prefix + ".s3upload-check-" + (random_suffix.empty() ? random_hex(8) : random_suffix);
  auto not_tried = [&](const std::string& why) {
    steps.push_back({list_name, State::kNotTried, why});
    if (opts.write_test) {
      steps.push_back({"PutObject " + key, State::kNotTried, why});
      steps.push_back({"DeleteObject " + key, State::kNotTried, why});
    }
  };

  // HeadBucket. Only a plain denial leaves the other checks worth trying: HeadBucket needs
  // s3:ListBucket, and uploads may work without it. Anything else (no such bucket, wrong
  // secret, wrong region, no connection) would fail every later request the same way.
  auto head = wait_for<bool>(client, [&](s3::Callback<bool> cb) { client.head_bucket(cb); });
  if (head) {
    steps.push_back({"HeadBucket", State::kPassed,
                     "the bucket exists and accepts these credentials (region " +
                         client.config().region + ")"});
  } else {
    s3::S3Error e = head.error();
    if (e.http_status == 404 && (e.code.empty() || e.code == "NotFound")) e.code = "NoSuchBucket";
    steps.push_back(failed("HeadBucket", e, grant_advice(e, "s3:ListBucket", bucket_arn)));
    if (!plain_denial(e)) {
      not_tried("not tried: the bucket could not be reached (see HeadBucket)");
      return steps;
    }
  }

  // ListObjectsV2, one key under the prefix.
  auto list = wait_for<s3::ListPage>(client, [&](s3::Callback<s3::ListPage> cb) {
    client.list_objects_v2(opts.prefix, "", cb, "", 1);
  });
  if (list) {
    steps.push_back({list_name, State::kPassed,
                     "listing works (s3:ListBucket), so objects not uploaded yet can be told "
                     "from forbidden ones"});
  } else {
    steps.push_back(failed(list_name, list.error(),
                           grant_advice(list.error(), "s3:ListBucket", bucket_arn),
                           "without it a missing object cannot be told from a forbidden one"));
    if (list.error().is_transport() && client.loop().interrupted()) return steps;
  }

  if (!opts.write_test) return steps;

  // PutObject + DeleteObject of a zero-byte object.
  s3::PutOptions po;
  if (opts.object_options) po.headers = opts.object_options->object_headers();
  auto put = wait_for<s3::PutResult>(
      client, [&](s3::Callback<s3::PutResult> cb) { client.put_object_data(key, "", po, cb); });
  if (!put) {
    steps.push_back(failed("PutObject " + key, put.error(),
                           grant_advice(put.error(), "s3:PutObject", objects_arn)));
    steps.push_back(
        {"DeleteObject " + key, State::kNotTried, "not tried: the test object was not written"});
    return steps;
  }
  steps.push_back(
      {"PutObject " + key, State::kPassed, "a zero-byte test object was written (s3:PutObject)"});
  // The test object must not stay behind, even after Ctrl-C.
  if (client.loop().interrupted()) client.loop().clear_interrupt();
  auto del = wait_for<bool>(client, [&](s3::Callback<bool> cb) { client.delete_object(key, cb); });
  if (del) {
    steps.push_back({"DeleteObject " + key, State::kPassed,
                     "the test object was deleted again (s3:DeleteObject)"});
  } else {
    steps.push_back(failed("DeleteObject " + key, del.error(),
                           grant_advice(del.error(), "s3:DeleteObject", objects_arn),
                           "the test object is still there: delete it by hand"));
  }
  return steps;
}

int print_checks(const std::vector<CheckStep>& steps, bool write_test, const ui::Style& style,
                 std::ostream& out) {
  size_t passed = 0, failed_n = 0, untried = 0;
  for (const auto& s : steps) {
    switch (s.state) {
      case State::kPassed:
        ++passed;
        out << style.green("✓") << " " << s.name << ": " << s.detail << "\n";
        break;
      case State::kFailed:
        ++failed_n;
        out << style.red("✗") << " " << s.name << ": " << s.detail << "\n";
        break;
      case State::kNotTried:
        ++untried;
        out << style.dim("– " + s.name + ": " + s.detail) << "\n";
        break;
    }
  }
  out << "\n";
  if (failed_n == 0 && untried == 0) {
    out << "Summary: all " << passed << " checks passed";
    if (!write_test) out << " (uploads also need s3:PutObject: add --write-test to try it)";
    out << "\n";
    return 0;
  }
  out << "Summary: " << failed_n << " of " << steps.size() << " checks failed";
  if (untried) out << ", " << untried << " not tried";
  out << "\n";
  return 1;
}

int run_check(s3::Client& client, const CheckOptions& opts, const ui::Style& style,
              std::ostream& out) {
  const auto& cfg = client.config();
  out << "🔍 Checking " << style.bold("s3://" + cfg.bucket + "/" + opts.prefix) << " at "
      << cfg.endpoint.scheme << "://" << cfg.endpoint.host << " (region " << cfg.region << ")\n";
  out.flush();
  auto steps = run_checks(client, opts);
  return print_checks(steps, opts.write_test, style, out);
}

}  // namespace s3up::app
