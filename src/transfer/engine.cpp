#include "transfer/engine.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <ctime>
#include <deque>
#include <map>
#include <memory>
#include <thread>

#include "integrity/etag.hpp"
#include "integrity/hash.hpp"
#include "transfer/digests.hpp"
#include "transfer/journal.hpp"
#include "transfer/negotiator.hpp"
#include "transfer/worker_pool.hpp"
#include "util/strings.hpp"

namespace s3up::transfer {

std::string_view compare_mode_name(CompareMode m) {
  switch (m) {
    case CompareMode::kSize:
      return "size";
    case CompareMode::kEtag:
      return "etag";
    case CompareMode::kChecksum:
      return "checksum";
  }
  return "etag";
}

std::optional<CompareMode> parse_compare_mode(std::string_view s) {
  for (CompareMode m : {CompareMode::kSize, CompareMode::kEtag, CompareMode::kChecksum}) {
    if (iequals(trim(s), compare_mode_name(m))) return m;
  }
  return std::nullopt;
}

bool is_md5_etag(const std::string& etag) {
  if (etag.size() != 32) return false;
  return std::all_of(etag.begin(), etag.end(),
                     [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; });
}

std::vector<uint64_t> candidate_part_sizes(uint64_t size, unsigned parts, uint64_t ours) {
  std::vector<uint64_t> out;
  const uint64_t common[] = {ours,      8 * kMiB,  5 * kMiB,  10 * kMiB,  16 * kMiB,
                             15 * kMiB, 32 * kMiB, 64 * kMiB, 100 * kMiB, 128 * kMiB};
  for (uint64_t c : common) {
    auto plan = plan_parts(size, c);
    if (!plan || plan->part_count != parts) continue;
    if (std::find(out.begin(), out.end(), plan->part_size) == out.end()) {
      out.push_back(plan->part_size);
    }
  }
  return out;
}

namespace {
using Clock = std::chrono::steady_clock;
using integrity::ChecksumAlgo;
using Transport = integrity::ChecksumTransport;

struct Part {
  uint64_t offset = 0, size = 0;
  std::string md5_raw;       // when computed (Content-MD5, probe, ETag comparison)
  std::string checksum_raw;  // of the run's checksum algorithm, when known
  std::string sha256_raw;    // payload hash, when that is the transport
  std::string etag;
  std::string checksum_b64;  // what Complete lists for this part ("" = none)
  int verify_failures = 0;
  bool done = false;
};

// One file's journey. Lives (shared) until its result is recorded and nothing refers to it.
struct Job {
  size_t index = 0;
  const LocalFile* file = nullptr;
  bool exists = false;
  FileDigests digests;  // whole-file digests computed (or cached) so far, by kind
  int verify_failures = 0;
  // Multipart state.
  PartPlan plan;
  std::string upload_id;
  ChecksumAlgo create_algo = ChecksumAlgo::kNone;  // declared by CreateMultipartUpload
  std::vector<Part> parts;
  size_t parts_done = 0;
  int parts_in_flight = 0;
  bool failed = false;  // a part failed: stop sending, abort, report
  std::string failure;
  bool finished = false;
  std::string options_diff;  // why the remote object's metadata/headers differ from what we set
  std::optional<integrity::FileIdentity> identity;  // at the start of a multipart upload
  uint64_t progress_sent = 0;  // bytes reported to the progress sink (capped at the size)
  // Resume.
  std::filesystem::path journal_path;  // "" = not journaled
  std::optional<Journal> journal;      // open (and locked) while the upload is ours
  size_t resumed_parts = 0;            // parts the server already had
  uint64_t resumed_bytes = 0;
  std::string resume_note;         // what happened to an earlier interrupted upload
  bool failure_resumable = false;  // the failure was transient: keep the upload
};
using JobPtr = std::shared_ptr<Job>;

std::string iso8601_now() {
  const auto t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// What one data request is sent with, decided just before sending.
struct Wire {
  Transport transport = Transport::kNone;
  bool probe = false;
};

class Engine {
 public:
  Engine(s3::Client& client, const EngineOptions& opts, ProgressSink* progress, EngineStats* stats)
      : client_(client),
        loop_(client.loop()),
        opts_(opts),
        progress_(progress),
        stats_(stats ? stats : &own_stats_),
        pool_(std::max(1u, opts.hash_threads)),
        alive_(std::make_shared<std::atomic<bool>>(true)),
        neg_(opts.checksum_algo, opts.checksum_transport, integrity::sha256_is_fast()) {
    // A listing has sizes and ETags but no metadata: when the user asked for metadata or
    // headers, each object must be looked at to know whether it carries them.
    if (opts_.object_options && opts_.object_options->compare_needs_head()) {
      opts_.use_listing = false;
    }
    // --compare checksum reads each object's stored digest: a HEAD per object.
    if (opts_.compare == CompareMode::kChecksum) opts_.use_listing = false;
  }

  ~Engine() {
    stop_feed();
    alive_->store(false);
    size_t dropped = pool_.cancel_pending();
    for (size_t i = 0; i < dropped; ++i) loop_.release();
  }

  TransferOutput run(FileFeed feed) {
    if (opts_.use_listing) start_listing();
    start_feed(std::move(feed));
    loop_.run();
    stop_feed();
    if (loop_.interrupted()) clean_up_after_interrupt();
    for (size_t i = 0; i < files_.size(); ++i) {
      if (done_[i]) continue;
      results_[i].outcome = Outcome::kInterrupted;
      results_[i].error = !started_[i] ? "interrupted before it started"
                          : opts_.mode == Mode::kUpload
                              ? "interrupted before the upload finished; run again to upload it"
                              : "interrupted before it finished; nothing was changed";
      if (!results_[i].note.empty()) results_[i].error += " (" + results_[i].note + ")";
    }
    // Sorted by display path, as people read it.
    std::vector<size_t> order(files_.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(),
                     [this](size_t a, size_t b) { return files_[a].display < files_[b].display; });
    TransferOutput out;
    if (sent_data_) out.integrity = neg_.describe();
    for (size_t i : order) {
      out.files.push_back(files_[i]);
      out.results.push_back(std::move(results_[i]));
    }
    return out;
  }

 private:
  // ---- the feed: files arrive from a walking thread in batches ----

  void start_feed(FileFeed feed) {
    loop_.hold();  // released when the walk has ended
    http::EventLoop* loop = &loop_;
    feed_ = std::thread([this, loop, alive = alive_, feed = std::move(feed)] {
      std::vector<LocalFile> batch;
      size_t sent = 0;
      auto last = std::chrono::steady_clock::now();
      auto flush = [&] {
        if (batch.empty()) return;
        sent += batch.size();
        last = std::chrono::steady_clock::now();
        loop->post([this, alive, b = std::move(batch)]() mutable {
          if (alive->load()) add_files(std::move(b));
        });
        batch.clear();
      };
      feed([&](LocalFile f) {
        if (stop_feed_.load()) return false;
        batch.push_back(std::move(f));
        // The first files go at once, so work starts right away; then in batches of 64, or
        // every few milliseconds while a slow directory trickles.
        if (sent < 16 || batch.size() >= 64 ||
            std::chrono::steady_clock::now() - last > std::chrono::milliseconds(5)) {
          flush();
        }
        return true;
      });
      flush();
      loop->post([loop] { loop->release(); });
    });
  }

  void stop_feed() {
    stop_feed_.store(true);
    if (feed_.joinable()) feed_.join();
  }

  void add_files(std::vector<LocalFile> batch) {
    for (auto& f : batch) {
      size_t i = files_.size();
      if (f.error.empty()) {
        auto [it, inserted] = keys_.emplace(f.key, i);
        if (!inserted) mark_duplicate_key(f, files_[it->second]);
      }
      files_.push_back(std::move(f));
      results_.emplace_back();
      done_.push_back(false);
      started_.push_back(false);
      if (progress_) progress_->on_discovered(i, files_[i]);
      if (!files_[i].error.empty()) {
        FileResult r;
        r.error = files_[i].error;
        record(i, std::move(r));
      } else if (stopping_) {
        // Found before Ctrl-C but not started: reported as interrupted.
      } else if (!stop_reason_.empty()) {
        FileResult r;
        r.error = "not attempted: " + stop_reason_;
        record(i, std::move(r));
      } else {
        pending_.push_back(i);
      }
    }
    pump_files();
  }

  // ---- listing: one paginated ListObjectsV2 instead of a HEAD per file ----

  void start_listing() {
    listing_ = true;
    list_prefix_ = opts_.list_prefix;
    list_page("");
  }

  void list_page(const std::string& token) {
    ++stats_->list_requests;
    client_.list_objects_v2(
        list_prefix_, token, [this, alive = alive_](s3::S3Result<s3::ListPage> page) {
          if (!alive->load()) return;
          if (!page) {
            // Listing may be denied (or, on some servers, mis-verified) while HEAD works: fall
            // back to HEADs, which stop early by themselves if the failure is global. Only an
            // unreachable endpoint ends everything here.
            if (page.error().is_transport() && is_global(page.error())) {
              stop_reason_ = page.error().describe();
              listing_ = false;
              while (!pending_.empty()) {
                size_t i = pending_.front();
                pending_.pop_front();
                started_[i] = true;
                FileResult r;
                r.error = "could not check whether it is already in the bucket: " + stop_reason_;
                record(i, std::move(r));
              }
              return;
            }
            spdlog::debug("listing s3 prefix '{}' failed ({}); checking files one by one",
                          list_prefix_, page.error().describe());
            listing_ = false;
            listed_.clear();
            pump_files();
            return;
          }
          for (auto& o : page->objects) listed_.emplace(o.key, std::move(o));
          if (page->truncated && !page->next_continuation_token.empty()) {
            // A prefix holding far more objects than we have files is cheaper to HEAD.
            if (listed_.size() > std::max<size_t>(10000, 20 * files_.size())) {
              spdlog::debug(
                  "prefix '{}' holds far more objects than there are files; checking "
                  "files one by one",
                  list_prefix_);
              listing_ = false;
              listed_.clear();
              pump_files();
              return;
            }
            list_page(page->next_continuation_token);
            return;
          }
          listing_ = false;
          listing_complete_ = true;
          spdlog::debug("listed {} object(s) under '{}' in {} request(s)", listed_.size(),
                        list_prefix_, stats_->list_requests);
          pump_files();
        });
  }

  // ---- files ----

  void pump_files() {
    if (listing_ || stopping_) return;
    while (active_files_ < opts_.max_concurrent && !pending_.empty() && !loop_.interrupted()) {
      size_t i = pending_.front();
      pending_.pop_front();
      ++active_files_;
      started_[i] = true;
      auto job = std::make_shared<Job>();
      job->index = i;
      job->file = &files_[i];
      if (progress_) progress_->on_start(i, files_[i]);
      check(job);
    }
  }

  void record(size_t i, FileResult r) {
    results_[i] = std::move(r);
    done_[i] = true;
    if (progress_) progress_->on_finish(i, results_[i]);
  }

  void finish(const JobPtr& job, FileResult r) {
    if (job->finished) return;
    if (loop_.interrupted() && r.outcome == Outcome::kFailed) {
      results_[job->index].note = r.error;  // reported as interrupted, with the reason
      return;
    }
    job->finished = true;
    record(job->index, std::move(r));
    --active_files_;
    pump_files();
  }

  void fail(const JobPtr& job, std::string why) {
    FileResult r;
    r.outcome = Outcome::kFailed;
    r.error = std::move(why);
    finish(job, std::move(r));
  }

  // A failure that every later request would repeat (bad credentials, unreachable endpoint,
  // missing bucket): stop starting files and fail the rest with the same sentence.
  static bool is_global(const s3::S3Error& e) {
    static const char* kCodes[] = {"SignatureDoesNotMatch",
                                   "InvalidAccessKeyId",
                                   "ExpiredToken",
                                   "InvalidToken",
                                   "NoSuchBucket",
                                   "PermanentRedirect",
                                   "AuthorizationHeaderMalformed"};
    for (const char* c : kCodes) {
      if (e.code == c) return true;
    }
    return e.curl_code == 6 /*CURLE_COULDNT_RESOLVE_HOST*/ || e.curl_code == 7 /*COULDNT_CONNECT*/;
  }

  void fail_s3(const JobPtr& job, const std::string& what, const s3::S3Error& e) {
    if (is_global(e) && stop_reason_.empty()) {
      stop_reason_ = e.describe();
      while (!pending_.empty()) {
        size_t i = pending_.front();
        pending_.pop_front();
        FileResult r;
        r.error = "not attempted: " + stop_reason_;
        record(i, std::move(r));
      }
    }
    fail(job, what + e.describe());
  }

  // ---- digests (worker threads) ----

  // Whole-file digests of `kinds` on a worker thread (or from the cache); continues on the
  // loop thread with job->digests filled in.
  void digests_async(const JobPtr& job, std::vector<std::string> kinds,
                     std::function<void()> then) {
    std::vector<std::string> missing;
    for (auto& k : kinds) {
      if (!k.empty() && !job->digests.raw.count(k)) missing.push_back(k);
    }
    if (missing.empty()) return then();
    loop_.hold();
    std::string path = job->file->path.string();
    uint64_t size = job->file->size;
    http::EventLoop* loop = &loop_;  // outlives the engine; `this` may not when this runs
    pool_.submit([this, loop, alive = alive_, job, path, size, missing, cache = opts_.hash_cache,
                  stats = stats_, then = std::move(then)]() mutable {
      FileDigests d = whole_file_digests(path, size, missing, cache, job->digests);
      loop->post(
          [this, loop, alive, job, stats, d = std::move(d), then = std::move(then)]() mutable {
            loop->release();
            if (!alive->load() || loop->interrupted()) return;
            ++(d.hashed ? stats->files_hashed : stats->digests_from_cache);
            if (!d.error.empty()) return fail(job, d.error);
            job->digests = std::move(d);
            then();
          });
    });
  }

  // The MD5 of each part with `part_size` (multipart ETag comparison).
  void part_md5s_async(const JobPtr& job, uint64_t part_size, std::function<void(PartMd5s)> then) {
    loop_.hold();
    std::string path = job->file->path.string();
    uint64_t size = job->file->size;
    http::EventLoop* loop = &loop_;
    pool_.submit([loop, alive = alive_, path, size, part_size, cache = opts_.hash_cache,
                  stats = stats_, then = std::move(then)]() mutable {
      PartMd5s d = part_md5s(path, size, part_size, cache);
      loop->post([loop, alive, stats, d = std::move(d), then = std::move(then)]() mutable {
        loop->release();
        if (!alive->load() || loop->interrupted()) return;
        ++(d.from_cache ? stats->digests_from_cache : stats->files_hashed);
        then(std::move(d));
      });
    });
  }

  // ---- is it already there? ----

  void check(const JobPtr& job) {
    if (listing_complete_) {
      auto it = listed_.find(job->file->key);
      if (it == listed_.end()) {
        on_missing(job);
      } else {
        s3::ObjectInfo info;
        info.size = it->second.size;
        info.etag = it->second.etag;
        on_present(job, info, /*from_head=*/false);
      }
      return;
    }
    head_then_present(job);
  }

  void head_then_present(const JobPtr& job) {
    ++stats_->head_requests;
    client_.head_object(
        job->file->key, [this, job, alive = alive_](s3::S3Result<s3::ObjectInfo> res) {
          if (!alive->load()) return;
          if (res) {
            on_present(job, *res, /*from_head=*/true);
          } else if (res.error().is_not_found()) {
            on_missing(job);
          } else {
            fail_s3(job, "could not check whether it is already in the bucket: ", res.error());
          }
        });
  }

  void on_missing(const JobPtr& job) {
    job->exists = false;
    decide(job, false, "");
  }

  std::string content_type_for(const JobPtr& job) const {
    if (opts_.object_options && opts_.object_options->content_type) {
      return *opts_.object_options->content_type;
    }
    if (opts_.content_types) return opts_.content_types->for_path(job->file->path);
    return std::string(s3::kDefaultContentType);
  }

  // Whether ETags of what we upload are MD5s of the content (not with SSE-KMS / SSE-C).
  bool etags_are_md5() const {
    return !opts_.object_options || opts_.object_options->etag_is_md5();
  }

  // The kind of whole-file digest stored in metadata ("blake3", "sha256", "" = none).
  std::string meta_kind() const {
    switch (opts_.metadata_digest) {
      case integrity::MetadataDigest::kBlake3:
        return "blake3";
      case integrity::MetadataDigest::kSha256:
        return "sha256";
      default:
        return "";
    }
  }

  // A whole-content digest the object carries that we can compute locally: our metadata
  // digest (hex), else a native full-object checksum (base64).
  struct StoredDigest {
    std::string kind, expected;
    bool hex = true;
    bool matches(const std::string& raw) const {
      return hex ? iequals(hex_encode(raw), expected) : base64_encode(raw) == expected;
    }
  };
  static std::optional<StoredDigest> stored_digest(const s3::ObjectInfo& info) {
    for (const char* kind : {"blake3", "sha256"}) {
      auto it = info.metadata.find(std::string("s3upload-") + kind);
      if (it == info.metadata.end()) continue;
      std::string v = trim(it->second);
      if (v.size() == 64 && !hex_decode(v).empty()) return StoredDigest{kind, v, true};
    }
    // A native checksum covers the whole content when it is FULL_OBJECT, or for any
    // single-part object; a COMPOSITE one depends on the part layout.
    const bool single = integrity::etag_part_count(info.etag) == 0;
    if (iequals(info.checksum_type, "COMPOSITE")) return std::nullopt;
    if (!single && !iequals(info.checksum_type, "FULL_OBJECT")) return std::nullopt;
    for (const char* kind : {"crc64nvme", "crc32c", "crc32", "sha256", "sha1"}) {
      auto it = info.checksums.find(kind);
      auto algo = integrity::parse_checksum_algo(kind);
      if (it == info.checksums.end() || !algo) continue;
      if (it->second.size() != integrity::checksum_base64_length(*algo)) continue;
      return StoredDigest{kind, it->second, false};
    }
    return std::nullopt;
  }

  void on_present(const JobPtr& job, const s3::ObjectInfo& info, bool from_head) {
    job->exists = true;
    if (opts_.mode == Mode::kUrlOnly) return decide(job, true, "");
    const uint64_t size = info.size;
    const std::string etag = info.etag;
    if (opts_.object_options && from_head) {
      s3::RemoteObject remote;
      remote.metadata = info.metadata;
      remote.content_type = info.content_type;
      remote.storage_class = info.storage_class;
      for (const auto& [name, field] :
           {std::pair{"cache-control", &remote.cache_control},
            std::pair{"content-disposition", &remote.content_disposition},
            std::pair{"content-encoding", &remote.content_encoding},
            std::pair{"expires", &remote.expires}}) {
        auto it = info.headers.find(name);
        *field = it == info.headers.end() ? "" : it->second;
      }
      job->options_diff = opts_.object_options->differs_from(remote);
    }
    if (size != job->file->size) return decide(job, false, "");
    if (opts_.compare == CompareMode::kSize) {
      return decide(job, true, "same size; content not compared (--compare size)");
    }
    const bool multipart_etag = integrity::etag_part_count(etag) > 0;
    const bool md5_etag =
        is_md5_etag(etag) && etags_are_md5() && (!from_head || info.etag_is_md5());
    // The strongest evidence, independent of part size and encryption: a stored digest.
    if (from_head) {
      if (auto stored = stored_digest(info)) {
        return digests_async(job, {stored->kind}, [this, job, stored = *stored] {
          decide(job, stored.matches(job->digests.raw[stored.kind]), "");
        });
      }
    } else if (multipart_etag || !is_md5_etag(etag)) {
      // A listing has no metadata: look at the object for a stored digest first.
      return head_then_present(job);
    }
    if (md5_etag) {
      // Single-part object: its ETag is the MD5 of its bytes (unless KMS encrypted it).
      return digests_async(job, {"md5"}, [this, job, etag, from_head] {
        if (iequals(hex_encode(job->digests.raw["md5"]), etag)) return decide(job, true, "");
        if (from_head) return decide(job, false, "");
        // A listing does not say whether the bucket encrypts with KMS by default (then the
        // ETag is no MD5): look before re-uploading.
        check_encrypted_mismatch(job);
      });
    }
    if (!etags_are_md5() || (from_head && !info.etag_is_md5())) {
      return decide(job, true,
                    "same size; content not compared (encrypted object without a stored "
                    "checksum: its ETag is not an MD5)");
    }
    unsigned parts = integrity::etag_part_count(etag);
    std::vector<uint64_t> sizes =
        parts ? candidate_part_sizes(size, parts, opts_.part_size) : std::vector<uint64_t>{};
    if (sizes.empty()) {
      // Not an MD5 and no part size fits (unknown layout).
      return decide(job, true, "same size; content not compared (ETag is not an MD5)");
    }
    compare_multipart(job, etag, std::move(sizes), 0);
  }

  void check_encrypted_mismatch(const JobPtr& job) {
    ++stats_->head_requests;
    client_.head_object(job->file->key, [this, job,
                                         alive = alive_](s3::S3Result<s3::ObjectInfo> res) {
      if (!alive->load()) return;
      if (!res) {
        if (res.error().is_not_found()) return on_missing(job);
        return fail_s3(job, "could not check whether it is already in the bucket: ", res.error());
      }
      if (res->size == job->file->size && !res->etag_is_md5()) {
        return on_present(job, *res, /*from_head=*/true);
      }
      decide(job, false, "");
    });
  }

  // Recomputes the multipart ETag with each plausible part size until one matches.
  void compare_multipart(const JobPtr& job, const std::string& etag, std::vector<uint64_t> sizes,
                         size_t k) {
    if (k >= sizes.size()) return decide(job, false, "");
    uint64_t part_size = sizes[k];
    part_md5s_async(job, part_size,
                    [this, job, etag, sizes = std::move(sizes), k, part_size](PartMd5s d) {
                      if (!d.error.empty()) return fail(job, d.error);
                      if (iequals(integrity::multipart_etag(d.raw), etag)) {
                        return decide(job, true, "");
                      }
                      if (part_size == upload_part_size(job)) keep_part_md5s(job, d);
                      compare_multipart(job, etag, sizes, k + 1);
                    });
  }

  // The part size this file would be uploaded with (0: single PUT).
  uint64_t upload_part_size(const JobPtr& job) const {
    if (!use_multipart(job->file->size, opts_.multipart_threshold)) return 0;
    auto plan = plan_parts(job->file->size, opts_.part_size);
    return plan ? plan->part_size : 0;
  }

  void keep_part_md5s(const JobPtr& job, const PartMd5s& d) {
    if (d.raw.empty()) return;
    auto plan = plan_parts(job->file->size, opts_.part_size);
    if (!plan || plan->part_count != d.raw.size()) return;
    job->parts.resize(d.raw.size());
    for (size_t i = 0; i < d.raw.size(); ++i) job->parts[i].md5_raw = d.raw[i];
  }

  void decide(const JobPtr& job, bool identical, std::string note) {
    FileResult r;
    r.note = std::move(note);
    if (identical && !job->options_diff.empty()) {
      // Same bytes, but not what the user asked the object to carry: write it again.
      identical = false;
      r.note = job->options_diff;
    }
    switch (opts_.mode) {
      case Mode::kUrlOnly:
        if (!job->exists) {
          r.outcome = Outcome::kNotFound;
          return finish(job, std::move(r));
        }
        r.outcome = Outcome::kFound;
        return presign_and_finish(job, std::move(r));
      case Mode::kDryRun:
        r.outcome = !job->exists ? Outcome::kWouldUpload
                    : identical  ? Outcome::kWouldSkip
                                 : Outcome::kWouldUpdate;
        if (r.outcome != Outcome::kWouldSkip && opts_.object_options) {
          std::string what = opts_.object_options->describe(content_type_for(job));
          r.note = r.note.empty() ? what : r.note + "; " + what;
        }
        return finish(job, std::move(r));
      case Mode::kUpload:
        if (job->exists && identical) {
          r.outcome = Outcome::kSkipped;
          return presign_and_finish(job, std::move(r));
        }
        if (job->exists && opts_.confirm_overwrite && !quit_) {
          const std::string why =
              r.note.empty() ? "exists in the bucket with different content" : r.note;
          switch (opts_.confirm_overwrite(*job->file, why)) {
            case OverwriteDecision::kOverwrite:
              break;
            case OverwriteDecision::kKeep:
              r.outcome = Outcome::kSkipped;
              r.note = "kept the object in the bucket (not overwritten, as you chose)";
              return presign_and_finish(job, std::move(r));
            case OverwriteDecision::kQuit:
              quit_ = true;
              stop_reason_ = "you chose to quit";
              while (!pending_.empty()) {
                size_t i = pending_.front();
                pending_.pop_front();
                FileResult q;
                q.error = "not attempted: you chose to quit";
                record(i, std::move(q));
              }
              return fail(job, "not uploaded: you chose to quit");
          }
        }
        if (job->exists && quit_) return fail(job, "not uploaded: you chose to quit");
        if (use_multipart(job->file->size, opts_.multipart_threshold)) return start_multipart(job);
        return start_put(job);
    }
  }

  // ---- what every new object carries ----

  s3::PutOptions put_options(const JobPtr& job) const {
    s3::PutOptions po;
    po.content_type = content_type_for(job);
    if (opts_.object_options) {
      po.content_type = opts_.object_options->content_type_for(po.content_type);
      po.headers = opts_.object_options->object_headers();
    }
    // The whole-file digest, so a later run can compare without knowing part sizes.
    if (std::string kind = meta_kind(); !kind.empty()) {
      auto it = job->digests.raw.find(kind);
      if (it != job->digests.raw.end()) po.metadata["s3upload-" + kind] = hex_encode(it->second);
      if (!opts_.tool_version.empty()) po.metadata["s3upload-tool"] = opts_.tool_version;
      po.metadata["s3upload-uploaded"] = iso8601_now();
    }
    return po;
  }

  // ---- integrity of data requests ----

  // Runs `send` now, or once the integrity probe in flight has settled the transport.
  void when_wire_ready(std::function<void(Wire)> send) {
    if (!neg_.may_send()) {
      waiters_.push_back(std::move(send));
      return;
    }
    Wire w;
    w.transport = neg_.current();
    w.probe = neg_.begin();
    sent_data_ = true;
    send(w);
  }

  void wake_waiters() {
    while (neg_.may_send() && !waiters_.empty() && !loop_.interrupted()) {
      auto send = std::move(waiters_.front());
      waiters_.pop_front();
      when_wire_ready(std::move(send));
    }
  }

  std::string algo_kind() const { return std::string(integrity::algo_name(neg_.algo())); }

  // Digest kinds a request body needs before it can be sent with this wire.
  std::vector<std::string> kinds_for(const Wire& w) const {
    switch (w.transport) {
      case Transport::kHeader:
        return w.probe ? std::vector<std::string>{algo_kind(), "md5"}
                       : std::vector<std::string>{algo_kind()};
      case Transport::kContentMd5:
        return {"md5"};
      case Transport::kPayloadHash:
        return {"sha256"};
      default:
        return {};
    }
  }

  // stream_md5: compute the MD5 while a trailer body streams (single PUTs: the ETag check and
  // the next run's comparison need it; parts only for the probe).
  static s3::BodyChecksum body_checksum(const Wire& w, ChecksumAlgo algo,
                                        const std::map<std::string, std::string>& raw,
                                        bool stream_md5 = false) {
    s3::BodyChecksum c;
    c.transport = w.transport;
    c.algo = algo;
    auto get = [&raw](const std::string& k) {
      auto it = raw.find(k);
      return it == raw.end() ? std::string() : it->second;
    };
    if (w.transport == Transport::kTrailer) c.also_md5 = stream_md5 || w.probe;
    c.expect_continue = w.probe;
    if (w.transport == Transport::kHeader) {
      c.checksum_b64 = base64_encode(get(std::string(integrity::algo_name(algo))));
    }
    if (std::string md5 = get("md5");
        !md5.empty() &&
        (w.transport == Transport::kContentMd5 || (w.transport == Transport::kHeader && w.probe))) {
      c.md5_b64 = base64_encode(md5);
    }
    if (w.transport == Transport::kPayloadHash) c.sha256_hex = hex_encode(get("sha256"));
    return c;
  }

  // Evidence that the server handled the mechanism (see Negotiator).
  static bool evidence(const Wire& w, const std::string& echoed_b64, const std::string& ours_raw,
                       const std::string& etag, bool etag_is_md5, const std::string& streamed_md5) {
    if (w.transport != Transport::kTrailer && w.transport != Transport::kHeader) return true;
    if (!echoed_b64.empty() && !ours_raw.empty() && echoed_b64 == base64_encode(ours_raw)) {
      return true;
    }
    return w.transport == Transport::kTrailer && !streamed_md5.empty() && etag_is_md5 &&
           is_md5_etag(etag) && iequals(etag, hex_encode(streamed_md5));
  }

  void progress_bytes(const JobPtr& job, uint64_t delta) {
    // aws-chunked framing adds a few bytes: never report more than the file holds.
    const uint64_t room = job->file->size - std::min(job->file->size, job->progress_sent);
    delta = std::min(delta, room);
    job->progress_sent += delta;
    if (delta && progress_) progress_->on_bytes(job->index, delta);
  }

  void acked(const JobPtr& job, uint64_t bytes) {
    if (progress_ && bytes) progress_->on_acked(job->index, bytes);
  }

  // ---- single PUT ----

  void start_put(const JobPtr& job) {
    when_wire_ready([this, job](Wire w) { send_put(job, w); });
  }

  // Every mechanism was refused: never fall back to sending bytes nobody checks.
  bool refuse_unchecked(const JobPtr& job, const Wire& w) {
    if (w.transport != Transport::kNone || neg_.algo() == ChecksumAlgo::kNone) return false;
    fail(job, "not uploaded: " + neg_.describe() +
                  "; to upload without an integrity check, pass --checksum-algorithm none");
    return true;
  }

  void send_put(const JobPtr& job, Wire w) {
    if (refuse_unchecked(job, w)) return;
    // The metadata digest goes in the request's headers, so it is known before the body is
    // sent; it is computed in the same read as what the transport needs up front.
    auto kinds = kinds_for(w);
    kinds.push_back(meta_kind());
    // The MD5 too, in the same read: the server's ETag is checked against it now, and the next
    // run compares the listing's ETag with it from the cache instead of reading the file again.
    if (w.transport != Transport::kTrailer) kinds.push_back("md5");
    bool missing = false;
    for (auto& k : kinds) missing = missing || (!k.empty() && !job->digests.raw.count(k));
    if (missing) {
      return digests_async(job, kinds, [this, job, w] { send_put(job, w); });
    }
    s3::PutOptions po = put_options(job);
    po.checksum = body_checksum(w, neg_.algo(), job->digests.raw, /*stream_md5=*/true);
    ++stats_->put_requests;
    client_.put_object_file(
        job->file->key, job->file->path.string(), job->file->size, po,
        [this, job, alive = alive_](uint64_t delta) {
          if (alive->load()) progress_bytes(job, delta);
        },
        [this, job, w, alive = alive_](s3::S3Result<s3::PutResult> res) {
          if (!alive->load()) return;
          if (!res) {
            const bool again = neg_.on_failure(w.transport, res.error(), w.probe);
            wake_waiters();
            if (again && !loop_.interrupted()) {
              return when_wire_ready([this, job](Wire w2) { send_put(job, w2); });
            }
            if (auto advice = neg_.refusal_advice(w.transport, res.error()); !advice.empty()) {
              return fail(job, "upload failed: " + advice);
            }
            return fail_s3(job, "upload failed: ", res.error());
          }
          // What we know of the bytes: computed before sending or while streaming.
          std::string ours = res->streamed_checksum_raw;
          if (ours.empty() && job->digests.raw.count(algo_kind()))
            ours = job->digests.raw[algo_kind()];
          std::string md5 = res->streamed_md5_raw;
          if (md5.empty() && job->digests.raw.count("md5")) md5 = job->digests.raw["md5"];
          if (!res->checksum_b64.empty() && !ours.empty() &&
              res->checksum_b64 == base64_encode(ours)) {
            neg_.note_echo();
          }
          const bool resend = neg_.on_success(
              w.transport, evidence(w, res->checksum_b64, ours, res->etag, res->etag_is_md5, md5),
              w.probe);
          wake_waiters();
          if (resend) {
            spdlog::debug("{}: sending again with {}", job->file->display, neg_.describe());
            return when_wire_ready([this, job](Wire w2) { send_put(job, w2); });
          }
          // Verify what the server reports against what we computed.
          std::string mismatch;
          if (!res->checksum_b64.empty() && !ours.empty() &&
              res->checksum_b64 != base64_encode(ours)) {
            mismatch = "checksum " + res->checksum_b64 + ", expected " + base64_encode(ours);
          } else if (res->checksum_b64.empty() && !md5.empty() && etags_are_md5() &&
                     res->etag_is_md5 && is_md5_etag(res->etag) &&
                     !iequals(res->etag, hex_encode(md5))) {
            // (A matching echoed checksum is the server's own statement on the bytes.)
            mismatch = "ETag " + res->etag + ", expected " + hex_encode(md5);
          }
          if (!mismatch.empty()) {
            if (++job->verify_failures <= 2) {
              spdlog::debug("{}: the server reports {}; sending again", job->file->display,
                            mismatch);
              return when_wire_ready([this, job](Wire w2) { send_put(job, w2); });
            }
            return fail(job, "the server stored different bytes than were sent (" + mismatch +
                                 "): upload it again");
          }
          remember_streamed(job, res->streamed_checksum_raw, res->streamed_md5_raw);
          acked(job, job->file->size);
          FileResult r;
          r.outcome = job->exists ? Outcome::kUpdated : Outcome::kUploaded;
          presign_and_finish(job, std::move(r));
        });
  }

  // Digests computed while the file streamed are cached for the next run's comparison.
  void remember_streamed(const JobPtr& job, const std::string& checksum_raw,
                         const std::string& md5_raw) {
    if (!opts_.hash_cache || (checksum_raw.empty() && md5_raw.empty())) return;
    auto id = integrity::identify(job->file->path);
    if (!id || id->size != job->file->size) return;
    if (!checksum_raw.empty()) opts_.hash_cache->put(*id, algo_kind(), hex_encode(checksum_raw));
    if (!md5_raw.empty()) opts_.hash_cache->put(*id, "md5", hex_encode(md5_raw));
  }

  // ---- multipart ----

  void start_multipart(const JobPtr& job) {
    auto plan = plan_parts(job->file->size, opts_.part_size);
    if (!plan) return fail(job, plan.error());
    job->plan = *plan;
    if (auto id = integrity::identify(job->file->path)) job->identity = *id;
    if (job->parts.size() != plan->part_count) job->parts.assign(plan->part_count, Part{});
    for (uint64_t n = 1; n <= plan->part_count; ++n) {
      job->parts[n - 1].offset = plan->offset_of(n);
      job->parts[n - 1].size = plan->size_of(n);
    }
    digests_async(job, {meta_kind()}, [this, job] {
      if (!opts_.state_dir.empty() && job->identity) return try_resume(job);
      if (!opts_.stale_journal_dir.empty()) return drop_stale_journal(job);
      create_upload(job);
    });
  }

  // ---- resume ----

  std::string endpoint_id() const {
    const auto& e = client_.config().endpoint;
    return e.scheme + "://" + e.host;
  }

  // Lays the parts out with `part_size`; false when that is no valid layout for the file.
  bool lay_out(const JobPtr& job, uint64_t part_size, uint64_t part_count) {
    auto plan = plan_parts(job->file->size, part_size);
    if (!plan || plan->part_size != part_size || plan->part_count != part_count) return false;
    if (job->plan.part_size != part_size) job->parts.assign(plan->part_count, Part{});
    job->plan = *plan;
    for (uint64_t n = 1; n <= plan->part_count; ++n) {
      job->parts[n - 1].offset = plan->offset_of(n);
      job->parts[n - 1].size = plan->size_of(n);
    }
    return true;
  }

  void try_resume(const JobPtr& job) {
    job->journal_path =
        Journal::path_for(opts_.state_dir, endpoint_id(), client_.config().bucket, job->file->key);
    auto loaded = Journal::load(job->journal_path);
    if (!loaded) {
      job->resume_note = loaded.error() +
                         "; started over (an earlier incomplete upload of this "
                         "key may remain: see --list-incomplete)";
      spdlog::warn("{}: {}", job->file->display, job->resume_note);
      Journal::remove(job->journal_path);
      return create_upload(job);
    }
    if (!*loaded) return create_upload(job);
    auto j = std::make_shared<LoadedJournal>(std::move(**loaded));
    if (!j->damage.empty()) spdlog::debug("{}: {}", job->file->display, j->damage);
    std::string why_not;
    if (!(j->header.file == *job->identity)) {
      why_not = "the file changed since the interrupted upload";
    } else if (!j->header.checksum_algo.empty() && j->header.checksum_algo != algo_kind()) {
      why_not = "the checksum algorithm changed since the interrupted upload";
    } else if (!lay_out(job, j->header.part_size, j->header.part_count)) {
      why_not = "the interrupted upload's part layout does not fit the file";
    }
    if (!why_not.empty()) return abort_stale(job, j->header.upload_id, why_not);
    auto journal = Journal::open_for_append(job->journal_path);
    if (!journal) return abort_stale(job, j->header.upload_id, journal.error());
    if (!journal->try_lock()) {
      return fail(job,
                  "another s3upload is uploading this file to the same key right now: wait for "
                  "it to finish");
    }
    job->journal.emplace(std::move(*journal));
    job->upload_id = j->header.upload_id;
    job->create_algo =
        integrity::parse_checksum_algo(j->header.checksum_algo).value_or(ChecksumAlgo::kNone);
    open_uploads_.push_back(job);
    list_server_parts(job, j, 0, std::make_shared<std::vector<s3::PartInfo>>());
  }

  // --no-resume: an upload an earlier run left for resuming is aborted, not left behind.
  void drop_stale_journal(const JobPtr& job) {
    const auto path = Journal::path_for(opts_.stale_journal_dir, endpoint_id(),
                                        client_.config().bucket, job->file->key);
    auto loaded = Journal::load(path);
    if (!loaded || !*loaded) {
      if (!loaded) Journal::remove(path);
      return create_upload(job);
    }
    job->journal_path = path;  // abort_stale() removes it
    const std::string id = (*loaded)->header.upload_id;
    abort_stale(job, id, "--no-resume: did not resume the interrupted upload");
  }

  // Aborts an upload we can no longer continue and starts afresh, saying why.
  void abort_stale(const JobPtr& job, const std::string& upload_id, const std::string& why) {
    ++stats_->aborted_uploads;
    client_.abort_multipart_upload(
        job->file->key, upload_id,
        [this, job, why, upload_id, alive = alive_](s3::S3Result<bool> res) {
          if (!alive->load()) return;
          job->resume_note = why + "; started over";
          job->resume_note += res ? " (the interrupted upload was aborted)"
                                  : " (the interrupted upload " + upload_id +
                                        " could not be aborted: " + res.error().describe() + ")";
          Journal::remove(job->journal_path);
          if (job->plan.part_size != opts_.part_size) {
            auto plan = plan_parts(job->file->size, opts_.part_size);
            if (plan) lay_out(job, plan->part_size, plan->part_count);
          }
          create_upload(job);
        });
  }

  // The server's word on which parts it has (the journal may lag by the parts in flight when
  // the process died, or be ahead if the upload was aborted meanwhile).
  void list_server_parts(const JobPtr& job, std::shared_ptr<LoadedJournal> j, int marker,
                         std::shared_ptr<std::vector<s3::PartInfo>> acc) {
    client_.list_parts(
        job->file->key, job->upload_id, marker,
        [this, job, j, acc, alive = alive_](s3::S3Result<s3::PartsPage> page) {
          if (!alive->load()) return;
          if (!page) {
            if (page.error().code == "NoSuchUpload" || page.error().http_status == 404) {
              forget_upload(job);
              job->journal.reset();
              Journal::remove(job->journal_path);
              job->upload_id.clear();
              job->resume_note = "the interrupted upload is gone from the server; started over";
              return create_upload(job);
            }
            forget_upload(job);
            job->failure_resumable = page.error().is_retryable();
            return fail_s3(job, "could not resume the interrupted upload: ", page.error());
          }
          acc->insert(acc->end(), page->parts.begin(), page->parts.end());
          if (page->truncated && page->next_part_number_marker > 0) {
            return list_server_parts(job, j, page->next_part_number_marker, acc);
          }
          reconcile(job, *j, *acc);
        });
  }

  void reconcile(const JobPtr& job, const LoadedJournal& j,
                 const std::vector<s3::PartInfo>& server) {
    std::map<int, const JournalPart*> recorded;
    for (const auto& p : j.parts) recorded[p.number] = &p;
    for (const auto& sp : server) {
      if (sp.number < 1 || static_cast<size_t>(sp.number) > job->parts.size()) continue;
      Part& part = job->parts[sp.number - 1];
      auto it = recorded.find(sp.number);
      // Trust a part only when the server and the journal agree on it.
      if (it == recorded.end() || sp.size != part.size || !iequals(sp.etag, it->second->etag)) {
        continue;
      }
      if (part.done) continue;
      part.etag = sp.etag;
      part.checksum_raw = base64_decode(it->second->checksum_b64);
      if (job->create_algo != ChecksumAlgo::kNone) part.checksum_b64 = it->second->checksum_b64;
      part.done = true;
      ++job->parts_done;
      ++job->resumed_parts;
      job->resumed_bytes += part.size;
      acked(job, part.size);
    }
    job->resume_note = "resumed an interrupted upload: " + std::to_string(job->resumed_parts) +
                       " of " + std::to_string(job->parts.size()) +
                       " parts were already on the server";
    spdlog::debug("{}: {}", job->file->display, job->resume_note);
    if (job->parts_done == job->parts.size()) return complete(job);
    for (size_t i = 0; i < job->parts.size(); ++i) {
      if (!job->parts[i].done) part_queue_.emplace_back(job, i);
    }
    pump_parts();
  }

  void open_journal(const JobPtr& job) {
    if (opts_.state_dir.empty() || !job->identity) return;
    if (job->journal_path.empty()) {
      job->journal_path = Journal::path_for(opts_.state_dir, endpoint_id(), client_.config().bucket,
                                            job->file->key);
    }
    JournalHeader h;
    h.endpoint = endpoint_id();
    h.bucket = client_.config().bucket;
    h.key = job->file->key;
    h.upload_id = job->upload_id;
    h.part_size = job->plan.part_size;
    h.part_count = job->plan.part_count;
    h.checksum_algo = job->create_algo == ChecksumAlgo::kNone
                          ? ""
                          : std::string(integrity::algo_name(job->create_algo));
    h.checksum_transport = std::string(integrity::transport_name(neg_.current()));
    h.file = *job->identity;
    std::error_code ec;
    h.local_path = std::filesystem::absolute(job->file->path, ec).string();
    h.created_unix = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    auto journal = Journal::create(job->journal_path, h);
    if (!journal) {
      spdlog::warn("{}: could not write the resume journal ({}); this upload cannot be resumed",
                   job->file->display, journal.error());
      return;
    }
    journal->try_lock();
    job->journal.emplace(std::move(*journal));
  }

  void journal_part(const JobPtr& job, size_t i) {
    if (!job->journal) return;
    const Part& p = job->parts[i];
    JournalPart jp;
    jp.number = static_cast<int>(i + 1);
    jp.size = p.size;
    jp.etag = p.etag;
    jp.checksum_b64 = p.checksum_raw.empty() ? "" : base64_encode(p.checksum_raw);
    if (auto ok = job->journal->append_part(jp); !ok) {
      spdlog::warn("{}: could not write the resume journal ({})", job->file->display, ok.error());
    }
  }

  void close_journal(const JobPtr& job) {
    if (job->journal_path.empty()) return;
    job->journal.reset();
    Journal::remove(job->journal_path);
  }

  void create_upload(const JobPtr& job) {
    s3::PutOptions po = put_options(job);
    // Parts carry the algorithm's checksum where the server takes them (declared up front,
    // as S3 requires); a CRC becomes the object's full-object checksum.
    const Transport t = neg_.current();
    if (t == Transport::kTrailer || t == Transport::kHeader) po.multipart_checksum = neg_.algo();
    job->create_algo = po.multipart_checksum;
    client_.create_multipart_upload(
        job->file->key, po, [this, job, t, alive = alive_](s3::S3Result<std::string> id) {
          if (!alive->load()) return;
          if (!id && job->create_algo != ChecksumAlgo::kNone &&
              neg_.on_failure(t, id.error(), false)) {
            // The store refuses checksum declarations: it takes no x-amz-checksum either.
            if (neg_.current() == Transport::kHeader)
              neg_.on_failure(Transport::kHeader, id.error(), false);
            wake_waiters();
            return create_upload(job);
          }
          if (!id) return fail_s3(job, "could not start the multipart upload: ", id.error());
          job->upload_id = *id;
          open_uploads_.push_back(job);
          open_journal(job);
          spdlog::debug("{}: multipart upload of {} parts of {} bytes", job->file->display,
                        job->plan.part_count, job->plan.part_size);
          for (size_t i = 0; i < job->parts.size(); ++i) part_queue_.emplace_back(job, i);
          pump_parts();
        });
  }

  void pump_parts() {
    while (!stopping_ && parts_in_progress_ < opts_.max_requests && !part_queue_.empty() &&
           !loop_.interrupted()) {
      auto [job, i] = part_queue_.front();
      part_queue_.pop_front();
      if (job->failed || job->finished) continue;
      ++parts_in_progress_;
      ++job->parts_in_flight;
      when_wire_ready([this, job, i](Wire w) { prepare_part(job, i, w); });
    }
  }

  // Computes what the part's request needs (on a worker thread), then sends it.
  void prepare_part(const JobPtr& job, size_t i, Wire w) {
    if (w.transport == Transport::kNone && neg_.algo() != ChecksumAlgo::kNone) {
      return part_failed(job,
                         "not uploaded: " + neg_.describe() +
                             "; to upload without an integrity check, pass "
                             "--checksum-algorithm none",
                         nullptr);
    }
    if (job->failed) {
      if (w.probe) neg_.on_failure(w.transport, s3::S3Error{}, true), wake_waiters();
      return part_done(job);
    }
    Part& p = job->parts[i];
    std::vector<std::string> kinds;
    for (const auto& k : kinds_for(w)) {
      const std::string& have = k == "md5" ? p.md5_raw
                                : k == "sha256" && w.transport == Transport::kPayloadHash
                                    ? p.sha256_raw
                                    : p.checksum_raw;
      if (have.empty()) kinds.push_back(k);
    }
    if (kinds.empty()) return send_part(job, i, w);
    loop_.hold();
    std::string path = job->file->path.string();
    uint64_t off = p.offset, len = p.size;
    http::EventLoop* loop = &loop_;
    pool_.submit([this, loop, alive = alive_, job, i, w, path, off, len, kinds] {
      FileDigests d = range_digests(path, off, len, kinds);
      loop->post([this, loop, alive, job, i, w, d = std::move(d)]() mutable {
        loop->release();
        if (!alive->load() || loop->interrupted()) return;
        if (!d.error.empty()) {
          if (w.probe) neg_.on_failure(w.transport, s3::S3Error{}, true), wake_waiters();
          return part_failed(job, d.error, nullptr);
        }
        Part& part = job->parts[i];
        for (auto& [k, raw] : d.raw) {
          if (k == "md5") part.md5_raw = raw;
          if (k == "sha256" && w.transport == Transport::kPayloadHash) part.sha256_raw = raw;
          if (k == algo_kind()) part.checksum_raw = raw;
        }
        send_part(job, i, w);
      });
    });
  }

  void send_part(const JobPtr& job, size_t i, Wire w) {
    Part& p = job->parts[i];
    std::map<std::string, std::string> raw;
    if (!p.md5_raw.empty()) raw["md5"] = p.md5_raw;
    if (!p.checksum_raw.empty()) raw[algo_kind()] = p.checksum_raw;
    if (!p.sha256_raw.empty()) raw["sha256"] = p.sha256_raw;
    if (w.transport == Transport::kHeader && neg_.algo() == ChecksumAlgo::kSha256) {
      raw["sha256"] = p.checksum_raw;
    }
    ++stats_->part_requests;
    client_.upload_part_file(
        job->file->key, job->upload_id, static_cast<int>(i + 1), job->file->path.string(), p.offset,
        p.size, body_checksum(w, neg_.algo(), raw),
        [this, job, alive = alive_](uint64_t delta) {
          if (alive->load()) progress_bytes(job, delta);
        },
        [this, job, i, w, alive = alive_](s3::S3Result<s3::PartResult> res) {
          if (!alive->load()) return;
          if (!res) {
            const bool again = neg_.on_failure(w.transport, res.error(), w.probe);
            wake_waiters();
            if (again && !loop_.interrupted() && !job->failed) {
              return when_wire_ready([this, job, i](Wire w2) { prepare_part(job, i, w2); });
            }
            if (auto advice = neg_.refusal_advice(w.transport, res.error()); !advice.empty()) {
              return part_failed(job, "part " + std::to_string(i + 1) + " failed: " + advice,
                                 nullptr);
            }
            return part_failed(job, "part " + std::to_string(i + 1) + " failed: ", &res.error());
          }
          Part& part = job->parts[i];
          if (!res->streamed_checksum_raw.empty()) part.checksum_raw = res->streamed_checksum_raw;
          if (!res->streamed_md5_raw.empty()) part.md5_raw = res->streamed_md5_raw;
          const bool echoed = !res->checksum_b64.empty() && !part.checksum_raw.empty() &&
                              res->checksum_b64 == base64_encode(part.checksum_raw);
          if (echoed) neg_.note_echo();
          const bool resend =
              neg_.on_success(w.transport,
                              evidence(w, res->checksum_b64, part.checksum_raw, res->etag,
                                       res->etag_is_md5, res->streamed_md5_raw),
                              w.probe);
          wake_waiters();
          if (resend && !job->failed) {
            return when_wire_ready([this, job, i](Wire w2) { prepare_part(job, i, w2); });
          }
          std::string mismatch;
          if (!res->checksum_b64.empty() && !part.checksum_raw.empty() &&
              res->checksum_b64 != base64_encode(part.checksum_raw)) {
            mismatch =
                "checksum " + res->checksum_b64 + ", expected " + base64_encode(part.checksum_raw);
          } else if (res->checksum_b64.empty() && !part.md5_raw.empty() && etags_are_md5() &&
                     res->etag_is_md5 && is_md5_etag(res->etag) &&
                     !iequals(res->etag, hex_encode(part.md5_raw))) {
            mismatch = "ETag " + res->etag + ", expected " + hex_encode(part.md5_raw);
          }
          if (!mismatch.empty()) {
            if (++part.verify_failures <= 2 && !job->failed) {
              spdlog::debug("{}: part {}: the server reports {}; sending again", job->file->display,
                            i + 1, mismatch);
              return when_wire_ready([this, job, i](Wire w2) { prepare_part(job, i, w2); });
            }
            return part_failed(job,
                               "the server stored different bytes for part " +
                                   std::to_string(i + 1) + " (" + mismatch + ")",
                               nullptr);
          }
          part.etag = res->etag;
          // Listed in Complete when the upload declared the algorithm.
          // (A header the server did not echo may have been ignored: listing it in Complete
          // would make such a server refuse the whole upload.)
          if (job->create_algo != ChecksumAlgo::kNone && !part.checksum_raw.empty() &&
              (w.transport == Transport::kTrailer ||
               (w.transport == Transport::kHeader && echoed))) {
            part.checksum_b64 = base64_encode(part.checksum_raw);
          }
          part.done = true;
          ++job->parts_done;
          acked(job, part.size);
          journal_part(job, i);
          part_done(job);
        });
  }

  // A part request ended (either way): free its slot and move on.
  void part_done(const JobPtr& job) {
    --parts_in_progress_;
    --job->parts_in_flight;
    if (loop_.interrupted()) return;  // clean_up_after_interrupt() aborts what is open
    if (job->failed) {
      if (job->parts_in_flight == 0) abort_and_fail(job);
    } else if (job->parts_done == job->parts.size()) {
      complete(job);
    }
    pump_parts();
  }

  void part_failed(const JobPtr& job, const std::string& why, const s3::S3Error* e) {
    if (!job->failed) {
      job->failed = true;
      job->failure = e ? why + e->describe() : why;
      // Retries ran out on a transient condition (network, server down, throttling): the
      // parts sent so far stay useful.
      job->failure_resumable = e && e->is_retryable();
      if (e && is_global(*e) && stop_reason_.empty()) stop_reason_ = e->describe();
    }
    part_done(job);
  }

  void complete(const JobPtr& job) {
    std::vector<s3::CompletedPart> parts;
    std::vector<std::string> md5s, crcs;
    std::vector<uint64_t> sizes;
    bool all_checksums = job->create_algo != ChecksumAlgo::kNone;
    for (size_t i = 0; i < job->parts.size(); ++i) {
      const Part& p = job->parts[i];
      parts.push_back({static_cast<int>(i + 1), p.etag, p.checksum_b64});
      md5s.push_back(p.md5_raw);
      crcs.push_back(p.checksum_raw);
      sizes.push_back(p.size);
      all_checksums = all_checksums && !p.checksum_b64.empty();
    }
    s3::CompleteOptions co;
    if (all_checksums) {
      co.algo = job->create_algo;
      if (auto full = integrity::combine_crcs_raw(co.algo, crcs, sizes)) {
        co.full_object_b64 = base64_encode(*full);
      }
    } else {
      for (auto& p : parts) p.checksum_b64.clear();
    }
    const bool md5s_known =
        std::none_of(md5s.begin(), md5s.end(), [](const std::string& m) { return m.empty(); });
    std::string want = md5s_known ? integrity::multipart_etag(md5s) : "";
    client_.complete_multipart_upload(
        job->file->key, job->upload_id, parts,
        [this, job, want, co, alive = alive_](s3::S3Result<s3::PutResult> res) {
          if (!alive->load() || (!res && loop_.interrupted())) return;
          if (!res && res.error().code == "NoSuchUpload" && res.error().attempts > 1) {
            // An earlier attempt may have completed it and lost the answer: look at the object.
            return confirm_completed(job, want, co.full_object_b64);
          }
          if (!res) {
            job->failure = "could not complete the multipart upload: " + res.error().describe();
            job->failure_resumable = res.error().is_retryable();
            return abort_and_fail(job);
          }
          forget_upload(job);
          close_journal(job);
          remember_part_digests(job);
          if (!want.empty() && etags_are_md5() && res->etag_is_md5 &&
              integrity::etag_part_count(res->etag) > 0 && !iequals(res->etag, want)) {
            return fail(job, "the server reports ETag " + res->etag +
                                 " for the assembled object, "
                                 "expected " +
                                 want + ": upload it again");
          }
          FileResult r;
          r.outcome = job->exists ? Outcome::kUpdated : Outcome::kUploaded;
          r.parts = job->parts.size();
          r.note = job->resume_note;
          r.bytes_resumed = job->resumed_bytes;
          presign_and_finish(job, std::move(r));
        },
        co);
  }

  void confirm_completed(const JobPtr& job, const std::string& want, const std::string& crc_b64) {
    client_.head_object(job->file->key, [this, job, want, crc_b64,
                                         alive = alive_](s3::S3Result<s3::ObjectInfo> info) {
      if (!alive->load()) return;
      forget_upload(job);
      close_journal(job);
      bool same = false;
      if (info && info->size == job->file->size) {
        if (!want.empty()) same = iequals(info->etag, want);
        auto it = info->checksums.find(algo_kind());
        if (!same && !crc_b64.empty() && it != info->checksums.end()) same = it->second == crc_b64;
        auto meta = info->metadata.find("s3upload-" + meta_kind());
        if (!same && !meta_kind().empty() && meta != info->metadata.end() &&
            job->digests.raw.count(meta_kind())) {
          same = iequals(trim(meta->second), hex_encode(job->digests.raw[meta_kind()]));
        }
      }
      if (!same) {
        return fail(job,
                    "the multipart upload vanished before it could be completed: upload "
                    "it again");
      }
      FileResult r;
      r.outcome = job->exists ? Outcome::kUpdated : Outcome::kUploaded;
      r.parts = job->parts.size();
      presign_and_finish(job, std::move(r));
    });
  }

  // The next run's compare then needs no hashing (if the file did not change meanwhile).
  void remember_part_digests(const JobPtr& job) {
    if (!opts_.hash_cache || !job->identity) return;
    auto now = integrity::identify(job->file->path);
    if (!now || !(*now == *job->identity)) return;
    std::vector<std::string> md5s;
    for (const auto& p : job->parts) md5s.push_back(p.md5_raw);
    remember_part_md5s(opts_.hash_cache, *job->identity, job->plan.part_size, md5s);
  }

  void forget_upload(const JobPtr& job) {
    open_uploads_.erase(std::remove(open_uploads_.begin(), open_uploads_.end(), job),
                        open_uploads_.end());
  }

  // Never leave an orphaned multipart upload behind without saying so.
  void abort_and_fail(const JobPtr& job) {
    if (loop_.interrupted()) return;  // clean_up_after_interrupt() decides what stays open
    if (job->upload_id.empty()) return fail(job, job->failure);
    if (job->journal && job->failure_resumable) {
      // Not worth aborting: the next run continues where this one stopped.
      forget_upload(job);
      job->journal.reset();
      return fail(job, job->failure + "; " + resumable_summary(job));
    }
    close_journal(job);
    std::string id = job->upload_id;
    ++stats_->aborted_uploads;
    client_.abort_multipart_upload(
        job->file->key, id, [this, job, id, alive = alive_](s3::S3Result<bool> res) {
          if (!alive->load()) return;
          forget_upload(job);
          std::string why = job->failure;
          if (!res) {
            why += "; the incomplete multipart upload could not be removed (" +
                   res.error().describe() +
                   "): remove it with aws s3api abort-multipart-upload "
                   "--bucket " +
                   client_.config().bucket + " --key '" + job->file->key + "' --upload-id " + id;
          } else {
            why += " (the incomplete upload was aborted)";
          }
          fail(job, why);
        });
  }

  void presign_and_finish(const JobPtr& job, FileResult r) {
    r.url = client_.presign_get(job->file->key, opts_.url_expiry);
    finish(job, std::move(r));
  }

  std::string resumable_summary(const JobPtr& job) const {
    return std::to_string(job->parts_done) + " of " + std::to_string(job->parts.size()) +
           " parts are on the server: run the same command again to resume (or remove the "
           "upload with --abort-incomplete)";
  }

  // After Ctrl-C: journaled multipart uploads stay open to be resumed; the others are aborted
  // so nothing is left behind, within a few seconds.
  void clean_up_after_interrupt() {
    stopping_ = true;
    size_t dropped = pool_.cancel_pending();
    for (size_t i = 0; i < dropped; ++i) loop_.release();
    for (const auto& job : std::vector<JobPtr>(open_uploads_)) {
      if (!job->journal) continue;
      results_[job->index].note = resumable_summary(job);
      job->journal.reset();
      forget_upload(job);
    }
    if (open_uploads_.empty()) return;
    loop_.clear_interrupt();
    auto uploads = open_uploads_;
    for (const auto& job : uploads) {
      job->failed = true;
      std::string id = job->upload_id;
      ++stats_->aborted_uploads;
      client_.abort_multipart_upload(
          job->file->key, id, [this, job, id, alive = alive_](s3::S3Result<bool> res) {
            if (!alive->load()) return;
            forget_upload(job);
            results_[job->index].note = res ? "the incomplete multipart upload was aborted"
                                            : "the incomplete multipart upload " + id +
                                                  " could not be aborted (" +
                                                  res.error().describe() + ")";
          });
    }
    // Give up after a few seconds; a second Ctrl-C ends it at once.
    loop_.post_after(std::chrono::seconds(10), [this] { loop_.interrupt(); });
    loop_.run();
    for (const auto& job : open_uploads_) {
      results_[job->index].note =
          "the incomplete multipart upload " + job->upload_id + " could not be aborted in time";
    }
  }

  s3::Client& client_;
  http::EventLoop& loop_;
  std::deque<LocalFile> files_;  // stable addresses: jobs point into it
  std::map<std::string, size_t> keys_;
  std::thread feed_;
  std::atomic<bool> stop_feed_{false};
  bool stopping_ = false;  // after Ctrl-C: start nothing new
  EngineOptions opts_;
  ProgressSink* progress_;
  EngineStats own_stats_;
  EngineStats* stats_;
  std::vector<FileResult> results_;
  std::vector<bool> done_, started_;
  std::deque<size_t> pending_;
  int active_files_ = 0;
  std::string stop_reason_;
  // Listing.
  bool listing_ = false, listing_complete_ = false;
  std::string list_prefix_;
  std::map<std::string, s3::ListedObject> listed_;
  // Parts.
  std::deque<std::pair<JobPtr, size_t>> part_queue_;
  int parts_in_progress_ = 0;
  std::vector<JobPtr> open_uploads_;
  WorkerPool pool_;
  std::shared_ptr<std::atomic<bool>> alive_;
  // Integrity: what the endpoint accepts, and data requests waiting for the probe.
  Negotiator neg_;
  std::deque<std::function<void(Wire)>> waiters_;
  bool sent_data_ = false;
  bool quit_ = false;  // --interactive: the user chose to quit
};

}  // namespace

TransferOutput run_transfers(s3::Client& client, FileFeed feed, const EngineOptions& opts,
                             ProgressSink* progress, EngineStats* stats) {
  Engine engine(client, opts, progress, stats);
  return engine.run(std::move(feed));
}

}  // namespace s3up::transfer
