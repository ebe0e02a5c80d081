#include "transfer/digests.hpp"

#include <algorithm>
#include <variant>

#include "integrity/blake3.hpp"
#include "util/strings.hpp"

namespace s3up::transfer {
namespace {

// One running digest of any kind.
class AnyDigest {
 public:
  explicit AnyDigest(const std::string& kind) {
    if (kind == "blake3") {
      state_.emplace<integrity::Blake3>();
    } else if (auto a = integrity::parse_checksum_algo(kind)) {
      state_.emplace<integrity::Checksum>(*a);
    }
  }
  bool valid() const { return state_.index() != 0; }
  void update(const char* p, size_t n) {
    if (auto* b = std::get_if<integrity::Blake3>(&state_)) b->update(p, n);
    if (auto* c = std::get_if<integrity::Checksum>(&state_)) c->update(p, n);
  }
  std::string finish() {
    if (auto* b = std::get_if<integrity::Blake3>(&state_)) return b->raw();
    if (auto* c = std::get_if<integrity::Checksum>(&state_)) return c->finish_raw();
    return "";
  }

 private:
  std::variant<std::monostate, integrity::Blake3, integrity::Checksum> state_;
};

}  // namespace

FileDigests range_digests(const std::string& path, uint64_t offset, uint64_t length,
                          const std::vector<std::string>& kinds) {
  FileDigests out;
  std::vector<std::pair<std::string, AnyDigest>> running;
  for (const auto& k : kinds) {
    AnyDigest d(k);
    if (d.valid()) running.emplace_back(k, std::move(d));
  }
  if (running.empty()) return out;
  out.hashed = true;
  auto read = integrity::read_file_range(path, offset, length, [&running](const char* p, size_t n) {
    for (auto& [k, d] : running) d.update(p, n);
  });
  if (!read) {
    out.error = read.error();
    return out;
  }
  for (auto& [k, d] : running) out.raw[k] = d.finish();
  return out;
}

FileDigests whole_file_digests(const std::string& path, uint64_t size,
                               const std::vector<std::string>& kinds, integrity::HashCache* cache,
                               FileDigests have) {
  std::optional<integrity::FileIdentity> id;
  if (cache) {
    if (auto got = integrity::identify(path); got && got->size == size) id = *got;
  }
  std::vector<std::string> missing;
  for (const auto& k : kinds) {
    if (have.raw.count(k)) continue;
    if (id) {
      if (auto hit = cache->get(*id, k)) {
        std::string raw = hex_decode(*hit);
        if (!raw.empty()) {
          have.raw[k] = std::move(raw);
          continue;
        }
      }
    }
    missing.push_back(k);
  }
  if (missing.empty()) return have;
  FileDigests fresh = range_digests(path, 0, size, missing);
  if (!fresh.error.empty()) {
    have.error = fresh.error;
    return have;
  }
  have.hashed = true;
  // Cached only if the file did not change while it was read.
  bool unchanged = false;
  if (id) {
    auto after = integrity::identify(path);
    unchanged = after && *after == *id;
  }
  for (auto& [k, raw] : fresh.raw) {
    if (unchanged) cache->put(*id, k, hex_encode(raw));
    have.raw[k] = std::move(raw);
  }
  return have;
}

namespace {

std::string parts_kind(uint64_t part_size) {
  return "md5-parts:" + std::to_string(part_size);
}

}  // namespace

PartMd5s part_md5s(const std::string& path, uint64_t size, uint64_t part_size,
                   integrity::HashCache* cache) {
  PartMd5s out;
  const size_t want = static_cast<size_t>((size + part_size - 1) / part_size);
  std::optional<integrity::FileIdentity> id;
  if (cache) {
    if (auto got = integrity::identify(path); got && got->size == size) id = *got;
  }
  if (id) {
    if (auto hit = cache->get(*id, parts_kind(part_size))) {
      std::vector<std::string> fields = split(*hit, ',');
      std::vector<std::string> raw;
      for (const auto& f : fields) {
        std::string r = hex_decode(f);
        if (r.size() != 16) break;
        raw.push_back(std::move(r));
      }
      if (raw.size() == want && fields.size() == want) {
        out.raw = std::move(raw);
        out.from_cache = true;
        return out;
      }
    }
  }
  for (uint64_t off = 0; off < size; off += part_size) {
    auto h = integrity::hash_file_raw(path, integrity::HashAlgo::kMd5, off,
                                      std::min(part_size, size - off));
    if (!h) {
      out.error = h.error();
      return out;
    }
    out.raw.push_back(*h);
  }
  if (id) {
    auto after = integrity::identify(path);
    if (after && *after == *id) remember_part_md5s(cache, *id, part_size, out.raw);
  }
  return out;
}

void remember_part_md5s(integrity::HashCache* cache, const integrity::FileIdentity& id,
                        uint64_t part_size, const std::vector<std::string>& raw) {
  if (!cache || raw.empty()) return;
  std::string v;
  for (const auto& r : raw) {
    if (r.size() != 16) return;
    v += (v.empty() ? "" : ",") + hex_encode(r);
  }
  cache->put(id, parts_kind(part_size), v);
}

}  // namespace s3up::transfer
