// Which integrity mechanism an endpoint accepts, learnt once per run from the first data
// requests (S3-compatible stores differ: Swift's s3api answers 501 to aws-chunked bodies and
// ignores x-amz-checksum-* headers; some stores keep aws-chunked framing as data).
//
// Auto order for a checksum algorithm with an x-amz-checksum header:
//   trailer (one read pass) → header (probe also sends Content-MD5) → the fallback:
//   the signed SHA-256 payload hash where the CPU hashes SHA-256 in hardware, else
//   Content-MD5 (each of these two falls back to the other).
// A mechanism counts as accepted only with evidence that the server understood it: for a
// trailer, the server echoes our checksum or its ETag is the MD5 of the payload (a store that
// kept the framing has a different ETag); for a header, the echo. Until then, data requests
// go one at a time (the engine asks `may_send`), so a refusal costs one request.
// Pure logic: no I/O, unit-tested.
#pragma once

#include <string>

#include "integrity/checksum.hpp"
#include "s3/error.hpp"

namespace s3up::transfer {

class Negotiator {
 public:
  // forced != kAuto: that mechanism from the start (still downgraded? no: a refusal fails).
  Negotiator(integrity::ChecksumAlgo algo, integrity::ChecksumTransport forced, bool sha256_fast);

  integrity::ChecksumTransport current() const { return current_; }
  integrity::ChecksumAlgo algo() const { return algo_; }
  bool settled() const { return settled_; }

  // Whether a data request may start now: always once settled; before, one at a time.
  bool may_send() const { return settled_ || !probe_in_flight_; }
  // The engine starts a data request with current(); returns whether it is the probe.
  bool begin();
  // The request sent with `used` succeeded. evidence: the server demonstrably handled it (see
  // above). Returns true when the request must be sent again with current() (the bytes may
  // be stored wrongly: a trailer the server did not understand).
  bool on_success(integrity::ChecksumTransport used, bool evidence, bool was_probe);
  // The request sent with `used` failed with e. Returns true when e means the mechanism is
  // not supported and the request should be sent again with current() (now downgraded).
  bool on_failure(integrity::ChecksumTransport used, const s3::S3Error& e, bool was_probe);

  // The user-facing line: what protected the bytes, e.g. "CRC32C trailers (aws-chunked),
  // checked by the server", with why when it fell back.
  std::string describe() const;
  // A refusal reason for describe(): "the server does not take aws-chunked trailers".
  const std::string& fallback_reason() const { return reason_; }

  // Whether e looks like a refusal of the mechanism rather than of the data.
  static bool is_mechanism_refusal(const s3::S3Error& e);
  // The server echoed our checksum back (it computed it over what it stored).
  void note_echo() { echo_seen_ = true; }
  // For a forced mechanism the server refused: what to do about it, one clause
  // ("the server does not take aws-chunked trailers: run with --checksum-transport auto ...");
  // "" otherwise.
  std::string refusal_advice(integrity::ChecksumTransport used, const s3::S3Error& e) const;

 private:
  void downgrade(std::string why);
  integrity::ChecksumTransport after(integrity::ChecksumTransport t) const;

  integrity::ChecksumAlgo algo_;
  bool forced_;
  bool sha256_fast_;
  integrity::ChecksumTransport current_;
  bool settled_ = false;
  bool probe_in_flight_ = false;
  bool tried_md5_ = false, tried_payload_ = false;
  bool echo_seen_ = false;
  bool forced_refused_ = false;      // a forced mechanism was refused by the server
  bool forced_unconfirmed_ = false;  // a forced header was accepted without an echo
  std::string reason_;
};

}  // namespace s3up::transfer
