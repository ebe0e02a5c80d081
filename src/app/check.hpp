// --check: a preflight of the bucket and the permissions an upload needs, instead of uploading.
//   HeadBucket                 the bucket exists, answers, and the credentials and region are right
//   ListObjectsV2 (1 key)      s3:ListBucket under the prefix: without it S3 answers 403 for a
//                              missing object, so "absent" cannot be told from "forbidden"
//   PutObject + DeleteObject   only with --write-test: a zero-byte .s3upload-check-<random>
//                              under the prefix (s3:PutObject, s3:DeleteObject)
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "s3/client.hpp"
#include "s3/object_options.hpp"
#include "ui/format.hpp"

namespace s3up::app {

struct CheckOptions {
  std::string prefix;  // the target path with its trailing '/', or "" for the bucket's root
  bool write_test = false;
  // Headers uploads would send (encryption, ACL, storage class, tags, metadata): the write test
  // sends them too, so a bucket policy that demands them is honoured. null = none.
  const s3::ObjectOptions* object_options = nullptr;
};

struct CheckStep {
  enum class State { kPassed, kFailed, kNotTried };
  std::string name;  // e.g. "HeadBucket", "ListObjectsV2 uploads/"
  State state = State::kNotTried;
  std::string detail;  // what passing showed, or why it failed and what to grant
};

// Runs the checks one after the other on the client's loop (blocking). `random_suffix` names
// the write test's object; "" = a random one.
std::vector<CheckStep> run_checks(s3::Client& client, const CheckOptions& opts,
                                  const std::string& random_suffix = "");

// One line per step (✓ / ✗ / –), then a summary line. Returns the exit status: 0 when every
// check that was tried passed and none was left untried, else 1.
int print_checks(const std::vector<CheckStep>& steps, bool write_test, const ui::Style& style,
                 std::ostream& out);

// What to grant when `error` is a plain access denial for `action` on `resource`; "" when the
// failure is something else (wrong secret, missing bucket, network...).
std::string grant_advice(const s3::S3Error& error, const std::string& action,
                         const std::string& resource);

// --check: prints the target, runs the checks and prints them. Returns the exit status.
int run_check(s3::Client& client, const CheckOptions& opts, const ui::Style& style,
              std::ostream& out);

}  // namespace s3up::app
