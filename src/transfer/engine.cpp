#include "transfer/engine.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <deque>
#include <map>
#include <memory>
#include <thread>

#include "integrity/etag.hpp"
#include "integrity/hash.hpp"
#include "transfer/worker_pool.hpp"
#include "util/strings.hpp"

namespace s3up::transfer {

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

struct Part {
  uint64_t offset = 0, size = 0;
  std::string md5_raw;
  std::string etag;
  bool done = false;
};

// One file's journey. Lives (shared) until its result is recorded and nothing refers to it.
struct Job {
  size_t index = 0;
  const LocalFile* file = nullptr;
  bool exists = false;
  std::string md5_raw;  // whole file, computed at most once
  // Multipart state.
  PartPlan plan;
  std::string upload_id;
  std::vector<Part> parts;
  size_t parts_done = 0;
  int parts_in_flight = 0;
  bool failed = false;  // a part failed: stop sending, abort, report
  std::string failure;
  bool finished = false;
  std::string options_diff;  // why the remote object's metadata/headers differ from what we set
  std::optional<integrity::FileIdentity> identity;  // at the start of a multipart upload
};
using JobPtr = std::shared_ptr<Job>;

// What one read pass over a file produced.
struct Digest {
  std::string whole_md5;               // raw
  std::vector<std::string> part_md5s;  // raw, when part_size was given
  std::string error;
  bool from_cache = false;
};

// Cache value: the hex whole-file MD5, or the hex part MD5s separated by ','.
std::string encode_digest(const Digest& d) {
  std::string v = d.whole_md5.empty() ? "" : hex_encode(d.whole_md5);
  for (const auto& p : d.part_md5s) v += (v.empty() ? "" : ",") + hex_encode(p);
  return v;
}

std::string digest_kind(uint64_t part_size) {
  return part_size ? "md5-parts:" + std::to_string(part_size) : "md5";
}

std::optional<Digest> decode_digest(const std::string& v, uint64_t size, uint64_t part_size) {
  Digest d;
  std::vector<std::string> fields = split(v, ',');
  auto unhex = [](const std::string& h) -> std::optional<std::string> {
    if (h.size() != 32) return std::nullopt;
    std::string out;
    for (size_t i = 0; i < 32; i += 2) {
      out.push_back(static_cast<char>(std::stoi(h.substr(i, 2), nullptr, 16)));
    }
    return out;
  };
  size_t want = part_size ? static_cast<size_t>((size + part_size - 1) / part_size) : 1;
  if (fields.size() != want) return std::nullopt;
  for (const auto& f : fields) {
    if (!is_md5_etag(f)) return std::nullopt;
    auto raw = unhex(f);
    if (!raw) return std::nullopt;
    if (part_size) {
      d.part_md5s.push_back(*raw);
    } else {
      d.whole_md5 = *raw;
    }
  }
  return d;
}

Digest digest_file_uncached(const std::string& path, uint64_t size, uint64_t part_size);

// One read of the file's digests, or none at all when the cache knows the unchanged file.
Digest digest_file(const std::string& path, uint64_t size, uint64_t part_size,
                   integrity::HashCache* cache) {
  if (cache == nullptr) return digest_file_uncached(path, size, part_size);
  auto id = integrity::identify(path);
  const std::string kind = digest_kind(part_size);
  if (id && id->size == size) {
    if (auto hit = cache->get(*id, kind)) {
      if (auto d = decode_digest(*hit, size, part_size)) {
        d->from_cache = true;
        return *d;
      }
    }
  }
  Digest d = digest_file_uncached(path, size, part_size);
  if (d.error.empty() && id) {
    // Only if the file did not change while it was read.
    auto after = integrity::identify(path);
    if (after && *after == *id) cache->put(*id, kind, encode_digest(d));
  }
  return d;
}

// part_size 0: the whole file's MD5; otherwise the MD5 of each part.
Digest digest_file_uncached(const std::string& path, uint64_t size, uint64_t part_size) {
  Digest d;
  if (part_size == 0) {
    auto whole = integrity::hash_file_raw(path, integrity::HashAlgo::kMd5);
    if (!whole) d.error = whole.error();
    if (whole) d.whole_md5 = *whole;
    return d;
  }
  for (uint64_t off = 0; off < size; off += part_size) {
    auto h = integrity::hash_file_raw(path, integrity::HashAlgo::kMd5, off,
                                      std::min(part_size, size - off));
    if (!h) {
      d.error = h.error();
      return d;
    }
    d.part_md5s.push_back(*h);
  }
  return d;
}

class Engine {
 public:
  Engine(s3::Client& client, const EngineOptions& opts, ProgressSink* progress, EngineStats* stats)
      : client_(client),
        loop_(client.loop()),
        opts_(opts),
        progress_(progress),
        stats_(stats ? stats : &own_stats_),
        pool_(std::max(1u, opts.hash_threads)),
        alive_(std::make_shared<std::atomic<bool>>(true)) {
    // A listing has sizes and ETags but no metadata: when the user asked for metadata or
    // headers, each object must be looked at to know whether it carries them.
    if (opts_.object_options && opts_.object_options->compare_needs_head()) {
      opts_.use_listing = false;
    }
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

  // Runs digest_file on a worker thread and continues on the loop thread.
  void hash_async(const JobPtr& job, uint64_t part_size, std::function<void(Digest)> then) {
    loop_.hold();
    std::string path = job->file->path.string();
    uint64_t size = job->file->size;
    http::EventLoop* loop = &loop_;  // outlives the engine; `this` may not when this runs
    pool_.submit([loop, alive = alive_, path, size, part_size, cache = opts_.hash_cache,
                  stats = stats_, then = std::move(then)]() mutable {
      Digest d = digest_file(path, size, part_size, cache);
      loop->post([loop, alive, stats, d = std::move(d), then = std::move(then)]() mutable {
        loop->release();
        if (!alive->load() || loop->interrupted()) return;
        ++(d.from_cache ? stats->digests_from_cache : stats->files_hashed);
        then(std::move(d));
      });
    });
  }

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
    if (!etags_are_md5() || (from_head && !info.etag_is_md5())) {
      return decide(job, true,
                    "same size; content not compared (encrypted objects' ETags are "
                    "not MD5s)");
    }
    if (is_md5_etag(etag)) {
      // Single-part object: its ETag is the MD5 of its bytes (unless KMS encrypted it).
      hash_async(job, 0, [this, job, etag, from_head](Digest d) {
        if (!d.error.empty()) return fail(job, d.error);
        job->md5_raw = d.whole_md5;
        if (iequals(hex_encode(d.whole_md5), etag)) return decide(job, true, "");
        if (from_head) return decide(job, false, "");
        // A listing does not say whether the bucket encrypts with KMS by default (then the
        // ETag is no MD5): look before re-uploading.
        check_encrypted_mismatch(job);
      });
      return;
    }
    unsigned parts = integrity::etag_part_count(etag);
    std::vector<uint64_t> sizes =
        parts ? candidate_part_sizes(size, parts, opts_.part_size) : std::vector<uint64_t>{};
    if (sizes.empty()) {
      // Not an MD5 and no part size fits (encrypted object, unknown layout).
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
        return decide(job, true,
                      "same size; content not compared (encrypted objects' ETags are "
                      "not MD5s)");
      }
      decide(job, false, "");
    });
  }

  // Recomputes the multipart ETag with each plausible part size until one matches.
  void compare_multipart(const JobPtr& job, const std::string& etag, std::vector<uint64_t> sizes,
                         size_t k) {
    if (k >= sizes.size()) return decide(job, false, "");
    uint64_t part_size = sizes[k];
    hash_async(job, part_size, [this, job, etag, sizes = std::move(sizes), k, part_size](Digest d) {
      if (!d.error.empty()) return fail(job, d.error);
      if (iequals(integrity::multipart_etag(d.part_md5s), etag)) {
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

  void keep_part_md5s(const JobPtr& job, const Digest& d) {
    if (d.part_md5s.empty()) return;
    auto plan = plan_parts(job->file->size, opts_.part_size);
    if (!plan || plan->part_count != d.part_md5s.size()) return;
    job->parts.resize(d.part_md5s.size());
    for (size_t i = 0; i < d.part_md5s.size(); ++i) job->parts[i].md5_raw = d.part_md5s[i];
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
        if (use_multipart(job->file->size, opts_.multipart_threshold)) return start_multipart(job);
        return single_put(job);
    }
  }

  // ---- single PUT ----

  s3::PutOptions put_options(const JobPtr& job) const {
    s3::PutOptions po;
    po.content_type = content_type_for(job);
    if (opts_.object_options) {
      po.content_type = opts_.object_options->content_type_for(po.content_type);
      po.headers = opts_.object_options->object_headers();
    }
    return po;
  }

  void single_put(const JobPtr& job) {
    if (job->md5_raw.empty()) {
      hash_async(job, 0, [this, job](Digest d) {
        if (!d.error.empty()) return fail(job, d.error);
        job->md5_raw = d.whole_md5;
        single_put(job);
      });
      return;
    }
    // Content-MD5 makes the server verify every byte it stores.
    s3::PutOptions po = put_options(job);
    po.content_md5 = base64_encode(job->md5_raw);
    size_t index = job->index;
    ++stats_->put_requests;
    client_.put_object_file(
        job->file->key, job->file->path.string(), job->file->size, po,
        [this, index, alive = alive_](uint64_t delta) {
          if (alive->load() && progress_) progress_->on_bytes(index, delta);
        },
        [this, job, alive = alive_](s3::S3Result<s3::PutResult> res) {
          if (!alive->load()) return;
          if (!res) return fail_s3(job, "upload failed: ", res.error());
          std::string want = hex_encode(job->md5_raw);
          if (etags_are_md5() && res->etag_is_md5 && is_md5_etag(res->etag) &&
              !iequals(res->etag, want)) {
            return fail(job, "the server stored different bytes than were sent (ETag " + res->etag +
                                 ", expected " + want + "): upload it again");
          }
          FileResult r;
          r.outcome = job->exists ? Outcome::kUpdated : Outcome::kUploaded;
          presign_and_finish(job, std::move(r));
        });
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
    client_.create_multipart_upload(
        job->file->key, put_options(job),
        [this, job, alive = alive_](s3::S3Result<std::string> id) {
          if (!alive->load()) return;
          if (!id) return fail_s3(job, "could not start the multipart upload: ", id.error());
          job->upload_id = *id;
          open_uploads_.push_back(job);
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
      if (job->parts[i].md5_raw.empty()) {
        hash_part(job, i);
      } else {
        send_part(job, i);
      }
    }
  }

  void hash_part(const JobPtr& job, size_t i) {
    loop_.hold();
    std::string path = job->file->path.string();
    uint64_t off = job->parts[i].offset, len = job->parts[i].size;
    http::EventLoop* loop = &loop_;
    pool_.submit([this, loop, alive = alive_, job, i, path, off, len] {
      auto h = integrity::hash_file_raw(path, integrity::HashAlgo::kMd5, off, len);
      loop->post([this, loop, alive, job, i, h = std::move(h)]() mutable {
        loop->release();
        if (!alive->load() || loop->interrupted()) return;
        if (!h) return part_failed(job, h.error(), nullptr);
        job->parts[i].md5_raw = *h;
        send_part(job, i);
      });
    });
  }

  void send_part(const JobPtr& job, size_t i) {
    if (job->failed) return part_done(job);
    Part& p = job->parts[i];
    size_t index = job->index;
    ++stats_->part_requests;
    client_.upload_part_file(
        job->file->key, job->upload_id, static_cast<int>(i + 1), job->file->path.string(), p.offset,
        p.size, base64_encode(p.md5_raw),
        [this, index, alive = alive_](uint64_t delta) {
          if (alive->load() && progress_) progress_->on_bytes(index, delta);
        },
        [this, job, i, alive = alive_](s3::S3Result<s3::PartResult> res) {
          if (!alive->load()) return;
          if (!res) {
            return part_failed(job, "part " + std::to_string(i + 1) + " failed: ", &res.error());
          }
          Part& part = job->parts[i];
          std::string want = hex_encode(part.md5_raw);
          if (etags_are_md5() && res->etag_is_md5 && is_md5_etag(res->etag) &&
              !iequals(res->etag, want)) {
            return part_failed(job,
                               "the server stored different bytes for part " +
                                   std::to_string(i + 1) + " (ETag " + res->etag + ", expected " +
                                   want + ")",
                               nullptr);
          }
          part.etag = res->etag;
          part.done = true;
          ++job->parts_done;
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
      if (e && is_global(*e) && stop_reason_.empty()) stop_reason_ = e->describe();
    }
    part_done(job);
  }

  void complete(const JobPtr& job) {
    std::vector<s3::CompletedPart> parts;
    std::vector<std::string> md5s;
    for (size_t i = 0; i < job->parts.size(); ++i) {
      parts.push_back({static_cast<int>(i + 1), job->parts[i].etag});
      md5s.push_back(job->parts[i].md5_raw);
    }
    std::string want = integrity::multipart_etag(md5s);
    client_.complete_multipart_upload(
        job->file->key, job->upload_id, parts,
        [this, job, want, alive = alive_](s3::S3Result<s3::PutResult> res) {
          if (!alive->load() || (!res && loop_.interrupted())) return;
          if (!res && res.error().code == "NoSuchUpload" && res.error().attempts > 1) {
            // An earlier attempt may have completed it and lost the answer: look at the object.
            return confirm_completed(job, want);
          }
          if (!res) {
            job->failure = "could not complete the multipart upload: " + res.error().describe();
            return abort_and_fail(job);
          }
          forget_upload(job);
          remember_part_digests(job);
          if (etags_are_md5() && res->etag_is_md5 && integrity::etag_part_count(res->etag) > 0 &&
              !iequals(res->etag, want)) {
            return fail(job, "the server reports ETag " + res->etag +
                                 " for the assembled object, "
                                 "expected " +
                                 want + ": upload it again");
          }
          FileResult r;
          r.outcome = job->exists ? Outcome::kUpdated : Outcome::kUploaded;
          r.parts = job->parts.size();
          presign_and_finish(job, std::move(r));
        });
  }

  void confirm_completed(const JobPtr& job, const std::string& want) {
    client_.head_object(
        job->file->key, [this, job, want, alive = alive_](s3::S3Result<s3::ObjectInfo> info) {
          if (!alive->load()) return;
          forget_upload(job);
          if (!info || !iequals(info->etag, want)) {
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
    Digest d;
    for (const auto& p : job->parts) d.part_md5s.push_back(p.md5_raw);
    opts_.hash_cache->put(*job->identity, digest_kind(job->plan.part_size), encode_digest(d));
  }

  void forget_upload(const JobPtr& job) {
    open_uploads_.erase(std::remove(open_uploads_.begin(), open_uploads_.end(), job),
                        open_uploads_.end());
  }

  // Never leave an orphaned multipart upload behind without saying so.
  void abort_and_fail(const JobPtr& job) {
    if (loop_.interrupted()) return;  // clean_up_after_interrupt() aborts what is open
    if (job->upload_id.empty()) return fail(job, job->failure);
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

  // After Ctrl-C: abort the multipart uploads still open so nothing is left behind, within a
  // few seconds.
  void clean_up_after_interrupt() {
    stopping_ = true;
    size_t dropped = pool_.cancel_pending();
    for (size_t i = 0; i < dropped; ++i) loop_.release();
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
};

}  // namespace

TransferOutput run_transfers(s3::Client& client, FileFeed feed, const EngineOptions& opts,
                             ProgressSink* progress, EngineStats* stats) {
  Engine engine(client, opts, progress, stats);
  return engine.run(std::move(feed));
}

}  // namespace s3up::transfer
