#include "transfer/negotiator.hpp"

namespace s3up::transfer {

using integrity::ChecksumAlgo;
using T = integrity::ChecksumTransport;

Negotiator::Negotiator(ChecksumAlgo algo, T forced, bool sha256_fast)
    : algo_(algo), forced_(forced != T::kAuto), sha256_fast_(sha256_fast), current_(forced) {
  if (algo == ChecksumAlgo::kNone) {
    current_ = T::kNone;
  } else if (algo == ChecksumAlgo::kMd5 && (forced == T::kAuto || forced == T::kContentMd5)) {
    current_ = T::kContentMd5;
  } else if (forced == T::kAuto) {
    current_ = T::kTrailer;
    return;  // to be learnt
  }
  settled_ = true;
}

T Negotiator::after(T t) const {
  const T fallback = sha256_fast_ ? T::kPayloadHash : T::kContentMd5;
  switch (t) {
    case T::kTrailer:
      return T::kHeader;
    case T::kHeader:
      return fallback;
    case T::kContentMd5:
      return tried_payload_ ? T::kNone : T::kPayloadHash;
    case T::kPayloadHash:
      return tried_md5_ ? T::kNone : T::kContentMd5;
    default:
      return T::kNone;
  }
}

void Negotiator::downgrade(std::string why) {
  if (current_ == T::kContentMd5) tried_md5_ = true;
  if (current_ == T::kPayloadHash) tried_payload_ = true;
  current_ = after(current_);
  // A header must show it is understood; Content-MD5 and payload hashes are part of every
  // S3 implementation's signature/digest checks.
  settled_ = current_ != T::kHeader;
  if (reason_.empty()) reason_ = std::move(why);
}

bool Negotiator::begin() {
  if (settled_) return false;
  probe_in_flight_ = true;
  return true;
}

bool Negotiator::on_success(T used, bool evidence, bool was_probe) {
  if (was_probe) probe_in_flight_ = false;
  if (forced_ && used == T::kHeader && !evidence) forced_unconfirmed_ = true;
  if (settled_ || used != current_) return false;
  if (used == T::kTrailer && !evidence) {
    downgrade("the server accepted an aws-chunked body without showing that it decoded it");
    return true;
  }
  if (used == T::kHeader && !evidence) {
    // The probe carried Content-MD5 as well, so its bytes were checked.
    downgrade("the server ignores x-amz-checksum headers");
    return false;
  }
  settled_ = true;
  return false;
}

bool Negotiator::is_mechanism_refusal(const s3::S3Error& e) {
  if (e.is_transport()) return false;
  if (e.http_status == 501 || e.http_status == 411) return true;
  for (const char* code : {"NotImplemented", "InvalidRequest", "InvalidArgument", "InvalidDigest",
                           "MissingContentLength", "UnexpectedContent", "InvalidEncodingType"}) {
    if (e.code == code) return true;
  }
  return false;
}

bool Negotiator::on_failure(T used, const s3::S3Error& e, bool was_probe) {
  if (was_probe) probe_in_flight_ = false;
  if (forced_) {
    if (is_mechanism_refusal(e)) forced_refused_ = true;
    return false;
  }
  // A server that does not know the streaming payload hash may fail its signature check.
  const bool refusal = is_mechanism_refusal(e) ||
                       (used == T::kTrailer && !settled_ && e.code == "SignatureDoesNotMatch");
  if (!refusal) return false;
  if (used != current_) return current_ != T::kNone;  // another request downgraded already
  std::string what = e.code.empty() ? "HTTP " + std::to_string(e.http_status) : e.code;
  switch (used) {
    case T::kTrailer:
      downgrade("the server does not take aws-chunked trailers (" + what + ")");
      break;
    case T::kHeader:
      downgrade("the server refuses x-amz-checksum headers (" + what + ")");
      break;
    case T::kContentMd5:
      downgrade("the server refuses Content-MD5 (" + what + ")");
      break;
    case T::kPayloadHash:
      downgrade("the server refuses signed payload hashes (" + what + ")");
      break;
    default:
      return false;
  }
  return current_ != T::kNone;
}

std::string Negotiator::refusal_advice(T used, const s3::S3Error& e) const {
  if (!forced_ || !is_mechanism_refusal(e)) return "";
  switch (used) {
    case T::kTrailer:
      return "the server does not take aws-chunked trailers (forced with --checksum-transport "
             "trailer): run with --checksum-transport auto to use what it accepts";
    case T::kHeader:
      return "the server refuses x-amz-checksum headers (forced with --checksum-transport "
             "header): run with --checksum-transport auto to use what it accepts";
    case T::kContentMd5:
      return "the server refuses Content-MD5 (forced): run with --checksum-transport auto";
    case T::kPayloadHash:
      return "the server refuses signed payload hashes (forced): run with --checksum-transport "
             "auto";
    default:
      return "";
  }
}

std::string Negotiator::describe() const {
  const std::string algo(integrity::algo_s3_name(algo_));
  const std::string why = reason_.empty() ? "" : " (" + reason_ + ")";
  if (forced_refused_) {
    return "none: the server refused the forced --checksum-transport " +
           std::string(integrity::transport_name(current_));
  }
  switch (current_) {
    case T::kTrailer:
      return algo + " checksums as aws-chunked trailers" +
             (echo_seen_ ? ", checked by the server"
                         : " (the server decoded them but did not echo a checksum back)") +
             why;
    case T::kHeader:
      if (forced_unconfirmed_) {
        return algo +
               " checksums in x-amz-checksum headers (forced), but the server did not "
               "confirm checking them";
      }
      return algo + " checksums in x-amz-checksum headers, checked by the server" + why;
    case T::kContentMd5:
      return "Content-MD5, checked by the server" + why;
    case T::kPayloadHash:
      return "signed SHA-256 payload hashes, checked by the server" + why;
    default:
      return algo_ == ChecksumAlgo::kNone
                 ? "none (--checksum-algorithm none): the server checked nothing"
                 : "none: the server refused every integrity mechanism" + why;
  }
}

}  // namespace s3up::transfer
