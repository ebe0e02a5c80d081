#!/usr/bin/env bash
# Start and stop a local S3 server on 127.0.0.1 for integration tests and benchmarks.
#
# Usage:
#   scripts/s3-server.sh start swift|moto|s3rver DIR [--bucket NAME] [--port PORT]
#   scripts/s3-server.sh stop DIR
#   scripts/s3-server.sh restart DIR
#   scripts/s3-server.sh env DIR
#
# start  Stops whatever is recorded in DIR, wipes DIR, picks free ports on 127.0.0.1,
#        writes all configuration into DIR, starts the server in the background (logs in
#        DIR/*.log, process groups in DIR/pids), waits until the S3 API answers, creates
#        the bucket (default s3upload-test) and writes DIR/env (KEY=VALUE lines:
#        S3_SERVER_KIND AWS_ENDPOINT_URL AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
#        AWS_REGION S3_BUCKET S3_FORCE_PATH_STYLE).
#        --port sets the S3 endpoint port (default: a free port).
#        Exit 0: server answers and the bucket exists.
#        Exit 77: the server software is not installed; DIR/unavailable holds the reason.
#        Other: failure; everything started has been stopped again.
# stop   Stops every process started for DIR (TERM, then KILL). Always exits 0.
# restart
#        Stops every process of DIR (as stop does) and starts the same servers again with
#        the same configuration, ports, keys and data (DIR is not wiped; logs are appended
#        to), as recorded by start in DIR/commands; waits until the S3 API answers and the
#        bucket is usable again. For tests of a server that goes away and comes back.
#        Exit 0: the server answers again. Exit 2: DIR holds no server started by start,
#        or its kind keeps its data only in memory (moto), so nothing could come back.
#        Other: failure (e.g. a port was taken meanwhile); everything started has been
#        stopped again, DIR keeps its configuration and data (restart may be retried).
# env    Prints DIR/env (exit 77 if DIR/unavailable, 1 if there is no env).
#
# Servers (all bound to 127.0.0.1):
#   swift   OpenStack Swift + s3api (Debian packages): memcached, account, container,
#           object (2 workers) and proxy (2 workers) servers, rings and swift.conf in DIR
#           (/etc/swift is not used). Keys test:tester / testing.
#   moto    moto_server; keys created through its IAM API at start.
#   s3rver  npm s3rver@3.7.1 (installed once into ~/.cache/s3upload/s3rver). Keys
#           S3RVER / S3RVER (not checked).
#
# Environment:
#   S3_SERVER_TIMEOUT              seconds to wait for the server (default 60)
#   S3_SERVER_SWIFT_MAX_FILE_SIZE  Swift's largest single object / part in bytes
#                                  (default 5368709122 = 5 GiB + 2, Swift's default; S3
#                                  allows 5 GiB per PUT or part, any size via multipart)
set -euo pipefail

PROG=s3-server
READY_TIMEOUT=${S3_SERVER_TIMEOUT:-60}
SWIFT_MAX_FILE_SIZE=${S3_SERVER_SWIFT_MAX_FILE_SIZE:-5368709122}
REGION=us-east-1
S3RVER_VERSION=3.7.1
MARKER=.s3-server-dir

usage() {
  sed -n '3,8p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

msg() { echo "$PROG: $*" >&2; }

# ---------------------------------------------------------------------------------------
# Process handling. Every server runs in its own session (setsid), so its process group
# id equals the pid recorded in DIR/pids and includes all worker processes. Each process
# also carries S3_SERVER_DIR=<DIR> in its environment, so stop can find strays even if a
# recorded pid has been reused or a worker left its group.

# Prints the pids of processes whose environment has S3_SERVER_DIR=$1.
marked_pids() {
  local f pid
  # One grep over all processes (zombies have an empty environ and do not match).
  while read -r f; do
    pid=${f#/proc/}
    pid=${pid%/environ}
    [[ "$pid" != "$$" && "$pid" != "$BASHPID" ]] && echo "$pid"
  done < <(grep -lzxF -- "S3_SERVER_DIR=$1" /proc/[0-9]*/environ 2>/dev/null)
  return 0
}

# Is process group $1 one of ours (some member carries the marker)?
group_is_ours() {
  local pgid=$1 dir=$2 pid
  for pid in $(pgrep -g "$pgid" 2>/dev/null); do
    if grep -qzxF -- "S3_SERVER_DIR=$dir" "/proc/$pid/environ" 2>/dev/null; then
      return 0
    fi
  done
  return 1
}

# Sends signal $1 to everything of DIR $2; returns 0 if anything was still alive.
signal_all() {
  local sig=$1 dir=$2 alive=1 pgid pid _name
  if [[ -f "$dir/pids" ]]; then
    while read -r pgid _name; do
      [[ "$pgid" =~ ^[0-9]+$ ]] || continue
      if group_is_ours "$pgid" "$dir"; then
        kill "-$sig" -- "-$pgid" 2>/dev/null && alive=0
      fi
    done <"$dir/pids"
  fi
  for pid in $(marked_pids "$dir"); do
    kill "-$sig" "$pid" 2>/dev/null && alive=0
  done
  return $alive
}

stop_dir() {
  local dir=$1 i
  [[ -d "$dir" ]] || return 0
  dir=$(cd "$dir" && pwd -P)
  signal_all TERM "$dir" || return 0
  for ((i = 0; i < 50; i++)); do # up to 5 s
    sleep 0.1
    signal_all 0 "$dir" || return 0
  done
  signal_all KILL "$dir" || return 0
  for ((i = 0; i < 20; i++)); do
    sleep 0.1
    signal_all 0 "$dir" || return 0
  done
  msg "warning: some processes of $dir survived SIGKILL"
  return 0
}

# spawn NAME LOGFILE CMD...: runs CMD in a new session with output appended to LOGFILE,
# records "PGID NAME" in DIR/pids and (unless RESTARTING=1) the command, shell-quoted, in
# DIR/commands for restart.
spawn() {
  local name=$1 log=$2 pidfile i
  shift 2
  pidfile="$DIR/.pid.$name"
  rm -f "$pidfile"
  # The inner shell writes its own pid (= session and process group id, since setsid
  # may fork) and then execs the server.
  # shellcheck disable=SC2016 # $$ and $0 are expanded by the inner shell
  S3_SERVER_DIR="$DIR" setsid sh -c 'echo $$ >"$0.tmp" && mv "$0.tmp" "$0" && exec "$@"' \
    "$pidfile" "$@" >>"$log" 2>&1 </dev/null &
  for ((i = 0; i < 100; i++)); do
    [[ -s "$pidfile" ]] && break
    sleep 0.05
  done
  if [[ ! -s "$pidfile" ]]; then
    fail "could not start $name" "$log"
  fi
  echo "$(cat "$pidfile") $name" >>"$DIR/pids"
  rm -f "$pidfile"
  PROCS+=("$name")
  LAST_LOG=$log
  if ((!RESTARTING)); then
    {
      printf '%q ' "$name" "$log" "$@"
      echo
    } >>"$DIR/commands"
  fi
}

# Is the process group recorded for NAME still alive?
alive() {
  local pgid
  pgid=$(awk -v n="$1" '$2 == n { print $1 }' "$DIR/pids" | tail -n 1)
  [[ -n "$pgid" ]] && kill -0 -- "-$pgid" 2>/dev/null
}

# ---------------------------------------------------------------------------------------
# start helpers

STARTED=0 # set once processes may be running for $DIR
SUCCEEDED=0
PROCS=()     # names of the processes spawned
RESTARTING=0 # restart: spawn the recorded commands again, keep DIR/env on failure
LAST_LOG=    # log file of the process spawned last

cleanup_on_exit() {
  local rc=$?
  if ((STARTED && !SUCCEEDED)); then
    stop_dir "$DIR"
    ((RESTARTING)) || rm -f "$DIR/env"
  fi
  exit "$rc"
}

# fail MESSAGE [LOGFILE]: one clear line, the tail of the log, stop, exit 1.
fail() {
  msg "$1"
  if [[ -n "${2:-}" && -s "$2" ]]; then
    echo "---- last lines of $2 ----" >&2
    tail -n 25 "$2" >&2
    echo "----" >&2
  elif [[ -n "${2:-}" ]]; then
    echo "($2 is empty)" >&2
  fi
  exit 1
}

# unavailable MESSAGE: the server software is missing; exit 77 (CTest: SKIP_RETURN_CODE).
unavailable() {
  msg "$1; skipping"
  echo "$1" >"$DIR/unavailable"
  exit 77
}

# pick_ports N: prints N distinct free TCP ports on 127.0.0.1.
pick_ports() {
  python3 - "$1" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
for s in socks:
    s.close()
EOF
}

port_is_free() {
  python3 - "$1" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
EOF
}

# urlencode STRING: percent-encodes everything but unreserved characters.
urlencode() {
  local s=$1 out='' c i
  for ((i = 0; i < ${#s}; i++)); do
    c=${s:i:1}
    case "$c" in
      [a-zA-Z0-9._~-]) out+=$c ;;
      *) out+=$(printf '%%%02X' "'$c") ;;
    esac
  done
  printf '%s' "$out"
}

EMPTY_SHA256=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855

# s3curl ACCESS SECRET SERVICE URL CURL-ARGS...: curl with an AWS SigV4 signature. Prints
# the body, then the HTTP status on its own last line.
# curl splits --user at the first colon, and Swift's access key "test:tester" has one, so
# the credentials go percent-encoded into the URL's userinfo, which curl decodes.
# curl 7.88 does not send x-amz-content-sha256 by itself (Swift's s3api requires it);
# given as a header it is signed too. All requests made here have empty S3 payloads.
s3curl() {
  local access=$1 secret=$2 service=$3 url=$4
  shift 4
  url="${url%%://*}://$(urlencode "$access"):$(urlencode "$secret")@${url#*://}"
  local hdr=()
  [[ $service == s3 ]] && hdr=(-H "x-amz-content-sha256: $EMPTY_SHA256")
  curl -sS --max-time 20 --aws-sigv4 "aws:amz:$REGION:$service" "${hdr[@]}" \
    -w '\n%{http_code}\n' "$@" "$url"
}

# http_status OUTPUT: the last line printed by s3curl.
http_status() { tail -n 1 <<<"$1"; }

# wait_until DESCRIPTION LOGFILE COMMAND...: retries COMMAND (every 0.25 s) until it
# succeeds, a spawned process dies or READY_TIMEOUT passes. COMMAND prints why it failed.
# Exit status 2 from COMMAND is a permanent failure: no retry.
wait_until() {
  local what=$1 log=$2 deadline name last rc
  shift 2
  deadline=$((SECONDS + READY_TIMEOUT))
  while :; do
    rc=0
    last=$("$@" 2>&1) || rc=$?
    ((rc == 0)) && return 0
    last=$(head -c 400 <<<"$last" | tr '\n' ' ')
    ((rc == 2)) && fail "$KIND: $what failed: $last" "$log"
    for name in "${PROCS[@]}"; do
      alive "$name" || fail "$KIND: $name exited while waiting for $what" "$DIR/$name.log"
    done
    ((SECONDS < deadline)) ||
      fail "$KIND: $what did not happen within ${READY_TIMEOUT}s (last attempt: $last)" "$log"
    sleep 0.25
  done
}

# Signed S3 request helpers (use ACCESS_KEY / SECRET_KEY / ENDPOINT).
s3_status() { # METHOD PATH -> prints the HTTP status
  local out method=(-X "$1")
  [[ $1 == HEAD ]] && method=(-I)
  out=$(s3curl "$ACCESS_KEY" "$SECRET_KEY" s3 "$ENDPOINT$2" -o /dev/null "${method[@]}" 2>/dev/null) || true
  http_status "$out"
}
s3_list_ok() {
  local out
  out=$(s3curl "$ACCESS_KEY" "$SECRET_KEY" s3 "$ENDPOINT/" 2>&1) || true
  [[ $(http_status "$out") == 200 ]] && return 0
  echo "$out"
  return 1
}

# 5xx or no answer: worth a retry (exit 1); anything else unexpected: permanent (exit 2).
retry_or_fail() { # STATUS OUTPUT
  echo "HTTP $1: $2"
  [[ $1 == 000 || $1 == 5* ]] && return 1
  return 2
}

try_create_bucket() {
  local out status
  out=$(s3curl "$ACCESS_KEY" "$SECRET_KEY" s3 "$ENDPOINT/$BUCKET" -X PUT 2>&1) || true
  status=$(http_status "$out")
  case "$status" in
    200 | 409) return 0 ;; # 409: BucketAlreadyOwnedByYou / BucketAlreadyExists
    *) retry_or_fail "$status" "$out" ;;
  esac
}

# PUT and DELETE an empty object: proves that the whole data path (for Swift: proxy,
# account, container and object servers) answers.
probe_object() {
  local url="$ENDPOINT/$BUCKET/.s3-server-probe" out status
  out=$(s3curl "$ACCESS_KEY" "$SECRET_KEY" s3 "$url" -X PUT --data-binary '' 2>&1) || true
  status=$(http_status "$out")
  [[ $status == 200 ]] || { retry_or_fail "$status" "PUT $out"; return; }
  out=$(s3curl "$ACCESS_KEY" "$SECRET_KEY" s3 "$url" -X DELETE 2>&1) || true
  status=$(http_status "$out")
  [[ $status == 204 || $status == 200 ]] || { retry_or_fail "$status" "DELETE $out"; return; }
}

# finish_start LOGFILE: waits for the S3 API, creates the bucket and checks it.
finish_start() {
  # The first requests can race the workers: retry a signed listing until it answers.
  wait_until "a signed ListBuckets answering 200" "$1" s3_list_ok
  wait_until "creating bucket $BUCKET" "$1" try_create_bucket
  wait_until "a test object PUT+DELETE in bucket $BUCKET" "$1" probe_object
  [[ $(s3_status HEAD "/$BUCKET") == 200 ]] ||
    fail "$KIND: bucket $BUCKET does not exist after creating it" "$1"
}

write_env() {
  cat >"$DIR/env.tmp" <<EOF
S3_SERVER_KIND=$KIND
AWS_ENDPOINT_URL=$ENDPOINT
AWS_ACCESS_KEY_ID=$ACCESS_KEY
AWS_SECRET_ACCESS_KEY=$SECRET_KEY
AWS_REGION=$REGION
S3_BUCKET=$BUCKET
S3_FORCE_PATH_STYLE=true
EOF
  mv "$DIR/env.tmp" "$DIR/env"
}

# ---------------------------------------------------------------------------------------
# swift

# Python interpreter that can import swift (the one in the scripts' shebang).
swift_python() {
  local bin line
  bin=$(command -v swift-proxy-server) || return 1
  line=$(head -n 1 "$bin")
  line=${line#\#!}
  line=${line# }
  # shellcheck disable=SC2086 # the shebang may be "/usr/bin/env python3"
  set -- $line
  "$@" -c 'import swift.common.wsgi' 2>/dev/null || return 1
  echo "$*"
}

start_swift() {
  local p mc_port acct_port cont_port obj_port py user srv
  for p in swift-proxy-server swift-account-server swift-container-server \
    swift-object-server swift-ring-builder; do
    command -v "$p" >/dev/null 2>&1 || unavailable "$p is not installed"
  done
  command -v memcached >/dev/null 2>&1 || unavailable "memcached is not installed"
  py=$(swift_python) || unavailable "the swift python package is not importable"
  [[ "$SWIFT_MAX_FILE_SIZE" =~ ^[0-9]+$ ]] ||
    fail "swift: S3_SERVER_SWIFT_MAX_FILE_SIZE is not a number: $SWIFT_MAX_FILE_SIZE"
  user=$(id -un)

  read -r mc_port acct_port cont_port obj_port p <<<"$(pick_ports 5)"
  PORT=${PORT:-$p}
  ENDPOINT="http://127.0.0.1:$PORT"
  ACCESS_KEY=test:tester
  SECRET_KEY=testing

  mkdir -p "$DIR/srv/node/d1"

  # swift.conf: Swift always reads /etc/swift/swift.conf (no variable or option moves
  # it), so the servers are started through a small launcher that points
  # swift.common.utils.SWIFT_CONF_FILE at DIR/swift.conf before anything reads it. That
  # keeps the setup independent of /etc/swift (which may be missing or customised).
  cat >"$DIR/swift.conf" <<EOF
[swift-hash]
swift_hash_path_suffix = s3upload-test-suffix
swift_hash_path_prefix = s3upload-test-prefix

[storage-policy:0]
name = Policy-0
default = yes

[swift-constraints]
# Largest single object (S3: single PUT / one part). Swift's default is 5 GiB + 2, like
# S3's 5 GiB limit; larger objects go through multipart uploads (SLO manifests).
max_file_size = $SWIFT_MAX_FILE_SIZE
EOF
  cat >"$DIR/swift-server.py" <<'EOF'
# Launcher: run a Swift WSGI server with swift.conf taken from argv[1].
import sys

swift_conf, server_type = sys.argv[1], sys.argv[2]
del sys.argv[1:3]

from swift.common import utils

utils.SWIFT_CONF_FILE = swift_conf
from swift.common import constraints, storage_policy

constraints.reload_constraints()
storage_policy.reload_storage_policies()
utils.validate_configuration()

from swift.common.wsgi import run_wsgi

conf_file, options = utils.parse_options()
kwargs = {}
if server_type == "object-server":
    from swift.obj import server

    kwargs["global_conf_callback"] = server.global_conf_callback
sys.exit(run_wsgi(conf_file, server_type, **kwargs, **options))
EOF

  # Rings: one device d1 per ring, 2^8 partitions, 1 replica. These are the
  # swift-ring-builder commands "create 8 1 1", "add r1z1-127.0.0.1:PORT/d1 1" and
  # "rebalance", run through the CLI's main() in one interpreter (3x faster than 9
  # separate swift-ring-builder processes).
  # shellcheck disable=SC2086 # $py may be "/usr/bin/env python3"
  if ! $py - "$DIR" "$acct_port" "$cont_port" "$obj_port" >"$DIR/rings.log" 2>&1 <<'EOF'
import os, sys
from swift.cli.ringbuilder import main

d = sys.argv[1]
for ring, port in zip(("account", "container", "object"), sys.argv[2:5]):
    builder = os.path.join(d, ring + ".builder")
    for args in (["create", "8", "1", "1"], ["add", "r1z1-127.0.0.1:%s/d1" % port, "1"],
                 ["rebalance"]):
        print("swift-ring-builder", builder, *args, flush=True)
        try:
            main(["swift-ring-builder", builder] + args)
        except SystemExit as e:  # 0 = success, 1 = finished with warnings
            if e.code not in (None, 0, 1):
                sys.exit("swift-ring-builder %s %s failed (exit %s)" % (ring, args[0], e.code))
    if not os.path.getsize(os.path.join(d, ring + ".ring.gz")):
        sys.exit("no %s.ring.gz" % ring)
EOF
  then
    fail "swift: building the rings failed" "$DIR/rings.log"
  fi

  local common
  common="devices = $DIR/srv/node
mount_check = false
bind_ip = 127.0.0.1
user = $user
swift_dir = $DIR
disable_fallocate = true
# fail fast when a port was taken meanwhile (default: retry binding for 30 s)
bind_timeout = 5
log_level = INFO
# not /dev/log: keep test traffic out of the system log (the servers log to stderr)
log_address = $DIR/no-syslog"

  cat >"$DIR/account-server.conf" <<EOF
[DEFAULT]
$common
bind_port = $acct_port
workers = 1
log_name = account-server

[pipeline:main]
pipeline = account-server

[app:account-server]
use = egg:swift#account
EOF
  cat >"$DIR/container-server.conf" <<EOF
[DEFAULT]
$common
bind_port = $cont_port
workers = 1
log_name = container-server

[pipeline:main]
pipeline = container-server

[app:container-server]
use = egg:swift#container
EOF
  cat >"$DIR/object-server.conf" <<EOF
[DEFAULT]
$common
bind_port = $obj_port
workers = 2
log_name = object-server

[pipeline:main]
pipeline = object-server

[app:object-server]
use = egg:swift#object
EOF
  cat >"$DIR/proxy-server.conf" <<EOF
[DEFAULT]
bind_ip = 127.0.0.1
bind_port = $PORT
workers = 2
user = $user
swift_dir = $DIR
log_name = proxy-server
bind_timeout = 5
log_level = INFO
log_address = $DIR/no-syslog

[pipeline:main]
pipeline = catch_errors gatekeeper healthcheck proxy-logging cache listing_formats bulk s3api tempauth copy slo dlo versioned_writes symlink proxy-logging proxy-server

[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true

[filter:catch_errors]
use = egg:swift#catch_errors

[filter:gatekeeper]
use = egg:swift#gatekeeper

[filter:healthcheck]
use = egg:swift#healthcheck

[filter:proxy-logging]
use = egg:swift#proxy_logging

[filter:cache]
use = egg:swift#memcache
memcache_servers = 127.0.0.1:$mc_port

[filter:listing_formats]
use = egg:swift#listing_formats

[filter:bulk]
use = egg:swift#bulk

[filter:s3api]
use = egg:swift#s3api
location = us-east-1
s3_acl = false
# S3 allows 10000 parts; Swift's default is 1000 (must not exceed slo's
# max_manifest_segments).
max_upload_part_num = 10000

[filter:tempauth]
use = egg:swift#tempauth
user_test_tester = testing .admin

[filter:copy]
use = egg:swift#copy

[filter:slo]
use = egg:swift#slo
max_manifest_segments = 10000

[filter:dlo]
use = egg:swift#dlo

[filter:versioned_writes]
use = egg:swift#versioned_writes

[filter:symlink]
use = egg:swift#symlink
EOF

  # memcached refuses to run as root without -u.
  local mc_user=()
  ((EUID == 0)) && mc_user=(-u "$user")
  spawn memcached "$DIR/memcached.log" memcached -l 127.0.0.1 -p "$mc_port" -U 0 -m 64 \
    "${mc_user[@]}"
  for srv in account container object proxy; do
    # -v: log to stderr, i.e. DIR/$srv.log (log_address names no socket, so the syslog
    # handler falls back to UDP to localhost:514, which nothing needs to receive).
    # shellcheck disable=SC2086 # $py may be "/usr/bin/env python3"
    spawn "$srv" "$DIR/$srv.log" $py "$DIR/swift-server.py" "$DIR/swift.conf" \
      "$srv-server" "$DIR/$srv-server.conf" -v
  done

  finish_start "$DIR/proxy.log"
}

# ---------------------------------------------------------------------------------------
# moto

# moto_iam ACTION PARAMS...: an IAM query API call (answered without authentication
# while INITIAL_NO_AUTH_ACTION_COUNT lasts; signed with dummy keys so moto routes it to
# IAM by the credential scope).
moto_iam() {
  local action=$1 out status
  shift
  local args=(--data-urlencode "Action=$action" --data-urlencode "Version=2010-05-08")
  local kv
  for kv in "$@"; do args+=(--data-urlencode "$kv"); done
  out=$(s3curl AKIAIOSFODNN7EXAMPLE dummysecret iam "$ENDPOINT/" -X POST "${args[@]}" 2>&1) || true
  status=$(http_status "$out")
  if [[ "$status" != 200 ]]; then
    fail "moto: IAM $action failed (HTTP $status): $(head -c 600 <<<"$out" | tr '\n' ' ')" "$DIR/moto.log"
  fi
  sed '$d' <<<"$out"
}

moto_up() { curl -sSf --max-time 5 -o /dev/null "$ENDPOINT/moto-api/data.json"; }

start_moto() {
  command -v moto_server >/dev/null 2>&1 || unavailable "moto_server is not installed"
  # A pyenv shim exists for every version's scripts; make sure it really runs.
  moto_server --help >/dev/null 2>&1 || unavailable "moto_server is not installed (moto_server --help fails)"
  PORT=${PORT:-$(pick_ports 1)}
  ENDPOINT="http://127.0.0.1:$PORT"

  spawn moto "$DIR/moto.log" env INITIAL_NO_AUTH_ACTION_COUNT=3 \
    moto_server -H 127.0.0.1 -p "$PORT"
  wait_until "moto_server answering" "$DIR/moto.log" moto_up

  local user=s3upload policy out
  policy='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}'
  moto_iam CreateUser "UserName=$user" >/dev/null
  moto_iam PutUserPolicy "UserName=$user" "PolicyName=allow-all" "PolicyDocument=$policy" >/dev/null
  out=$(moto_iam CreateAccessKey "UserName=$user")
  ACCESS_KEY=$(sed -n 's:.*<AccessKeyId>\([^<]*\)</AccessKeyId>.*:\1:p' <<<"$out" | head -n 1)
  SECRET_KEY=$(sed -n 's:.*<SecretAccessKey>\([^<]*\)</SecretAccessKey>.*:\1:p' <<<"$out" | head -n 1)
  if [[ -z "$ACCESS_KEY" || -z "$SECRET_KEY" ]]; then
    fail "moto: could not parse the access key from CreateAccessKey: $(head -c 600 <<<"$out" | tr '\n' ' ')" "$DIR/moto.log"
  fi
  finish_start "$DIR/moto.log"
}

# ---------------------------------------------------------------------------------------
# s3rver

s3rver_up() { curl -sSf --max-time 5 -o /dev/null "$ENDPOINT/"; }

start_s3rver() {
  command -v node >/dev/null 2>&1 || unavailable "node is not installed"
  local cache=${XDG_CACHE_HOME:-$HOME/.cache}/s3upload/s3rver
  local js=$cache/node_modules/s3rver/bin/s3rver.js
  if [[ ! -f "$js" ]]; then
    command -v npm >/dev/null 2>&1 || unavailable "npm is not installed"
    mkdir -p "$cache"
    msg "installing s3rver@$S3RVER_VERSION into $cache"
    # Serialise concurrent installs; the lock fd is not inherited by the servers.
    if ! (
      flock 9
      [[ -f "$js" ]] || (cd "$cache" && npm install --no-audit --no-fund --loglevel=error \
        "s3rver@$S3RVER_VERSION")
    ) 9>"$cache/.lock" >"$DIR/npm-install.log" 2>&1 || [[ ! -f "$js" ]]; then
      tail -n 25 "$DIR/npm-install.log" >&2 || true
      unavailable "s3rver is not installed (npm install s3rver@$S3RVER_VERSION failed)"
    fi
  fi
  PORT=${PORT:-$(pick_ports 1)}
  ENDPOINT="http://127.0.0.1:$PORT"
  ACCESS_KEY=S3RVER
  SECRET_KEY=S3RVER
  mkdir -p "$DIR/data"
  # Without --no-vhost-buckets list pagination answers 500.
  spawn s3rver "$DIR/s3rver.log" node --openssl-legacy-provider "$js" -d "$DIR/data" \
    -a 127.0.0.1 -p "$PORT" --no-vhost-buckets --silent
  wait_until "s3rver answering" "$DIR/s3rver.log" s3rver_up
  finish_start "$DIR/s3rver.log"
}

# ---------------------------------------------------------------------------------------

# Resolves $1 to an absolute path in DIR (creating it).
prepare_dir() {
  local dir=$1
  if [[ -d "$dir" ]]; then
    if [[ -n "$(ls -A "$dir")" && ! -e "$dir/$MARKER" ]]; then
      msg "refusing to wipe $dir: it is not empty and was not created by $PROG"
      exit 2
    fi
    stop_dir "$dir"
    rm -rf "$dir"
  fi
  mkdir -p "$dir"
  DIR=$(cd "$dir" && pwd -P)
  touch "$DIR/$MARKER" "$DIR/pids"
}

cmd_start() {
  [[ $# -ge 2 ]] || usage
  KIND=$1
  local dir=$2
  shift 2
  BUCKET=s3upload-test
  PORT=
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --bucket) [[ $# -ge 2 ]] || usage; BUCKET=$2; shift 2 ;;
      --bucket=*) BUCKET=${1#*=}; shift ;;
      --port) [[ $# -ge 2 ]] || usage; PORT=$2; shift 2 ;;
      --port=*) PORT=${1#*=}; shift ;;
      *) msg "unknown argument: $1"; usage ;;
    esac
  done
  case "$KIND" in swift | moto | s3rver) ;; *) msg "unknown server kind: $KIND"; usage ;; esac
  if [[ -n "$PORT" && ! "$PORT" =~ ^[0-9]+$ ]]; then msg "bad port: $PORT"; usage; fi
  [[ "$BUCKET" =~ ^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$ ]] || { msg "bad bucket name: $BUCKET"; exit 2; }
  for tool in curl python3 setsid pgrep; do
    command -v "$tool" >/dev/null 2>&1 || { msg "$tool is required"; exit 1; }
  done

  prepare_dir "$dir"
  if [[ -n "$PORT" ]] && ! port_is_free "$PORT"; then
    fail "$KIND: port $PORT on 127.0.0.1 is already in use"
  fi
  STARTED=1
  trap cleanup_on_exit EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM

  # A port picked as free can be taken by someone else before the server binds it: then
  # start again with new ports (not when --port was given).
  local t0=$SECONDS attempt rc
  for attempt in 1 2 3; do
    set +e
    (
      set -e
      "start_$KIND"
      write_env
    )
    rc=$?
    set -e
    ((rc == 0)) && break
    if ((rc == 77)) || [[ -n "$PORT" ]] || ((attempt == 3)) ||
      ! grep -qs -e 'Address already in use' -e 'EADDRINUSE' -e 'Could not bind' "$DIR"/*.log; then
      exit "$rc"
    fi
    msg "$KIND: a port was taken meanwhile; retrying with other ports"
    stop_dir "$DIR"
    find "$DIR" -mindepth 1 -maxdepth 1 ! -name "$MARKER" -exec rm -rf {} +
    touch "$DIR/pids"
  done
  SUCCEEDED=1
  local endpoint
  endpoint=$(sed -n 's/^AWS_ENDPOINT_URL=//p' "$DIR/env")
  msg "$KIND is up at $endpoint (bucket $BUCKET) after $((SECONDS - t0))s; env in $DIR/env"
}

# env_value KEY: the value of KEY in DIR/env.
env_value() { sed -n "s/^$1=//p" "$DIR/env" | tail -n 1; }

cmd_restart() {
  [[ $# -eq 1 ]] || usage
  local dir=$1 t0=$SECONDS line args
  if [[ ! -d "$dir" || ! -e "$dir/$MARKER" ]]; then
    msg "$dir holds no server started by $PROG (use start)"
    exit 2
  fi
  DIR=$(cd "$dir" && pwd -P)
  if [[ ! -f "$DIR/env" || ! -s "$DIR/commands" ]]; then
    msg "nothing to restart in $DIR: no env or no recorded commands (use start)"
    exit 2
  fi
  KIND=$(env_value S3_SERVER_KIND)
  ENDPOINT=$(env_value AWS_ENDPOINT_URL)
  ACCESS_KEY=$(env_value AWS_ACCESS_KEY_ID)
  SECRET_KEY=$(env_value AWS_SECRET_ACCESS_KEY)
  BUCKET=$(env_value S3_BUCKET)
  if [[ $KIND == moto ]]; then
    msg "moto keeps its buckets and keys only in memory: a restart would not bring them back (use start)"
    exit 2
  fi
  for tool in curl python3 setsid pgrep; do
    command -v "$tool" >/dev/null 2>&1 || { msg "$tool is required"; exit 1; }
  done
  stop_dir "$DIR"
  : >"$DIR/pids"
  RESTARTING=1
  STARTED=1
  trap cleanup_on_exit EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  while IFS= read -r line; do
    [[ -n "$line" ]] || continue
    eval "args=($line)"
    spawn "${args[@]}"
  done <"$DIR/commands"
  finish_start "$LAST_LOG"
  SUCCEEDED=1
  msg "$KIND is up again at $ENDPOINT (bucket $BUCKET) after $((SECONDS - t0))s"
}

main() {
  [[ $# -ge 1 ]] || usage
  local cmd=$1
  shift
  case "$cmd" in
    start) cmd_start "$@" ;;
    restart) cmd_restart "$@" ;;
    stop)
      [[ $# -eq 1 ]] || usage
      stop_dir "$1" || true
      exit 0
      ;;
    env)
      [[ $# -eq 1 ]] || usage
      if [[ -f "$1/env" ]]; then
        cat "$1/env"
      elif [[ -f "$1/unavailable" ]]; then
        msg "no server in $1: $(cat "$1/unavailable")"
        exit 77
      else
        msg "no server environment in $1 (no $1/env)"
        exit 1
      fi
      ;;
    -h | --help | help) usage ;;
    *) msg "unknown command: $cmd"; usage ;;
  esac
}

main "$@"
