#!/usr/bin/env bash
# bench/run.sh — upload benchmarks: s3upload against aws CLI v1/v2/v2-CRT, rclone and
# s3cmd on local S3 servers (OpenStack Swift + s3api, s3rver), plus s3upload into a
# discard-everything endpoint compared with iperf3 loopback throughput, and re-runs where
# nothing changed (s3upload against aws s3 sync and rclone copy).
#
# Usage: bench/run.sh [OPTIONS]
#   --quick             small data (256 MiB file, 1,000 small files), shorter iperf3
#   --only LIST         scenarios to run, comma list of a,b,c,d (default a,b,c,d)
#                         a  one big file (1 GiB) into Swift, every tool
#                         b  5,000 x 4 KiB files (50 dirs x 100) into Swift and s3rver
#                         c  s3upload into bench/discard_server + iperf3 loopback
#                         d  no-change re-run: d1 the 5,000 files already uploaded (by the
#                            same tool, unmeasured), re-run measured: s3upload vs aws s3
#                            sync (v1, v2, v2 CRT) and rclone copy, on Swift and s3rver;
#                            d2 the 1 GiB file already uploaded by s3upload, re-run (Swift)
#   --tools LIST        tools, comma list (default all):
#                         s3upload,aws1,aws2,aws2crt,rclone,s3cmd
#   --servers LIST      servers for scenarios b and d1 (default swift,s3rver)
#   --timeout SECS      time limit of one tool run (default 1200; --quick 300)
#   --repeat N          run every row N times (fresh server each time) and report the
#                       run with the median wall time (default 1; scenario c: at least 3)
#   --bin PATH          use this s3upload binary instead of building build-bench/
#   --no-install        do not install packages
#   --keep              keep the work directory (logs, server data) under /tmp
#   -h, --help
#
# Environment: S3UPLOAD_BENCH_CACHE  where generated data is kept between runs
#              (default ~/.cache/s3upload-bench).
# Output: a markdown table on stdout, also written to bench/results/<timestamp>.md.
# Needs root (apt-get; port 80 for the aws v2 CRT rows, since CRT ignores the port).
set -uo pipefail

# The whole script is one brace group: bash parses it completely before running it, so
# editing this file while a benchmark runs cannot derail the running instance.
{
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
ROOT=$(cd "$BENCH_DIR/.." && pwd -P)
T_START=$(date +%s)

usage() { awk 'NR > 1 { if (!/^#/) exit; sub(/^# ?/, ""); print }' "$0"; }
log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# ------------------------------------------------------------------------------------
# options

QUICK=0
ONLY=a,b,c,d
ALL_TOOLS=s3upload,aws1,aws2,aws2crt,rclone,s3cmd
TOOLS=$ALL_TOOLS
SERVERS=swift,s3rver
TIMEOUT=
REPEAT=1
BIN=
INSTALL=1
KEEP=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) QUICK=1; shift ;;
    --only) ONLY=${2:?--only needs a value}; shift 2 ;;
    --only=*) ONLY=${1#*=}; shift ;;
    --tools) TOOLS=${2:?--tools needs a value}; shift 2 ;;
    --tools=*) TOOLS=${1#*=}; shift ;;
    --servers) SERVERS=${2:?--servers needs a value}; shift 2 ;;
    --servers=*) SERVERS=${1#*=}; shift ;;
    --timeout) TIMEOUT=${2:?--timeout needs a value}; shift 2 ;;
    --timeout=*) TIMEOUT=${1#*=}; shift ;;
    --repeat) REPEAT=${2:?--repeat needs a value}; shift 2 ;;
    --repeat=*) REPEAT=${1#*=}; shift ;;
    --bin) BIN=${2:?--bin needs a value}; shift 2 ;;
    --bin=*) BIN=${1#*=}; shift ;;
    --no-install) INSTALL=0; shift ;;
    --keep) KEEP=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $1" ;;
  esac
done
for t in ${TOOLS//,/ }; do
  [[ ",$ALL_TOOLS," == *",$t,"* ]] || die "unknown tool: $t (known: $ALL_TOOLS)"
done
for s in ${ONLY//,/ }; do
  [[ $s == a || $s == b || $s == c || $s == d ]] || die "unknown scenario: $s (a, b, c or d)"
done
for s in ${SERVERS//,/ }; do
  [[ $s == swift || $s == s3rver ]] || die "unknown server: $s (swift or s3rver)"
done
[[ "$REPEAT" =~ ^[1-9][0-9]*$ ]] || die "--repeat needs a positive number"
if ((QUICK)); then
  BIG_MIB=256 SMALL_N=1000 IPERF_SECS=5 TIMEOUT=${TIMEOUT:-300}
else
  BIG_MIB=1024 SMALL_N=5000 IPERF_SECS=10 TIMEOUT=${TIMEOUT:-1200}
fi
[[ "$TIMEOUT" =~ ^[1-9][0-9]*$ ]] || die "--timeout needs a positive number of seconds"
SMALL_DIRS=50
SMALL_SIZE=4096
BIG_BYTES=$((BIG_MIB * 1048576))

want_scenario() { [[ ",$ONLY," == *",$1,"* ]]; }
want_tool() { [[ ",$TOOLS," == *",$1,"* ]]; }

# Peer settings (also printed into the results).
AWS_MCR_BIG=10          # max_concurrent_requests for the big file (the CLI's default)
AWS_MCR_SMALL=16        # ... for many small files (= s3upload -c 16)
AWS_CHUNK=8MB           # multipart_threshold / multipart_chunksize (CLI defaults)
RCLONE_BIG=(--s3-upload-concurrency 8 --s3-chunk-size 16M)
RCLONE_SMALL=(--transfers 16 --checkers 16)
S3UPLOAD_SMALL=(-c 16)
S3UPLOAD_BIG=()         # defaults

# ------------------------------------------------------------------------------------
# work directory, cleanup

WORK=$(mktemp -d /tmp/s3upload-bench.XXXXXX)
mkdir -p "$WORK/logs" "$WORK/srv" "$WORK/bin" "$WORK/home" "$WORK/aws" "$WORK/xdg"
ROWS=$WORK/rows.tsv
: >"$ROWS"
SERVER_DIRS=()  # started s3-server.sh directories not yet stopped
PIDS=()         # other processes we started (process group leaders)
CHILD=          # GNU time process of the measured run in progress

# shellcheck disable=SC2317 # called from the EXIT trap
cleanup() {
  local rc=$? d p
  trap - EXIT INT TERM
  if [[ -n "$CHILD" ]]; then  # a measured tool run is in progress: stop it
    for p in $(pgrep -P "$CHILD"); do kill -TERM -- "-$p" 2>/dev/null; done
    kill -TERM "$CHILD" 2>/dev/null
    wait "$CHILD" 2>/dev/null
  fi
  for d in "${SERVER_DIRS[@]}"; do
    [[ -n "$d" && -d "$d" ]] && bash "$WORK/s3-server.sh" stop "$d" >/dev/null 2>&1
  done
  for p in "${PIDS[@]}"; do
    [[ -n "$p" ]] && kill -TERM -- "-$p" 2>/dev/null
  done
  if ((KEEP)); then
    log "work directory kept: $WORK"
  else
    rm -rf "$WORK"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Other people edit scripts/ while benchmarks run; bash reads scripts lazily, so run
# private copies.
cp "$ROOT/scripts/s3-server.sh" "$WORK/s3-server.sh"
cp "$ROOT/scripts/install-deps.sh" "$WORK/install-deps.sh"

# ------------------------------------------------------------------------------------
# install

install_packages() {
  log "installing dependencies"
  # Build dependencies and Swift.
  ( cd "$ROOT" && bash "$WORK/install-deps.sh" ) >"$WORK/logs/install-deps.log" 2>&1 ||
    { tail -n 20 "$WORK/logs/install-deps.log" >&2; die "scripts/install-deps.sh failed"; }
  # Peer tools. install-deps.sh --with-bench installs Debian's npm, which conflicts with a
  # nodejs that already brings its own npm (NodeSource); so go by the commands present.
  local need=()
  [[ -x /usr/bin/aws ]] || need+=(awscli)
  command -v rclone >/dev/null || need+=(rclone)
  command -v s3cmd >/dev/null || need+=(s3cmd)
  command -v iperf3 >/dev/null || need+=(iperf3)
  command -v node >/dev/null || need+=(nodejs)
  command -v npm >/dev/null || need+=(npm)
  [[ -x /usr/bin/time ]] || need+=(time)
  command -v g++ >/dev/null || need+=(g++)
  command -v curl >/dev/null || need+=(curl)
  if ((${#need[@]})); then
    log "apt-get install ${need[*]}"
    { DEBIAN_FRONTEND=noninteractive apt-get update &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need[@]}"; } \
      >"$WORK/logs/apt.log" 2>&1 || { tail -n 20 "$WORK/logs/apt.log" >&2; die "apt-get install failed"; }
  fi
}
((INSTALL)) && install_packages
[[ -x /usr/bin/time ]] || die "/usr/bin/time (GNU time) is missing"
command -v g++ >/dev/null || die "g++ is missing"

# ------------------------------------------------------------------------------------
# build

BUILD_NOTE=
build_s3upload() {
  local dir=$ROOT/build-bench blog=$WORK/logs/build.log flags='' i w
  # Start from the -Wno-error=... flags a previous run needed (changing CMAKE_CXX_FLAGS
  # back and forth would rebuild everything every time).
  if [[ -f "$dir/CMakeCache.txt" ]]; then
    for w in $(sed -n 's/^CMAKE_CXX_FLAGS:STRING=//p' "$dir/CMakeCache.txt"); do
      [[ "$w" == -Wno-error=* ]] && flags="${flags:+$flags }$w"
    done
  fi
  for i in 1 2 3 4; do
    log "building s3upload (Release) in build-bench/${flags:+ with CXXFLAGS=$flags}"
    if (cmake -S "$ROOT" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DS3UPLOAD_BUILD_TESTS=OFF "-DCMAKE_CXX_FLAGS=$flags" &&
      cmake --build "$dir" --target s3upload) >"$blog" 2>&1; then
      [[ -n "$flags" ]] && BUILD_NOTE="built with CXXFLAGS=\"$flags\" (GCC $(g++ -dumpversion) at -O3 reports these, and the project's -Werror stops the plain Release build)"
      return 0
    fi
    # GCC 12 at -O3 emits false-positive -Wrestrict/-Wstringop-* warnings that the
    # project's -Werror turns into errors; downgrade exactly the ones reported.
    local found=0
    for w in $(grep -o '\[-Werror=[a-z0-9-]*\]' "$blog" | sed 's/\[-Werror=\(.*\)\]/\1/' | sort -u); do
      [[ " $flags " == *" -Wno-error=$w "* ]] && continue
      flags="${flags:+$flags }-Wno-error=$w"
      found=1
    done
    ((found)) || break
    log "Release build failed on -Werror diagnostics; retrying with $flags"
  done
  tail -n 30 "$blog" >&2
  return 1
}
if [[ -n "$BIN" ]]; then
  [[ -x "$BIN" ]] || die "--bin $BIN is not an executable"
  cp "$BIN" "$WORK/bin/s3upload"
  BUILD_NOTE="binary given with --bin $BIN"
elif want_tool s3upload; then
  build_s3upload || die "building s3upload failed (log above)"
  # A private copy: others may rebuild build-bench/ while the benchmark runs.
  cp "$ROOT/build-bench/s3upload" "$WORK/bin/s3upload"
fi
S3UPLOAD=$WORK/bin/s3upload
# What was built: the commit, and whether (and how) the working tree differed from it.
COMMIT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
DIRTY=$(git -C "$ROOT" --no-optional-locks status --porcelain -- src CMakeLists.txt 2>/dev/null | wc -l)
DIFF_ID=
((DIRTY > 0)) && DIFF_ID=$(git -C "$ROOT" --no-optional-locks diff HEAD -- src CMakeLists.txt 2>/dev/null | sha256sum | cut -c1-12)

if want_scenario c; then
  log "building bench/discard_server"
  g++ -O2 -std=c++20 -pthread -o "$WORK/bin/discard_server" "$BENCH_DIR/discard_server.cpp" \
    -lcrypto >"$WORK/logs/discard-build.log" 2>&1 ||
    { cat "$WORK/logs/discard-build.log" >&2; die "building discard_server failed"; }
fi

# ------------------------------------------------------------------------------------
# data (generated once, kept in the cache)

CACHE=${S3UPLOAD_BENCH_CACHE:-$HOME/.cache/s3upload-bench}
mkdir -p "$CACHE"
BIG_FILE=$CACHE/big-${BIG_MIB}MiB.bin
SMALL_DIR=$CACHE/small-${SMALL_N}x4KiB
if [[ ! -f "$BIG_FILE" || $(stat -c %s "$BIG_FILE") != "$BIG_BYTES" ]]; then
  log "generating $BIG_FILE ($BIG_MIB MiB of random bytes)"
  if ! { head -c "$BIG_BYTES" /dev/urandom >"$BIG_FILE.tmp" && mv "$BIG_FILE.tmp" "$BIG_FILE"; }; then
    die "could not write $BIG_FILE"
  fi
fi
if [[ ! -f "$SMALL_DIR.done" ]]; then
  log "generating $SMALL_DIR ($SMALL_N files of 4 KiB in $SMALL_DIRS directories)"
  rm -rf "$SMALL_DIR"
  python3 - "$SMALL_DIR" "$SMALL_N" "$SMALL_DIRS" "$SMALL_SIZE" <<'EOF' || die "could not generate small files"
import os, sys
root, n, dirs, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
per = n // dirs
for d in range(dirs):
    p = os.path.join(root, f"d{d:02d}")
    os.makedirs(p)
    for i in range(per):
        with open(os.path.join(p, f"f{i:04d}.bin"), "wb") as f:
            f.write(os.urandom(size))
EOF
  touch "$SMALL_DIR.done"
fi
if [[ ! -s "$BIG_FILE.md5b64" || "$BIG_FILE.md5b64" -ot "$BIG_FILE" ]]; then
  openssl md5 -binary "$BIG_FILE" | base64 >"$BIG_FILE.md5b64"
fi
BIG_MD5_B64=$(cat "$BIG_FILE.md5b64")
SMALL_COUNT=$(find "$SMALL_DIR" -type f | wc -l)
SMALL_BYTES=$((SMALL_COUNT * SMALL_SIZE))
# Inputs are read from the page cache by every tool alike (24 GiB RAM here).
cat "$BIG_FILE" >/dev/null
find "$SMALL_DIR" -type f -exec cat {} + >/dev/null

# ------------------------------------------------------------------------------------
# tools

AWS1=
if command -v pyenv >/dev/null 2>&1 && pyenv which aws >/dev/null 2>&1; then
  AWS1=$(pyenv which aws)  # the real script, not the pyenv shim (shim adds ~0.1 s CPU)
elif command -v aws >/dev/null 2>&1; then
  AWS1=$(command -v aws)
fi
if [[ -n "$AWS1" ]] && ! "$AWS1" --version 2>&1 | grep -q '^aws-cli/1\.'; then
  AWS1=  # not v1
fi
AWS2=/usr/bin/aws
VERIFY_AWS=${AWS1:-$AWS2}

version_of() {
  case "$1" in
    s3upload) "$S3UPLOAD" --version 2>&1 | head -n 1 ;;
    aws1) [[ -n "$AWS1" ]] && "$AWS1" --version 2>&1 | head -n 1 ;;
    aws2 | aws2crt) [[ -x "$AWS2" ]] && "$AWS2" --version 2>&1 | head -n 1 ;;
    rclone) rclone version 2>/dev/null | head -n 1 ;;
    s3cmd) s3cmd --version 2>&1 | head -n 1 ;;
  esac
}

label_of() {
  case "$1" in
    s3upload) echo "s3upload" ;;
    aws1) echo "aws v1" ;;
    aws2) echo "aws v2 classic" ;;
    aws2crt) echo "aws v2 CRT" ;;
    rclone) echo "rclone" ;;
    s3cmd) echo "s3cmd" ;;
    *) echo "$1" ;;
  esac
}

# write_aws_config FILE MAX_CONCURRENT [crt]
write_aws_config() {
  {
    echo "[default]"
    echo "region = us-east-1"
    # botocore >= 1.36 sends CRC32 checksums; Swift's s3api wants the classic behaviour.
    echo "request_checksum_calculation = when_required"
    echo "response_checksum_validation = when_required"
    echo "s3 ="
    echo "  addressing_style = path"
    echo "  max_concurrent_requests = $2"
    echo "  multipart_threshold = $AWS_CHUNK"
    echo "  multipart_chunksize = $AWS_CHUNK"
    [[ "${3:-}" == crt ]] && echo "  preferred_transfer_client = crt"
  } >"$1"
}
write_aws_config "$WORK/aws/config-big" "$AWS_MCR_BIG"
write_aws_config "$WORK/aws/config-small" "$AWS_MCR_SMALL"
write_aws_config "$WORK/aws/config-big-crt" "$AWS_MCR_BIG" crt
write_aws_config "$WORK/aws/config-small-crt" "$AWS_MCR_SMALL" crt
: >"$WORK/aws/credentials"
: >"$WORK/rclone.conf"

# Private, clean environment for every client: no ~/.aws, no AWS_PROFILE, no CA bundle
# (rclone fails with one set), no .env above the working directory (cwd = $WORK).
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_CA_BUNDLE AWS_SESSION_TOKEN AWS_ENDPOINT_URL_S3 \
  AWS_ENDPOINT_URL S3_TARGET_PATH S3_BUCKET AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY \
  AWS_REGION AWS_DEFAULT_REGION S3_FORCE_PATH_STYLE S3UPLOAD_LOG
export AWS_SHARED_CREDENTIALS_FILE=$WORK/aws/credentials
export AWS_CONFIG_FILE=$WORK/aws/config-big
export AWS_EC2_METADATA_DISABLED=true
export RCLONE_CONFIG=$WORK/rclone.conf
cd "$WORK" || die "cannot cd to $WORK"

# ------------------------------------------------------------------------------------
# measurement helpers

# server_cpu PGID...: CPU seconds (utime+stime, plus reaped children) of every process
# in the given process groups.
server_cpu() {
  python3 - "$@" <<'EOF'
import os, sys
pgids = {int(x) for x in sys.argv[1:]}
tck = os.sysconf("SC_CLK_TCK")
total = 0
for p in os.listdir("/proc"):
    if not p.isdigit():
        continue
    try:
        with open(f"/proc/{p}/stat") as f:
            s = f.read()
    except OSError:
        continue
    fields = s[s.rindex(")") + 2:].split()
    # fields[2] = pgrp; [11..14] = utime stime cutime cstime
    if int(fields[2]) in pgids:
        total += sum(int(x) for x in fields[11:15])
print(f"{total / tck:.2f}")
EOF
}

server_pgids() { awk '$1 ~ /^[0-9]+$/ { print $1 }' "$1/pids"; }

# start_server KIND DIR [PORT]: fresh server; sets SRV_ENDPOINT SRV_KEY SRV_SECRET
# SRV_BUCKET; returns non-zero with SRV_ERR set on failure.
start_server() {
  local kind=$1 dir=$2 port=${3:-} args=()
  [[ -n "$port" ]] && args=(--port "$port")
  SERVER_DIRS+=("$dir")
  for _ in 1 2; do
    if bash "$WORK/s3-server.sh" start "$kind" "$dir" --bucket bench-bucket "${args[@]}" \
      >"$dir.start.log" 2>&1 && [[ -f "$dir/env" ]]; then
      SRV_ENDPOINT=$(sed -n 's/^AWS_ENDPOINT_URL=//p' "$dir/env")
      SRV_KEY=$(sed -n 's/^AWS_ACCESS_KEY_ID=//p' "$dir/env")
      SRV_SECRET=$(sed -n 's/^AWS_SECRET_ACCESS_KEY=//p' "$dir/env")
      SRV_BUCKET=$(sed -n 's/^S3_BUCKET=//p' "$dir/env")
      return 0
    fi
    bash "$WORK/s3-server.sh" stop "$dir" >/dev/null 2>&1
  done
  SRV_ERR="starting $kind${port:+ on port $port} failed: $(grep -m1 -E 's3-server: ' "$dir.start.log" | cut -c1-160)"
  return 1
}

stop_server() {
  local dir=$1 i
  bash "$WORK/s3-server.sh" stop "$dir" >/dev/null 2>&1
  rm -rf "$dir"
  for i in "${!SERVER_DIRS[@]}"; do
    [[ "${SERVER_DIRS[$i]}" == "$dir" ]] && unset 'SERVER_DIRS[i]'
  done
}

# verify PREFIX COUNT BYTES: lists s3://bucket/PREFIX/ and checks count and total size.
verify_upload() {
  local prefix=$1 want_n=$2 want_b=$3 out n b
  out=$(env AWS_CONFIG_FILE="$WORK/aws/config-small" AWS_ACCESS_KEY_ID="$SRV_KEY" \
    AWS_SECRET_ACCESS_KEY="$SRV_SECRET" AWS_DEFAULT_REGION=us-east-1 HOME="$WORK/home" \
    timeout 300 "$VERIFY_AWS" s3 ls "s3://$SRV_BUCKET/$prefix/" --recursive --summarize \
    --endpoint-url "$SRV_ENDPOINT" 2>&1)
  n=$(sed -n 's/.*Total Objects: *\([0-9]*\).*/\1/p' <<<"$out")
  b=$(sed -n 's/.*Total Size: *\([0-9]*\).*/\1/p' <<<"$out")
  if [[ "$n" == "$want_n" && "$b" == "$want_b" ]]; then
    VERIFY_MSG="verified $n objects, $b bytes"
    return 0
  fi
  VERIFY_MSG="listing shows ${n:-?} objects / ${b:-?} bytes, expected $want_n / $want_b$([[ -z "$n" ]] && echo ": $(tail -n 1 <<<"$out" | cut -c1-120)")"
  return 1
}

# tool_cmd TOOL SHAPE(big|small) PREFIX [XDG_DIR]: sets CMD (array) and CMD_ENV (array).
# s3upload gets XDG_CACHE_HOME=XDG_DIR/cache and XDG_STATE_HOME=XDG_DIR/state (default: a
# new empty directory under $WORK/xdg), so its hash cache and resume journals start empty:
# every measured upload is a cold run unless a caller passes the directory of an earlier run.
tool_cmd() {
  local tool=$1 shape=$2 prefix=$3 xdg=${4:-} host
  local base_env=(AWS_ACCESS_KEY_ID="$SRV_KEY" AWS_SECRET_ACCESS_KEY="$SRV_SECRET"
    AWS_DEFAULT_REGION=us-east-1 HOME="$WORK/home")
  CMD=() CMD_ENV=("${base_env[@]}")
  case "$tool" in
    s3upload)
      [[ -n "$xdg" ]] || xdg=$(mktemp -d "$WORK/xdg/run.XXXXXX")
      mkdir -p "$xdg/cache" "$xdg/state"
      CMD_ENV+=(AWS_ENDPOINT_URL="$SRV_ENDPOINT" AWS_REGION=us-east-1 S3_BUCKET="$SRV_BUCKET"
        S3_TARGET_PATH="$prefix" S3_FORCE_PATH_STYLE=true
        XDG_CACHE_HOME="$xdg/cache" XDG_STATE_HOME="$xdg/state")
      if [[ $shape == big ]]; then
        CMD=("$S3UPLOAD" --no-progress -e '*' "${S3UPLOAD_BIG[@]}" "$BIG_FILE")
      else
        CMD=("$S3UPLOAD" --no-progress -e '*' "${S3UPLOAD_SMALL[@]}" "$SMALL_DIR")
      fi
      ;;
    aws1 | aws2 | aws2crt)
      local bin=$AWS2 cfg=$WORK/aws/config-$shape
      [[ $tool == aws1 ]] && bin=$AWS1
      [[ $tool == aws2crt ]] && cfg=$WORK/aws/config-$shape-crt
      CMD_ENV+=(AWS_CONFIG_FILE="$cfg")
      if [[ $shape == big ]]; then
        CMD=("$bin" s3 cp "$BIG_FILE" "s3://$SRV_BUCKET/$prefix/$(basename "$BIG_FILE")")
      else
        CMD=("$bin" s3 cp --recursive "$SMALL_DIR" "s3://$SRV_BUCKET/$prefix/")
      fi
      CMD+=(--endpoint-url "$SRV_ENDPOINT" --only-show-errors --no-progress)
      ;;
    rclone)
      CMD_ENV+=(RCLONE_CONFIG_BENCH_TYPE=s3 RCLONE_CONFIG_BENCH_PROVIDER=Other
        RCLONE_CONFIG_BENCH_ENDPOINT="$SRV_ENDPOINT" RCLONE_CONFIG_BENCH_ACCESS_KEY_ID="$SRV_KEY"
        RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY="$SRV_SECRET" RCLONE_CONFIG_BENCH_REGION=us-east-1
        RCLONE_CONFIG_BENCH_FORCE_PATH_STYLE=true)
      if [[ $shape == big ]]; then
        CMD=(rclone copy "$BIG_FILE" "bench:$SRV_BUCKET/$prefix/" "${RCLONE_BIG[@]}")
      else
        CMD=(rclone copy "$SMALL_DIR" "bench:$SRV_BUCKET/$prefix/" "${RCLONE_SMALL[@]}")
      fi
      ;;
    s3cmd)
      host=${SRV_ENDPOINT#http://}
      cat >"$WORK/s3cfg" <<EOF
[default]
access_key = $SRV_KEY
secret_key = $SRV_SECRET
host_base = $host
host_bucket = $host
use_https = False
signature_v2 = False
bucket_location = us-east-1
progress_meter = False
EOF
      if [[ $shape == big ]]; then
        CMD=(s3cmd -c "$WORK/s3cfg" put "$BIG_FILE" "s3://$SRV_BUCKET/$prefix/")
      else
        CMD=(s3cmd -c "$WORK/s3cfg" put --recursive "$SMALL_DIR/" "s3://$SRV_BUCKET/$prefix/")
      fi
      ;;
  esac
}

tool_missing() {
  case "$1" in
    s3upload) [[ -x "$S3UPLOAD" ]] || echo "s3upload binary missing" ;;
    aws1) [[ -n "$AWS1" ]] || echo "aws CLI v1 not found on PATH" ;;
    aws2 | aws2crt) [[ -x "$AWS2" ]] || echo "/usr/bin/aws (CLI v2) missing" ;;
    rclone) command -v rclone >/dev/null || echo "rclone missing" ;;
    s3cmd) command -v s3cmd >/dev/null || echo "s3cmd missing" ;;
  esac
}

# timed LOGBASE CMD...: runs CMD under GNU time and timeout; sets T_WALL T_CPU T_RSS_KB
# T_RC. Output goes to LOGBASE.out.
timed() {
  local base=$1
  shift
  rm -f "$base.time"
  # In the background + wait, so that INT/TERM reach our trap at once (timeout runs the
  # tool in a process group of its own, which a terminal's Ctrl-C does not reach).
  /usr/bin/time -f '%e %U %S %M' -o "$base.time" \
    timeout --kill-after=10 "$TIMEOUT" "$@" >"$base.out" 2>&1 </dev/null &
  CHILD=$!
  wait "$CHILD"
  T_RC=$?
  CHILD=
  local e u s m
  read -r e u s m < <(grep -E '^[0-9.]+ [0-9.]+ [0-9.]+ [0-9]+$' "$base.time" | tail -n 1)
  T_WALL=${e:-0} T_RSS_KB=${m:-0}
  T_CPU=$(awk -v u="${u:-0}" -v s="${s:-0}" 'BEGIN { printf "%.2f", u + s }')
}

fail_reason() { # RC LOGFILE
  if (($1 == 124 || $1 == 137)); then
    echo "timed out after ${TIMEOUT}s"
  else
    echo "exit $1: $(grep -v '^[[:space:]]*$' "$2" | grep -iE 'error|fail|denied|refused|exception' | tail -n 1 | tr '|\t' '/ ' | cut -c1-160)"
  fi
}

# add_row SCENARIO SERVER TOOL STATUS WALL CPU RSS_KB SERVER_CPU BYTES FILES NOTE
add_row() {
  local IFS=$'\t'
  echo "$*" >>"$ROWS"
}

# median_pick: from lines "wall<TAB>rest" on stdin prints the rest of the median line.
median_pick() { sort -n -t $'\t' -k1,1 | awk '{ a[NR] = $0 } END { print a[int((NR + 1) / 2)] }' | cut -f2-; }

# run_row SCENARIO KIND TOOL SHAPE: one measured upload (best of --repeat by median).
run_row() {
  local scenario=$1 kind=$2 tool=$3 shape=$4 label port='' n want_n want_b missing
  label=$(label_of "$tool")
  if [[ $shape == big ]]; then want_n=1 want_b=$BIG_BYTES; else want_n=$SMALL_COUNT want_b=$SMALL_BYTES; fi
  missing=$(tool_missing "$tool")
  if [[ -n "$missing" ]]; then
    add_row "$scenario" "$kind" "$label" FAILED 0 0 0 0 "$want_b" "$want_n" "$missing"
    log "  $label: FAILED ($missing)"
    return
  fi
  # The CRT client ignores the port of --endpoint-url: serve on 80.
  [[ $tool == aws2crt ]] && port=80
  local results=() okruns=0 lastfail=''
  for ((n = 1; n <= REPEAT; n++)); do
    local id=${scenario}-${kind}-${tool}-${n} dir
    dir=$WORK/srv/$id
    if ! start_server "$kind" "$dir" "$port"; then
      lastfail=$SRV_ERR
      log "  $label run $n: FAILED ($lastfail)"
      stop_server "$dir"
      continue
    fi
    local prefix=bench/$tool-$n
    tool_cmd "$tool" "$shape" "$prefix" "$WORK/xdg/$id"
    sync
    sleep 1
    local pg before after scpu
    pg=$(server_pgids "$dir")
    # shellcheck disable=SC2086
    before=$(server_cpu $pg)
    timed "$WORK/logs/$id" env "${CMD_ENV[@]}" "${CMD[@]}"
    # shellcheck disable=SC2086
    after=$(server_cpu $pg)
    scpu=$(awk -v a="$after" -v b="$before" 'BEGIN { printf "%.2f", a - b }')
    if ((T_RC != 0)); then
      lastfail=$(fail_reason "$T_RC" "$WORK/logs/$id.out")
      for f in "$dir"/*.log; do cp "$f" "$WORK/logs/$id-server-$(basename "$f")"; done 2>/dev/null
      log "  $label run $n: FAILED ($lastfail)"
    elif ! verify_upload "$prefix" "$want_n" "$want_b"; then
      lastfail="upload incomplete: $VERIFY_MSG"
      log "  $label run $n: FAILED ($lastfail)"
    else
      results+=("$T_WALL"$'\t'"$T_CPU"$'\t'"$T_RSS_KB"$'\t'"$scpu")
      okruns=$((okruns + 1))
      log "  $label run $n: ${T_WALL}s wall, ${T_CPU}s CPU, $((T_RSS_KB / 1024)) MiB, server ${scpu}s CPU ($VERIFY_MSG)"
    fi
    stop_server "$dir"
  done
  if ((okruns == 0)); then
    add_row "$scenario" "$kind" "$label" FAILED 0 0 0 0 "$want_b" "$want_n" "$lastfail"
    return
  fi
  local pick w c r s note=''
  pick=$(printf '%s\n' "${results[@]}" | awk -F'\t' '{ print $1 "\t" $0 }' | median_pick)
  IFS=$'\t' read -r w c r s <<<"$pick"
  ((REPEAT > 1)) && note="median of $okruns runs"
  ((okruns < REPEAT)) && note="$note; $((REPEAT - okruns)) failed: $lastfail"
  add_row "$scenario" "$kind" "$label" ok "$w" "$c" "$r" "$s" "$want_b" "$want_n" "$note"
}

# ------------------------------------------------------------------------------------
# scenario d: re-runs where nothing changed

D_TOOLS=s3upload,aws1,aws2,aws2crt,rclone  # s3cmd sync is not part of scenario d

rerun_label() {
  case "$1" in
    aws1 | aws2 | aws2crt) echo "$(label_of "$1") s3 sync" ;;
    rclone) echo "rclone copy" ;;
    *) label_of "$1" ;;
  esac
}

# snapshot PREFIX FILE: the listing of s3://bucket/PREFIX/ (date, time, size, key of every
# object) sorted by key into FILE; sets SNAP_N (objects) and SNAP_B (bytes).
snapshot() {
  local prefix=$1 file=$2 rc
  env AWS_CONFIG_FILE="$WORK/aws/config-small" AWS_ACCESS_KEY_ID="$SRV_KEY" \
    AWS_SECRET_ACCESS_KEY="$SRV_SECRET" AWS_DEFAULT_REGION=us-east-1 HOME="$WORK/home" \
    timeout 300 "$VERIFY_AWS" s3 ls "s3://$SRV_BUCKET/$prefix/" --recursive \
    --endpoint-url "$SRV_ENDPOINT" >"$file.raw" 2>"$file.err"
  rc=$?
  sort -k4 "$file.raw" >"$file"
  SNAP_N=$(wc -l <"$file")
  SNAP_B=$(awk '{ s += $3 } END { printf "%.0f", s }' "$file")
  return "$rc"
}

# rerun_cmd TOOL SHAPE PREFIX XDG_DIR REPORT: sets CMD and CMD_ENV. The same command first
# seeds the prefix (unmeasured), then is measured re-running over it.
rerun_cmd() {
  local tool=$1 shape=$2 prefix=$3 xdg=$4 report=$5 src=$SMALL_DIR bin=$AWS2
  [[ $shape == big ]] && src=$BIG_FILE
  tool_cmd "$tool" "$shape" "$prefix" "$xdg"
  case "$tool" in
    s3upload)
      # -v only adds a few debug lines per run (the "hashing:" and "requests:" counts).
      CMD=("${CMD[@]:0:${#CMD[@]}-1}" -v --report "$report" "${CMD[@]: -1}")
      ;;
    aws1 | aws2 | aws2crt)
      # Without --only-show-errors: every upload would print an "upload:" line.
      [[ $tool == aws1 ]] && bin=$AWS1
      CMD=("$bin" s3 sync "$src" "s3://$SRV_BUCKET/$prefix/" --endpoint-url "$SRV_ENDPOINT"
        --no-progress)
      ;;
    rclone)
      CMD+=(-v)  # INFO lines for every file copied or whose modification time is set
      ;;
  esac
}

# run_rerun_row SCENARIO KIND TOOL SHAPE: seed with the tool, then measure the re-run and
# check that it changed nothing (best of --repeat by median, a fresh server each time).
run_rerun_row() {
  local scenario=$1 kind=$2 tool=$3 shape=$4 label port='' n want_n want_b missing
  label=$(rerun_label "$tool")
  if [[ $shape == big ]]; then want_n=1 want_b=$BIG_BYTES; else want_n=$SMALL_COUNT want_b=$SMALL_BYTES; fi
  missing=$(tool_missing "$tool")
  if [[ -n "$missing" ]]; then
    add_row "$scenario" "$kind" "$label" FAILED 0 0 0 0 "$want_b" "$want_n" "$missing"
    log "  $label: FAILED ($missing)"
    return
  fi
  [[ $tool == aws2crt ]] && port=80
  local results=() okruns=0 lastfail=''
  for ((n = 1; n <= REPEAT; n++)); do
    local id=${scenario}-${kind}-${tool}-${n} dir prefix=bench/$tool-$n seed_wall
    dir=$WORK/srv/$id
    if ! start_server "$kind" "$dir" "$port"; then
      lastfail=$SRV_ERR
      log "  $label run $n: FAILED ($lastfail)"
      stop_server "$dir"
      continue
    fi
    # Seed: the same command, same XDG directories (s3upload's hash cache stays warm).
    rerun_cmd "$tool" "$shape" "$prefix" "$WORK/xdg/$id" "$WORK/logs/$id-seed.json"
    timed "$WORK/logs/$id-seed" env "${CMD_ENV[@]}" "${CMD[@]}"
    seed_wall=$T_WALL
    if ((T_RC != 0)); then
      lastfail="seed upload: $(fail_reason "$T_RC" "$WORK/logs/$id-seed.out")"
    elif ! snapshot "$prefix" "$WORK/logs/$id-before.ls" ||
      [[ "$SNAP_N" != "$want_n" || "$SNAP_B" != "$want_b" ]]; then
      lastfail="seed upload incomplete: listing shows $SNAP_N objects / $SNAP_B bytes, expected $want_n / $want_b"
    else
      lastfail=
    fi
    if [[ -n "$lastfail" ]]; then
      for f in "$dir"/*.log; do cp "$f" "$WORK/logs/$id-server-$(basename "$f")"; done 2>/dev/null
      log "  $label run $n: FAILED ($lastfail)"
      stop_server "$dir"
      continue
    fi
    log "  $label run $n: seeded in ${seed_wall}s ($SNAP_N objects)"
    rerun_cmd "$tool" "$shape" "$prefix" "$WORK/xdg/$id" "$WORK/logs/$id.json"
    sync
    sleep 1
    local pg before after scpu out=$WORK/logs/$id.out changed='' detail='' hashed=''
    pg=$(server_pgids "$dir")
    # shellcheck disable=SC2086
    before=$(server_cpu $pg)
    timed "$WORK/logs/$id" env "${CMD_ENV[@]}" "${CMD[@]}"
    # shellcheck disable=SC2086
    after=$(server_cpu $pg)
    scpu=$(awk -v a="$after" -v b="$before" 'BEGIN { printf "%.2f", a - b }')
    if ((T_RC != 0)); then
      lastfail=$(fail_reason "$T_RC" "$out")
      for f in "$dir"/*.log; do cp "$f" "$WORK/logs/$id-server-$(basename "$f")"; done 2>/dev/null
      log "  $label run $n: FAILED ($lastfail)"
      stop_server "$dir"
      continue
    fi
    # Nothing may have changed: the same listing (a re-upload changes LastModified) ...
    if ! snapshot "$prefix" "$WORK/logs/$id-after.ls"; then
      changed="listing after the re-run failed"
    elif ! cmp -s "$WORK/logs/$id-before.ls" "$WORK/logs/$id-after.ls"; then
      changed="listing changed ($(diff "$WORK/logs/$id-before.ls" "$WORK/logs/$id-after.ls" | grep -c '^>') object(s) differ)"
    fi
    # ... and the tool's own account of what it did.
    case "$tool" in
      s3upload)
        local counts h r cu cs cf
        counts=$(python3 -c '
import json, sys
c = json.load(open(sys.argv[1]))["counts"]
print(c["uploaded"], c["skipped"], c["failed"])' "$WORK/logs/$id.json" 2>/dev/null)
        read -r cu cs cf <<<"${counts:-? ? ?}"
        h=$(sed -n 's/.*hashing: \([0-9]*\) file(s) read, \([0-9]*\) digest(s) from the hash cache.*/\1 \2/p' "$out" | tail -n 1)
        r=$(sed -n 's/.*requests: \(.*\); .*/\1/p' "$out" | tail -n 1)
        hashed=${h%% *}
        detail="report: $cu uploaded, $cs skipped, $cf failed; hashing: ${hashed:-?} file(s) read, ${h##* } digest(s) from the cache; requests: ${r:-?}"
        [[ "$cu" == 0 && "$cf" == 0 ]] || changed="${changed:+$changed; }report says $cu uploaded, $cf failed"
        ;;
      aws1 | aws2 | aws2crt)
        local u
        u=$(grep -c '^upload:' "$out")
        detail="$u \`upload:\` lines"
        ((u == 0)) || changed="${changed:+$changed; }$u upload: lines"
        ;;
      rclone)
        local u
        u=$(grep -cE 'Copied|Updated modification time' "$out")
        detail="$u Copied/Updated-modtime lines"
        ((u == 0)) || changed="${changed:+$changed; }$u Copied/Updated modification time lines"
        ;;
    esac
    if [[ -n "$changed" ]]; then
      lastfail="the re-run was no no-op (${T_WALL}s wall, ${T_CPU}s CPU): $changed"
      log "  $label run $n: FAILED ($lastfail)"
    else
      results+=("$T_WALL"$'\t'"$T_CPU"$'\t'"$T_RSS_KB"$'\t'"$scpu"$'\t'"seeded in ${seed_wall}s by the same command; re-run changed nothing (listing identical; $detail)"$'\t'"$hashed")
      okruns=$((okruns + 1))
      log "  $label run $n: ${T_WALL}s wall, ${T_CPU}s CPU, $((T_RSS_KB / 1024)) MiB, server ${scpu}s CPU ($detail)"
    fi
    stop_server "$dir"
  done
  if ((okruns == 0)); then
    add_row "$scenario" "$kind" "$label" FAILED 0 0 0 0 "$want_b" "$want_n" "$lastfail"
    return
  fi
  local pick w c r s note x
  pick=$(printf '%s\n' "${results[@]}" | awk -F'\t' '{ print $1 "\t" $0 }' | median_pick)
  IFS=$'\t' read -r w c r s note x <<<"$pick"
  ((REPEAT > 1)) && note="median of $okruns runs; $note"
  ((okruns < REPEAT)) && note="$note; $((REPEAT - okruns)) failed: $lastfail"
  add_row "$scenario" "$kind" "$label" ok "$w" "$c" "$r" "$s" "$want_b" "$want_n" "$note" "$x"
}

run_scenario_d() {
  local kind tool
  for kind in ${SERVERS//,/ }; do
    log "scenario d1: re-run over $SMALL_COUNT files of 4 KiB already in $kind"
    for tool in ${TOOLS//,/ }; do
      [[ ",$D_TOOLS," == *",$tool,"* ]] || continue
      log " d1 / $kind / $(rerun_label "$tool")"
      run_rerun_row d1 "$kind" "$tool" small
    done
  done
  if want_tool s3upload; then
    log "scenario d2: s3upload re-run over the ${BIG_MIB} MiB file already in swift"
    run_rerun_row d2 swift s3upload big
  fi
}

# ------------------------------------------------------------------------------------
# scenario c: discard server + iperf3

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

IPERF_BPS=
run_scenario_c() {
  log "scenario c: s3upload into discard_server, iperf3 loopback"
  local dpid port="" i n results=() rc
  : >"$WORK/discard.port"
  setsid "$WORK/bin/discard_server" --port-file "$WORK/discard.port" \
    >"$WORK/logs/discard.log" 2>&1 </dev/null &
  dpid=$!
  PIDS+=("$dpid")
  for ((i = 0; i < 100; i++)); do
    port=$(cat "$WORK/discard.port" 2>/dev/null)
    [[ -n "$port" ]] && break
    sleep 0.05
  done
  local reps=$((REPEAT < 3 ? 3 : REPEAT))
  if [[ -z "$port" ]]; then
    add_row c discard s3upload FAILED 0 0 0 0 "$BIG_BYTES" 1 "discard_server did not start"
  else
    SRV_ENDPOINT=http://127.0.0.1:$port SRV_KEY=bench SRV_SECRET=bench SRV_BUCKET=bench-bucket
    local stats0 stats1 got before after scpu lastfail='' label
    # s3upload twice: defaults (with a cold cache that includes the whole-file BLAKE3 stored
    # as metadata), and --metadata-checksum none (the transport checksum only).
    for tool in s3upload s3upload-nometa curl; do
      [[ $tool == s3upload* ]] && ! want_tool s3upload && continue
      results=()
      for ((n = 1; n <= reps; n++)); do
        stats0=$(curl -s "$SRV_ENDPOINT/__stats" | sed 's/.*"body_bytes":\([0-9]*\).*/\1/')
        if [[ $tool == s3upload ]]; then
          tool_cmd s3upload big "bench/s3upload-$n" "$WORK/xdg/c-$tool-$n"
          label=s3upload
        elif [[ $tool == s3upload-nometa ]]; then
          tool_cmd s3upload big "bench/s3upload-nometa-$n" "$WORK/xdg/c-$tool-$n"
          CMD=("${CMD[@]:0:${#CMD[@]}-1}" --metadata-checksum none "${CMD[@]: -1}")
          label="s3upload --metadata-checksum none"
        else
          # Reference: one plain unsigned PUT of the same file by curl (no hashing).
          CMD_ENV=(HOME="$WORK/home")
          # Content-MD5 (computed once, untimed) lets the server discard without hashing.
          CMD=(curl -sS -f -o /dev/null -H "Content-MD5: $BIG_MD5_B64" -T "$BIG_FILE"
            "$SRV_ENDPOINT/bench-bucket/curl-$n")
          label="curl -T (reference)"
        fi
        before=$(server_cpu "$dpid")
        timed "$WORK/logs/c-$tool-$n" env "${CMD_ENV[@]}" "${CMD[@]}"
        after=$(server_cpu "$dpid")
        scpu=$(awk -v a="$after" -v b="$before" 'BEGIN { printf "%.2f", a - b }')
        stats1=$(curl -s "$SRV_ENDPOINT/__stats" | sed 's/.*"body_bytes":\([0-9]*\).*/\1/')
        got=$((stats1 - stats0))
        if ((T_RC != 0)); then
          lastfail=$(fail_reason "$T_RC" "$WORK/logs/c-$tool-$n.out")
          log "  $label run $n: FAILED ($lastfail)"
        elif ((got < BIG_BYTES)); then
          lastfail="server received only $got of $BIG_BYTES bytes"
          log "  $label run $n: FAILED ($lastfail)"
        else
          results+=("$T_WALL"$'\t'"$T_CPU"$'\t'"$T_RSS_KB"$'\t'"$scpu")
          log "  $label run $n: ${T_WALL}s wall, ${T_CPU}s CPU, $((T_RSS_KB / 1024)) MiB, server ${scpu}s CPU (received $got bytes)"
        fi
      done
      if ((${#results[@]} == 0)); then
        add_row c discard "$label" FAILED 0 0 0 0 "$BIG_BYTES" 1 "$lastfail"
      else
        local pick w c r s
        pick=$(printf '%s\n' "${results[@]}" | awk -F'\t' '{ print $1 "\t" $0 }' | median_pick)
        IFS=$'\t' read -r w c r s <<<"$pick"
        add_row c discard "$label" ok "$w" "$c" "$r" "$s" "$BIG_BYTES" 1 "median of ${#results[@]} runs"
      fi
    done
  fi
  kill -TERM -- "-$dpid" 2>/dev/null
  wait "$dpid" 2>/dev/null

  # iperf3 loopback: one server for one test, one client stream for IPERF_SECS.
  local iport ipid
  iport=$(free_port)
  setsid iperf3 -s -1 -B 127.0.0.1 -p "$iport" >"$WORK/logs/iperf3-server.log" 2>&1 </dev/null &
  ipid=$!
  PIDS+=("$ipid")
  for ((i = 0; i < 50; i++)); do
    ss -ltn 2>/dev/null | grep -q "127.0.0.1:$iport " && break
    sleep 0.1
  done
  timed "$WORK/logs/iperf3" iperf3 -c 127.0.0.1 -p "$iport" -t "$IPERF_SECS" -J
  rc=$T_RC
  IPERF_BPS=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(int(d["end"]["sum_received"]["bits_per_second"]))' "$WORK/logs/iperf3.out" 2>/dev/null)
  if ((rc != 0)) || [[ -z "$IPERF_BPS" ]]; then
    add_row c loopback iperf3 FAILED 0 0 0 0 0 0 "$(fail_reason "$rc" "$WORK/logs/iperf3.out")"
    IPERF_BPS=
  else
    local ibytes
    ibytes=$(awk -v b="$IPERF_BPS" -v t="$IPERF_SECS" 'BEGIN { printf "%.0f", b / 8 * t }')
    add_row c loopback "iperf3 (1 stream, ${IPERF_SECS}s)" ok "$IPERF_SECS" "$T_CPU" "$T_RSS_KB" "" "$ibytes" 0 "client CPU = iperf3 client only"
    log "  iperf3: $(awk -v b="$IPERF_BPS" 'BEGIN { printf "%.2f Gbit/s", b / 1e9 }')"
  fi
  kill -TERM -- "-$ipid" 2>/dev/null
  wait "$ipid" 2>/dev/null
}

# ------------------------------------------------------------------------------------
# run

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
log "work dir $WORK; data: $BIG_FILE, $SMALL_DIR ($SMALL_COUNT files); timeout ${TIMEOUT}s per run"

want_scenario c && run_scenario_c

if want_scenario a; then
  log "scenario a: one ${BIG_MIB} MiB file into Swift"
  for tool in ${TOOLS//,/ }; do
    log " a / swift / $(label_of "$tool")"
    run_row a swift "$tool" big
  done
fi

if want_scenario b; then
  for kind in ${SERVERS//,/ }; do
    log "scenario b: $SMALL_COUNT files of 4 KiB into $kind"
    for tool in ${TOOLS//,/ }; do
      log " b / $kind / $(label_of "$tool")"
      run_row b "$kind" "$tool" small
    done
  done
fi

want_scenario d && run_scenario_d

LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
T_END=$(date +%s)

# ------------------------------------------------------------------------------------
# report

STAMP=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$BENCH_DIR/results"
OUT=$BENCH_DIR/results/$STAMP$( ((QUICK)) && echo -quick).md

{
  echo "# s3upload benchmark $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "- commit: \`$COMMIT\`$( ((DIRTY > 0)) && echo " + uncommitted changes in $DIRTY file(s) under src/ at build time (diff sha256 $DIFF_ID)")"
  [[ -n "$BUILD_NOTE" ]] && echo "- build: $BUILD_NOTE"
  echo "- mode: $( ((QUICK)) && echo quick || echo full); scenarios $ONLY; timeout ${TIMEOUT}s per run; repeat $REPEAT"
  echo "- data: 1 file of $BIG_MIB MiB (random); $SMALL_COUNT files of 4 KiB in $SMALL_DIRS directories; all in page cache"
  echo "- machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(uname -sr); load average before $LOAD_BEFORE, after $LOAD_AFTER"
  echo "- total runtime: $((T_END - T_START)) s"
  echo "- versions:"
  for t in ${TOOLS//,/ }; do
    [[ $t == aws2crt ]] && continue
    v=$(version_of "$t" 2>/dev/null)
    echo "  - $(label_of "$t"): ${v:-not available}"
  done
  echo
} >"$OUT"

python3 - "$ROWS" "$IPERF_BPS" >>"$OUT" <<'EOF'
import sys

rows = []
with open(sys.argv[1]) as f:
    for line in f:
        p = line.rstrip("\n").split("\t")
        p += [""] * (12 - len(p))
        rows.append(dict(zip(
            ["scenario", "server", "tool", "status", "wall", "cpu", "rss", "scpu", "bytes",
             "files", "note", "extra"], p)))
iperf_bps = float(sys.argv[2]) if len(sys.argv) > 2 and sys.argv[2] else None

def num(x):
    try:
        return float(x)
    except ValueError:
        return None

base = {}
for r in rows:
    if r["tool"] == "s3upload" and r["status"] == "ok":
        base[(r["scenario"], r["server"])] = r

def rate(r):
    w, b, n = num(r["wall"]), num(r["bytes"]), num(r["files"])
    if not w:
        return ""
    if r["scenario"].startswith("d"):  # re-runs: files checked per second
        return f"{n / w:.0f} files/s checked" if n and n > 1 else ""
    if n and n > 1:
        return f"{n / w:.0f} files/s"
    return f"{b / w / 1048576:.0f} MiB/s"

def ratio(a, b):
    a, b = num(a), num(b)
    if a is None or not b:
        return ""
    return f"{a / b:.2f}"

names = {"a": "a: 1 big file", "b": "b: small files", "c": "c: discard",
         "d1": "d1: re-run, small files", "d2": "d2: re-run, 1 big file"}
print("| scenario | server | tool | wall s | client CPU s | peak RSS MiB | server CPU s | rate "
      "| wall ratio s3upload/peer | CPU ratio s3upload/peer | notes |")
print("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
for r in rows:
    sc = names.get(r["scenario"], r["scenario"])
    if r["status"] != "ok":
        print(f"| {sc} | {r['server']} | {r['tool']} | FAILED | | | | | | | {r['note']} |")
        continue
    b = base.get((r["scenario"], r["server"]))
    wr = cr = ""
    if b and not r["tool"].startswith("s3upload") and r["server"] != "loopback":
        wr, cr = ratio(b["wall"], r["wall"]), ratio(b["cpu"], r["cpu"])
    rss = num(r["rss"])
    print(f"| {sc} | {r['server']} | {r['tool']} | {num(r['wall']):.2f} | {num(r['cpu']):.2f} | "
          f"{rss / 1024:.0f} | {r['scpu'] or '–'} | {rate(r)} | {wr} | {cr} | {r['note']} |")
print()
print("Ratios are s3upload ÷ peer in the same scenario and server: below 1 means s3upload "
      "took less wall time / less client CPU.")
for tool, what in (("s3upload", "s3upload"),
                  ("s3upload --metadata-checksum none", "s3upload --metadata-checksum none")):
    d = next((r for r in rows if r["scenario"] == "c" and r["tool"] == tool and r["status"] == "ok"), None)
    if d and iperf_bps:
        s3 = num(d["bytes"]) / num(d["wall"])
        ip = iperf_bps / 8
        print()
        print(f"**{what} into the discard server: {s3 / 1048576:.0f} MiB/s "
              f"({s3 * 8 / 1e9:.2f} Gbit/s); iperf3 loopback: {ip / 1048576:.0f} MiB/s "
              f"({iperf_bps / 1e9:.2f} Gbit/s); ratio s3upload / iperf3 = {s3 / ip:.3f}.**")

# Scenario d: the issue's bars.
servers = []
for r in rows:
    if r["scenario"] == "d1" and r["server"] not in servers:
        servers.append(r["server"])
for srv in servers:
    b = base.get(("d1", srv))
    syncs = [r for r in rows if r["scenario"] == "d1" and r["server"] == srv
             and r["tool"].endswith("s3 sync") and r["status"] == "ok"]
    print()
    if not b:
        print(f"**d1 ({srv}): no s3upload result, no ratio.**")
        continue
    if not syncs:
        print(f"**d1 ({srv}): no aws s3 sync result to compare with.**")
        continue
    rs = [(r["tool"], num(b["wall"]) / num(r["wall"])) for r in syncs]
    met = all(x <= 0.5 for _, x in rs)
    print(f"**d1 ({srv}): s3upload re-run wall ÷ aws s3 sync wall: "
          + ", ".join(f"{t.replace(' s3 sync', '')} {x:.2f}" for t, x in rs)
          + f" — bar ≤ 0.5: {'met' if met else 'NOT met'}"
          + ("" if met else " (" + ", ".join(t.replace(' s3 sync', '') for t, x in rs if x > 0.5) + ")")
          + f"; s3upload hashed {b['extra'] or '?'} file(s).**")
d2 = next((r for r in rows if r["scenario"] == "d2" and r["tool"] == "s3upload"), None)
if d2:
    print()
    if d2["status"] != "ok":
        print(f"**d2: s3upload re-run FAILED: {d2['note']}**")
    else:
        cpu, hashed = num(d2["cpu"]), d2["extra"]
        print(f"**d2: s3upload re-run over the {num(d2['bytes']) / 1048576:.0f} MiB file: "
              f"{num(d2['wall']):.2f} s wall, {cpu:.2f} s client CPU (bar < 0.1 s: "
              f"{'met' if cpu < 0.1 else 'NOT met'}); {hashed or '?'} file(s) hashed (bar 0: "
              f"{'met' if hashed == '0' else 'NOT met'}).**")
EOF

{
  echo
  echo "Settings:"
  # The binary's own defaults for the big file (multipart threshold, part size, requests).
  s3u_defaults=$("$S3UPLOAD" --help 2>/dev/null | grep -oE -- '--(multipart-threshold|part-size|max-requests|max-concurrent) [A-Z]+=[0-9A-Za-z]+' | sed 's/ [A-Z]*=/=/' | paste -sd' ')
  echo "- s3upload: \`--no-progress -e '*'\`; big file: defaults${S3UPLOAD_BIG[*]:+ ${S3UPLOAD_BIG[*]}}${s3u_defaults:+ (\`$s3u_defaults\`)}; small files: \`${S3UPLOAD_SMALL[*]}\`"
  echo "- s3upload cold runs: every s3upload upload run gets its own empty \`XDG_CACHE_HOME\` and \`XDG_STATE_HOME\` (\`<work dir>/xdg/<run>/{cache,state}\`), so no measured upload finds digests in the local hash cache or a resume journal of an earlier run (before this, all runs shared \`HOME\` and so one hash cache); only scenario d's measured re-run reuses the directories of its own seed upload (warm cache, as a user's second run would)"
  if want_scenario c; then
    echo "- scenario c: s3upload twice, defaults (cold cache: includes a BLAKE3 of the whole file, stored as \`x-amz-meta-s3upload-blake3\`) and with \`--metadata-checksum none\` (transport checksum only); curl and iperf3 as references"
  fi
  if want_scenario d; then
    echo "- scenario d: every row on a freshly started server; the prefix is first seeded (unmeasured) by the same command that is then measured re-running over it: s3upload \`--no-progress -e '*' ${S3UPLOAD_SMALL[*]} -v --report FILE DIR\` (d2: without \`${S3UPLOAD_SMALL[*]}\`, on the $BIG_MIB MiB file, multipart) with the same XDG directories; aws v1 / v2 / v2 CRT \`s3 sync DIR s3://bucket/prefix/ --no-progress\` (small-file config above; sync skips a file whose size is equal and whose local mtime is not newer than the object's LastModified); rclone \`copy ${RCLONE_SMALL[*]} -v\` (size + modification time, read from each object's \`X-Amz-Meta-Mtime\` by HEAD). s3cmd is not part of it. A re-run counts only if it changed nothing: the listing (date, size, key of every object) is identical before and after, s3upload's report says 0 uploaded / 0 failed, aws printed no \`upload:\` line, rclone no Copied / Updated modification time line. Rate = files checked per second"
  fi
  echo "- aws v1 / v2 classic: \`s3 cp\` (small files: \`s3 cp --recursive\`), config: addressing_style = path, max_concurrent_requests = $AWS_MCR_BIG (big) / $AWS_MCR_SMALL (small), multipart_threshold = multipart_chunksize = $AWS_CHUNK, request_checksum_calculation = response_checksum_validation = when_required"
  echo "- aws v2 CRT: same config + preferred_transfer_client = crt; server on 127.0.0.1:80 (CRT ignores the endpoint port)"
  echo "- rclone: \`copy\`; big file: \`${RCLONE_BIG[*]}\`; small files: \`${RCLONE_SMALL[*]}\`; provider Other, force_path_style"
  echo "- s3cmd: \`put\` (small files: \`put --recursive\`), defaults (sequential; multipart_chunk_size_mb = 15)"
  echo "- every run: a freshly started server, its own prefix, \`sync\` + 1 s pause before; wall/CPU/RSS from GNU time (client incl. children; RSS = largest process), server CPU = utime+stime of all processes in the server's process groups (from /proc, before/after); each upload verified by listing (object count and total bytes)"
} >>"$OUT"

cat "$OUT"
log "results written to ${OUT#"$ROOT"/}"
exit 0
}
