#include "transfer/engine.hpp"

#include <deque>
#include <memory>

#include "integrity/hash.hpp"
#include "util/strings.hpp"

namespace s3up::transfer {

bool is_md5_etag(const std::string& etag) {
  if (etag.size() != 32) return false;
  for (char c : etag) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

namespace {

// One file's journey. Lives until its result is recorded.
struct FileJob {
  size_t index = 0;
  const LocalFile* file = nullptr;
  std::string md5_raw;  // computed at most once
  bool exists = false;  // the key is already in the bucket
};

class Engine {
 public:
  Engine(s3::Client& client, const std::vector<LocalFile>& files, const EngineOptions& opts,
         ProgressSink* progress)
      : client_(client), files_(files), opts_(opts), progress_(progress),
        results_(files.size()) {}

  std::vector<FileResult> run() {
    for (size_t i = 0; i < files_.size(); ++i) {
      if (!files_[i].error.empty()) {
        FileResult r;
        r.error = files_[i].error;
        results_[i] = r;
        done_[i] = true;
        if (progress_) progress_->on_finish(i, r);
        continue;
      }
      pending_.push_back(i);
    }
    pump();
    client_.loop().run();
    // Whatever has no result now was cut short by an interrupt.
    for (size_t i = 0; i < files_.size(); ++i) {
      if (!done_[i]) {
        results_[i].outcome = Outcome::kInterrupted;
        results_[i].error = started_[i] ? "interrupted before it finished; nothing was changed"
                                        : "interrupted before it started";
        if (opts_.mode == Mode::kUpload && started_[i]) {
          results_[i].error = "interrupted before the upload finished; run again to upload it";
        }
      }
    }
    return std::move(results_);
  }

 private:
  void pump() {
    while (active_ < opts_.max_concurrent && !pending_.empty() &&
           !client_.loop().interrupted()) {
      size_t i = pending_.front();
      pending_.pop_front();
      ++active_;
      started_[i] = true;
      auto job = std::make_shared<FileJob>();
      job->index = i;
      job->file = &files_[i];
      if (progress_) progress_->on_start(i, files_[i]);
      check(job);
    }
  }

  void finish(const std::shared_ptr<FileJob>& job, FileResult r) {
    if (client_.loop().interrupted() && r.outcome == Outcome::kFailed) return;  // reported later
    results_[job->index] = std::move(r);
    done_[job->index] = true;
    --active_;
    if (progress_) progress_->on_finish(job->index, results_[job->index]);
    pump();
  }

  void fail(const std::shared_ptr<FileJob>& job, std::string why) {
    FileResult r;
    r.outcome = Outcome::kFailed;
    r.error = std::move(why);
    finish(job, std::move(r));
  }

  // A failure that every later request would repeat (bad credentials, unreachable endpoint):
  // stop starting files and fail the rest with the same sentence instead of hammering.
  static bool is_global(const s3::S3Error& e) {
    static const char* kCodes[] = {"SignatureDoesNotMatch", "InvalidAccessKeyId", "ExpiredToken",
                                   "InvalidToken", "NoSuchBucket", "PermanentRedirect",
                                   "AuthorizationHeaderMalformed"};
    for (const char* c : kCodes) {
      if (e.code == c) return true;
    }
    return e.curl_code == 6 /*CURLE_COULDNT_RESOLVE_HOST*/ || e.curl_code == 7 /*COULDNT_CONNECT*/;
  }

  void fail_s3(const std::shared_ptr<FileJob>& job, const std::string& what,
               const s3::S3Error& e) {
    if (is_global(e) && stop_reason_.empty()) {
      stop_reason_ = e.describe();
      while (!pending_.empty()) {
        size_t i = pending_.front();
        pending_.pop_front();
        FileResult r;
        r.error = "not attempted: " + stop_reason_;
        results_[i] = r;
        done_[i] = true;
        if (progress_) progress_->on_finish(i, r);
      }
    }
    fail(job, what + e.describe());
  }

  bool ensure_md5(const std::shared_ptr<FileJob>& job) {
    if (!job->md5_raw.empty()) return true;
    auto h = integrity::hash_file_raw(job->file->path, integrity::HashAlgo::kMd5);
    if (!h) {
      fail(job, h.error());
      return false;
    }
    job->md5_raw = *h;
    return true;
  }

  void check(const std::shared_ptr<FileJob>& job) {
    client_.head_object(job->file->key, [this, job](s3::S3Result<s3::ObjectInfo> res) {
      if (!res) {
        if (res.error().is_not_found()) {
          job->exists = false;
          on_compared(job, /*identical=*/false, "");
        } else {
          fail_s3(job, "could not check whether it is already in the bucket: ", res.error());
        }
        return;
      }
      job->exists = true;
      const s3::ObjectInfo& info = *res;
      if (opts_.mode == Mode::kUrlOnly) {
        on_compared(job, true, "");
        return;
      }
      if (info.size != job->file->size) {
        on_compared(job, false, "");
        return;
      }
      if (is_md5_etag(info.etag)) {
        if (!ensure_md5(job)) return;
        bool same = iequals(hex_encode(job->md5_raw), info.etag);
        on_compared(job, same, "");
        return;
      }
      // A multipart (or encrypted) object: its ETag is not an MD5 of the content. Until
      // content checksums can be compared, same size counts as identical, and we say so.
      on_compared(job, true, "same size; content not compared (multipart or encrypted object)");
    });
  }

  void on_compared(const std::shared_ptr<FileJob>& job, bool identical, std::string note) {
    FileResult r;
    r.note = std::move(note);
    switch (opts_.mode) {
      case Mode::kUrlOnly:
        if (!job->exists) {
          r.outcome = Outcome::kNotFound;
          finish(job, std::move(r));
          return;
        }
        r.outcome = Outcome::kFound;
        presign_and_finish(job, std::move(r));
        return;
      case Mode::kDryRun:
        r.outcome = !job->exists ? Outcome::kWouldUpload
                    : identical  ? Outcome::kWouldSkip
                                 : Outcome::kWouldUpdate;
        finish(job, std::move(r));
        return;
      case Mode::kUpload:
        if (job->exists && identical) {
          r.outcome = Outcome::kSkipped;
          presign_and_finish(job, std::move(r));
          return;
        }
        upload(job);
        return;
    }
  }

  void upload(const std::shared_ptr<FileJob>& job) {
    // Content-MD5 makes the server verify every byte it stores.
    if (!ensure_md5(job)) return;
    s3::PutOptions po;
    po.content_md5 = base64_encode(job->md5_raw);
    size_t index = job->index;
    client_.put_object_file(
        job->file->key, job->file->path.string(), job->file->size, po,
        [this, index](uint64_t delta) {
          if (progress_) progress_->on_bytes(index, delta);
        },
        [this, job](s3::S3Result<s3::PutResult> res) {
          if (!res) {
            fail_s3(job, "upload failed: ", res.error());
            return;
          }
          std::string want = hex_encode(job->md5_raw);
          if (is_md5_etag(res->etag) && !iequals(res->etag, want)) {
            fail(job, "the server stored different bytes than were sent (ETag " + res->etag +
                          ", expected " + want + "): upload it again");
            return;
          }
          FileResult r;
          r.outcome = job->exists ? Outcome::kUpdated : Outcome::kUploaded;
          presign_and_finish(job, std::move(r));
        });
  }

  void presign_and_finish(const std::shared_ptr<FileJob>& job, FileResult r) {
    r.url = client_.presign_get(job->file->key, opts_.url_expiry);
    finish(job, std::move(r));
  }

  s3::Client& client_;
  const std::vector<LocalFile>& files_;
  EngineOptions opts_;
  ProgressSink* progress_;
  std::vector<FileResult> results_;
  std::vector<bool> done_ = std::vector<bool>(files_.size(), false);
  std::vector<bool> started_ = std::vector<bool>(files_.size(), false);
  std::deque<size_t> pending_;
  int active_ = 0;
  std::string stop_reason_;  // set once a global failure stopped new work
};

}  // namespace

std::vector<FileResult> run_transfers(s3::Client& client, const std::vector<LocalFile>& files,
                                      const EngineOptions& opts, ProgressSink* progress) {
  Engine engine(client, files, opts, progress);
  return engine.run();
}

}  // namespace s3up::transfer
