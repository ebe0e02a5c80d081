#!/usr/bin/env bash
# Self-test for tests/tools/fault_proxy.py.
#
# Usage: tests/tools/test_fault_proxy.sh
#
# Starts a real S3 server (scripts/s3-server.sh: Swift, or moto if Swift is missing;
# FAULT_PROXY_TEST_SERVER=moto forces moto) and a small stdlib "echo" upstream, puts a
# fault_proxy in front of each, and checks through curl and Python's stdlib clients:
#   - SigV4-signed requests pass unchanged (PUT/GET/HEAD answered 200, 404 relayed),
#     and the exact request head (odd spacing, case, duplicate headers) reaches upstream;
#   - every action: respond, drop_after_request_bytes, drop_before_response,
#     stall (seconds and forever), replace_response (a 200-with-error
#     CompleteMultipartUpload), flip_byte, delay_request; skip/times/-1, method,
#     path/query/header matching; runtime plan replacement and /__proxy/stats;
#   - chunked request bodies (extensions, trailers) pass verbatim; chunked, HEAD, 204
#     and close-delimited responses; client keep-alive and upstream connection reuse;
#     Expect: 100-continue; 40 concurrent connections;
#   - a 50 MiB PUT passes byte-identical (GET back, sha256) with the proxy's peak RSS
#     (VmHWM) under 60 MB; throughput to S3 and to the echo upstream is printed;
#   - SIGTERM stops the proxies with exit status 0.
# Prints "N passed, N failed"; exits 0 if all passed, 77 if no S3 server software is
# installed, 1 otherwise. Everything started is stopped at the end.
# Conditions passed to "check ... eval" are single-quoted on purpose (expanded when run).
# shellcheck disable=SC2016,SC2034
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PY=/usr/bin/python3
[[ -x $PY ]] || PY=python3
PROXY_PY="$HERE/fault_proxy.py"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/fault-proxy-test.XXXXXX")
S3DIR="$WORK/s3"
PIDS=()
PASSED=0
FAILED=0

cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do
    kill "$pid" 2>/dev/null
  done
  for pid in "${PIDS[@]}"; do
    wait "$pid" 2>/dev/null
  done
  "$ROOT/scripts/s3-server.sh" stop "$S3DIR" >/dev/null 2>&1
  if ((FAILED == 0)) && [[ -z ${KEEP_WORK:-} ]]; then
    rm -rf "$WORK"
  else
    echo "work directory kept: $WORK" >&2
  fi
}
trap cleanup EXIT

ok() {
  PASSED=$((PASSED + 1))
  echo "ok   - $*"
}
bad() {
  FAILED=$((FAILED + 1))
  echo "FAIL - $*"
}
# check DESCRIPTION COMMAND...: passes if COMMAND succeeds.
check() {
  local desc=$1
  shift
  if "$@"; then ok "$desc"; else bad "$desc"; fi
}
now() { echo "$EPOCHREALTIME"; }
elapsed_since() { $PY -c 'import sys; print(f"{float(sys.argv[2]) - float(sys.argv[1]):.3f}")' "$1" "$(now)"; }
ge() { $PY -c 'import sys; sys.exit(0 if float(sys.argv[1]) >= float(sys.argv[2]) else 1)' "$1" "$2"; }
lt() { $PY -c 'import sys; sys.exit(0 if float(sys.argv[1]) < float(sys.argv[2]) else 1)' "$1" "$2"; }
contains() { grep -qF -- "$2" "$1"; }

# start_proxy NAME HOST:PORT [ARGS...]: starts a proxy, sets ${NAME}_PORT and ${NAME}_PID.
start_proxy() {
  local name=$1 up=$2 i
  shift 2
  rm -f "$WORK/$name.port"
  $PY "$PROXY_PY" --upstream "$up" --port-file "$WORK/$name.port" --log "$WORK/$name.log" \
    --listen-port 0 "$@" 2>"$WORK/$name.err" &
  local pid=$!
  PIDS+=("$pid")
  for ((i = 0; i < 100; i++)); do
    [[ -s "$WORK/$name.port" ]] && break
    sleep 0.05
  done
  if [[ ! -s "$WORK/$name.port" ]]; then
    bad "proxy $name did not write its port file"
    cat "$WORK/$name.err" >&2
    exit 1
  fi
  printf -v "${name}_PORT" '%s' "$(cat "$WORK/$name.port")"
  printf -v "${name}_PID" '%s' "$pid"
}

# plan PORT JSON: replaces the plan of the proxy on PORT.
plan() {
  local code
  code=$(curl -sS -o "$WORK/plan.out" -w '%{http_code}' --data-binary "$2" \
    -H 'Content-Type: application/json' "http://127.0.0.1:$1/__proxy/plan")
  if [[ $code != 200 ]]; then
    bad "setting plan failed ($code): $(cat "$WORK/plan.out")"
    return 1
  fi
}

# pstat PORT PYTHON-EXPR: evaluates EXPR with d = the proxy's /__proxy/stats JSON.
pstat() {
  curl -sS "http://127.0.0.1:$1/__proxy/stats" |
    $PY -c 'import json, sys; d = json.load(sys.stdin); print(eval(sys.argv[1]))' "$2"
}

# lastlog NAME PYTHON-EXPR [PATH-SUBSTRING]: EXPR with e = the last log entry of proxy
# NAME (whose path contains PATH-SUBSTRING).
lastlog() {
  $PY - "$WORK/$1.log" "$2" "${3:-}" <<'EOF'
import json, sys
entries = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
entries = [e for e in entries if sys.argv[3] in e["path"]]
e = entries[-1] if entries else {}
print(eval(sys.argv[2]))
EOF
}

sha256() { sha256sum "$1" | cut -d' ' -f1; }
md5b64() { openssl dgst -md5 -binary "$1" | base64; }
EMPTY_SHA256=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855

# s3 PORT PATH PAYLOAD-SHA256 CURL-ARGS...: signed request; sets CODE and RC, body in
# $WORK/body, response headers in $WORK/headers.
s3() {
  local port=$1 path=$2 hash=$3
  shift 3
  CODE=$(curl -sS -o "$WORK/body" -D "$WORK/headers" -w '%{http_code}' \
    --aws-sigv4 "aws:amz:$AWS_REGION:s3" -H "x-amz-content-sha256: $hash" "$@" \
    "http://$CRED@127.0.0.1:$port$path" 2>"$WORK/curl.err")
  RC=$?
}

urlencode() {
  $PY -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"
}

# ---------------------------------------------------------------------------------------
echo "# work directory: $WORK"

# Echo upstream: answers every request with JSON about what it received (head bytes,
# body sha256 decoded and as on the wire, requests seen on this connection).
cat >"$WORK/echo_upstream.py" <<'EOF'
import base64, hashlib, json, os, socketserver, sys, time, urllib.parse

class Handler(socketserver.StreamRequestHandler):
    def handle(self):
        n = 0
        while True:
            head = b""
            while True:
                line = self.rfile.readline(65537)
                if not line:
                    return
                if not head and line == b"\r\n":
                    continue
                head += line
                if line == b"\r\n":
                    break
            n += 1
            lines = head.decode("latin-1").split("\r\n")
            method, target, _ = lines[0].split(" ")
            hdrs = {}
            for l in lines[1:]:
                if l:
                    k, _, v = l.partition(":")
                    hdrs.setdefault(k.strip().lower(), v.strip())
            if hdrs.get("expect", "").lower() == "100-continue":
                self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
                self.wfile.flush()
            data_h, wire_h, nbytes = hashlib.sha256(), hashlib.sha256(), 0

            def body(rem):
                nonlocal nbytes
                while rem:
                    d = self.rfile.read(min(rem, 1 << 20))
                    if not d:
                        raise EOFError
                    data_h.update(d)
                    wire_h.update(d)
                    nbytes += len(d)
                    rem -= len(d)

            try:
                if "chunked" in hdrs.get("transfer-encoding", "").lower():
                    while True:
                        line = self.rfile.readline()
                        wire_h.update(line)
                        size = int(line.split(b";")[0], 16)
                        if size == 0:
                            while True:
                                t = self.rfile.readline()
                                wire_h.update(t)
                                if t in (b"\r\n", b""):
                                    break
                            break
                        body(size)
                        wire_h.update(self.rfile.readline())
                else:
                    body(int(hdrs.get("content-length", "0")))
            except (EOFError, ValueError):
                return
            path, _, query = target.partition("?")
            q = urllib.parse.parse_qs(query)
            info = {"method": method, "path": path, "query": query, "bytes": nbytes,
                    "sha256": data_h.hexdigest(), "wire_sha256": wire_h.hexdigest(),
                    "head_b64": base64.b64encode(head).decode(), "conn_requests": n}
            out = (json.dumps(info) + "\n").encode()
            if path == "/sleep":
                time.sleep(float(q.get("s", ["1"])[0]))
            w = self.wfile
            if path == "/chunked":
                w.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                        b"Transfer-Encoding: chunked\r\n\r\n")
                for i in range(0, len(out), 7):
                    piece = out[i:i + 7]
                    w.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                w.write(b"0\r\n\r\n")
            elif path == "/close":
                w.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n" + out)
                w.flush()
                return
            elif path == "/nocontent":
                w.write(b"HTTP/1.1 204 No Content\r\n\r\n")
            else:
                w.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                        b"Content-Length: %d\r\n\r\n" % len(out))
                if method != "HEAD":
                    w.write(out)
            w.flush()

class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

srv = Server(("127.0.0.1", 0), Handler)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.replace(sys.argv[1] + ".tmp", sys.argv[1])
srv.serve_forever()
EOF

$PY "$WORK/echo_upstream.py" "$WORK/echo_upstream.port" 2>"$WORK/echo_upstream.err" &
PIDS+=($!)
for ((i = 0; i < 100; i++)); do
  [[ -s "$WORK/echo_upstream.port" ]] && break
  sleep 0.05
done
[[ -s "$WORK/echo_upstream.port" ]] || { bad "echo upstream did not start"; exit 1; }
ECHO_UP=$(cat "$WORK/echo_upstream.port")

# S3 server.
KIND=${FAULT_PROXY_TEST_SERVER:-swift}
"$ROOT/scripts/s3-server.sh" start "$KIND" "$S3DIR" >"$WORK/s3-start.log" 2>&1
rc=$?
if [[ $rc == 77 && $KIND == swift ]]; then
  KIND=moto
  "$ROOT/scripts/s3-server.sh" start "$KIND" "$S3DIR" >"$WORK/s3-start.log" 2>&1
  rc=$?
fi
if [[ $rc == 77 ]]; then
  echo "SKIP: no S3 server software installed: $(cat "$S3DIR/unavailable" 2>/dev/null)"
  exit 77
elif [[ $rc != 0 ]]; then
  cat "$WORK/s3-start.log" >&2
  bad "could not start the $KIND S3 server"
  exit 1
fi
set -a
# shellcheck disable=SC1091
source "$S3DIR/env"
set +a
S3_UP=${AWS_ENDPOINT_URL#http://}
CRED="$(urlencode "$AWS_ACCESS_KEY_ID"):$(urlencode "$AWS_SECRET_ACCESS_KEY")"
B=/$S3_BUCKET
echo "# S3 server: $KIND at $AWS_ENDPOINT_URL, echo upstream at 127.0.0.1:$ECHO_UP"

start_proxy S3P "$S3_UP"
start_proxy ECHOP "127.0.0.1:$ECHO_UP"
P=$S3P_PORT
E=$ECHOP_PORT
echo "# proxies: S3 127.0.0.1:$P (pid $S3P_PID), echo 127.0.0.1:$E (pid $ECHOP_PID)"

# ---------------------------------------------------------------------------------------
echo "# transparent forwarding"
printf 'hello through the proxy\n' >"$WORK/small"
SMALL_SHA=$(sha256 "$WORK/small")
s3 "$P" "$B/ft-pass" "$SMALL_SHA" -T "$WORK/small"
check "signed PUT through the proxy: 200 (got $CODE, curl $RC)" test "$CODE" = 200
s3 "$P" "$B/ft-pass" "$EMPTY_SHA256"
check "GET through the proxy: 200, same bytes" eval '[[ $CODE == 200 ]] && cmp -s "$WORK/body" "$WORK/small"'
s3 "$P" "$B/ft-pass" "$EMPTY_SHA256" -I
check "HEAD through the proxy: 200 (got $CODE)" test "$CODE" = 200
s3 "$P" "$B/ft-missing" "$EMPTY_SHA256"
check "404 NoSuchKey relayed (got $CODE)" eval '[[ $CODE == 404 ]] && contains "$WORK/body" NoSuchKey'
check "log: last entry is the HEAD, nothing forwarded, no action" \
  test "$(lastlog S3P '(e["method"], e["request_bytes"], e["bytes_forwarded"], e["status"], e["action"])' ft-pass)" \
  = "('HEAD', 0, 0, 200, None)"
$PY - "$WORK/S3P.log" <<'EOF' || bad "log: PUT entry wrong"
import json, sys
e = [json.loads(l) for l in open(sys.argv[1]) if '"PUT"' in l][0]
assert (e["request_bytes"], e["bytes_forwarded"], e["status"], e["upstream_status"]) == (24, 24, 200, 200), e
EOF

# Exact head + chunked request verbatim + upstream connection reuse (echo upstream).
if $PY - "$E" <<'EOF'; then ok "request head byte-identical upstream; chunked body (extension, trailer) verbatim; upstream connection reused"; else bad "exact head / chunked passthrough"; fi
import base64, hashlib, json, socket, sys
port = int(sys.argv[1])
s = socket.create_connection(("127.0.0.1", port), timeout=10)
f = s.makefile("rb")
def response():
    status = f.readline()
    hdrs = {}
    while True:
        l = f.readline()
        if l == b"\r\n":
            break
        k, _, v = l.decode().partition(":")
        hdrs[k.strip().lower()] = v.strip()
    return status, hdrs, f.read(int(hdrs["content-length"]))
head = (b"PUT /echo?b=%2F&a=1 HTTP/1.1\r\nHost: Example.Invalid:1234\r\n"
        b"X-Odd:   spaced \t value\r\nx-dup: 1\r\nX-Dup: 2\r\n"
        b"Authorization: AWS4-HMAC-SHA256 Credential=x/20240101/us-east-1/s3/aws4_request\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n")
body = b"5;ext=1\r\nhello\r\n10\r\n" + b"x" * 16 + b"\r\n0\r\nX-Trailer: t\r\n\r\n"
s.sendall(head + body)
st, h, b = response()
info = json.loads(b)
assert st.startswith(b"HTTP/1.1 200"), st
assert base64.b64decode(info["head_b64"]) == head, info
assert info["wire_sha256"] == hashlib.sha256(body).hexdigest(), info
assert info["bytes"] == 21 and info["sha256"] == hashlib.sha256(b"hello" + b"x" * 16).hexdigest()
s.sendall(b"GET /echo HTTP/1.1\r\nHost: h\r\n\r\n")
st, h, b = response()
assert json.loads(b)["conn_requests"] == 2, b
EOF

if $PY - "$E" <<'EOF'; then ok "chunked, HEAD, 204 and close-delimited responses relayed on one kept-alive connection"; else bad "response framing"; fi
import http.client, json, sys
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=10)
c.request("GET", "/chunked"); r = c.getresponse(); b = r.read()
assert r.status == 200 and r.getheader("Transfer-Encoding") == "chunked" and json.loads(b)["path"] == "/chunked"
c.request("HEAD", "/echo"); r = c.getresponse(); assert r.read() == b"" and int(r.getheader("Content-Length")) > 0
c.request("DELETE", "/nocontent"); r = c.getresponse(); assert r.read() == b"" and r.status == 204
c.request("GET", "/echo"); r = c.getresponse(); info = json.loads(r.read())
assert info["conn_requests"] == 4, info
c.request("GET", "/close"); r = c.getresponse(); info = json.loads(r.read())
assert info["path"] == "/close" and r.will_close
EOF
check "proxy log: those five requests came on one client connection" \
  test "$($PY -c 'import json,sys; e=[json.loads(l) for l in open(sys.argv[1])][-5:]; print(len({x["conn"] for x in e}))' "$WORK/ECHOP.log")" = 1

head -c $((2 * 1024 * 1024)) /dev/urandom >"$WORK/2m"
t0=$(now)
out=$(curl -sS -T "$WORK/2m" "http://127.0.0.1:$E/echo" -w '\n%{http_code}' 2>&1)
t=$(elapsed_since "$t0")
check "Expect: 100-continue relayed (2 MiB PUT, ${t}s < 0.9s, sha256 matches)" \
  eval '[[ $(tail -n1 <<<"$out") == 200 ]] && lt "$t" 0.9 && grep -q "$(sha256 "$WORK/2m")" <<<"$out"'
out=$(curl -sS -H 'Transfer-Encoding: chunked' -T - "http://127.0.0.1:$E/echo" <"$WORK/2m" 2>&1)
check "curl chunked upload (2 MiB) arrives intact" grep -q "\"sha256\": \"$(sha256 "$WORK/2m")\"" <<<"$out"

t0=$(now)
seq 40 | xargs -P 40 -I{} curl -sS -o /dev/null -w '%{http_code}\n' "http://127.0.0.1:$E/sleep?s=1&i={}" >"$WORK/conc" 2>&1
t=$(elapsed_since "$t0")
check "40 concurrent connections, each held 1 s upstream: all 200 in ${t}s (< 6s)" \
  eval '[[ $(grep -c "^200$" "$WORK/conc") == 40 ]] && lt "$t" 6'

# ---------------------------------------------------------------------------------------
echo "# control endpoint"
code=$(curl -sS -o "$WORK/out" -w '%{http_code}' --data-binary '{"rules": [{"action": "nope"}]}' "http://127.0.0.1:$P/__proxy/plan")
check "invalid plan rejected with 400 (got $code)" eval '[[ $code == 400 ]] && contains "$WORK/out" "unknown action"'
code=$(curl -sS -o "$WORK/out" -w '%{http_code}' --data-binary '{not json' "http://127.0.0.1:$P/__proxy/plan")
check "malformed JSON plan rejected with 400 (got $code)" test "$code" = 400
check "stats: requests and bytes_forwarded counted, control requests not" \
  test "$(pstat "$P" '(d["requests"], d["bytes_forwarded"], d["rules"])')" = "(4, 24, [])"

# ---------------------------------------------------------------------------------------
echo "# respond"
SLOWDOWN='<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message><RequestId>FP1</RequestId></Error>'
plan "$P" '{"rules": [{"match": {"method": "PUT", "path_regex": "/ft-respond$"}, "times": 1, "action": "respond", "status": 503, "body": "'"$SLOWDOWN"'", "headers": {"Retry-After": "1"}}]}'
s3 "$P" "$B/ft-respond" "$SMALL_SHA" -T "$WORK/small"
check "respond: PUT answered 503 SlowDown with Retry-After (got $CODE)" \
  eval '[[ $CODE == 503 ]] && contains "$WORK/body" "<Code>SlowDown</Code>" && grep -qi "^Retry-After: 1" "$WORK/headers"'
check "respond: log shows body read (24) but nothing forwarded" \
  test "$(lastlog S3P '(e["request_bytes"], e["bytes_forwarded"], e["status"], e["upstream_status"], e["action"])' ft-respond)" \
  = "(24, 0, 503, None, 'respond')"
s3 "$P" "$B/ft-respond" "$EMPTY_SHA256" -I
check "respond: the object was not created (HEAD $CODE)" test "$CODE" = 404
s3 "$P" "$B/ft-respond" "$SMALL_SHA" -T "$WORK/small"
check "respond: rule spent after times=1, next PUT 200 (got $CODE)" test "$CODE" = 200
check "stats: rule fired 1, matched 1" test "$(pstat "$P" '(d["rules"][0]["fired"], d["rules"][0]["matched"], d["rules"][0]["spent"])')" = "(1, 1, True)"

echo "# skip / times / forever / query / header matching"
plan "$P" '{"rules": [{"match": {"method": "GET", "path_regex": "/ft-respond$"}, "skip": 1, "times": 2, "action": "respond", "status": 500, "body": "<Error><Code>InternalError</Code></Error>"}]}'
codes=""
for i in 1 2 3 4; do
  s3 "$P" "$B/ft-respond" "$EMPTY_SHA256"
  codes+="$CODE "
done
check "skip 1, times 2: GET x4 -> 200 500 500 200 (got $codes)" test "$codes" = "200 500 500 200 "
plan "$P" '{"rules": [{"match": {"method": "GET", "query_regex": "(^|&)list-type=2(&|$)"}, "times": -1, "action": "respond", "status": 500, "body": "<Error><Code>InternalError</Code></Error>"}, {"match": {"header": {"X-Fault-Test": "^boom$"}}, "times": -1, "action": "respond", "status": 418}]}'
codes=""
for q in "list-type=2" "list-type=2&prefix=ft" "list-type=2" "prefix=ft"; do
  s3 "$P" "$B?$q" "$EMPTY_SHA256"
  codes+="$CODE "
done
check "query_regex, times -1: 500 500 500 then unmatched 200 (got $codes)" test "$codes" = "500 500 500 200 "
s3 "$P" "$B/ft-respond" "$EMPTY_SHA256" -H "X-Fault-Test: boom"
c1=$CODE
s3 "$P" "$B/ft-respond" "$EMPTY_SHA256" -H "X-Fault-Test: boom-not"
check "header match: 418 with the header, 200 without a match (got $c1 $CODE)" test "$c1 $CODE" = "418 200"
check "stats: fired [3, 1]" test "$(pstat "$P" '[r["fired"] for r in d["rules"]]')" = "[3, 1]"

# ---------------------------------------------------------------------------------------
echo "# drop_after_request_bytes"
head -c $((1024 * 1024)) /dev/urandom >"$WORK/1m"
plan "$P" '{"rules": [{"match": {"method": "PUT", "path_regex": "/ft-drop$"}, "action": "drop_after_request_bytes", "bytes": 100000}]}'
s3 "$P" "$B/ft-drop" "$(sha256 "$WORK/1m")" -T "$WORK/1m" -H "Expect:"
check "drop_after_request_bytes: curl fails with a reset (curl $RC, HTTP $CODE)" \
  eval '[[ $RC == 55 || $RC == 56 || $RC == 52 ]] && [[ $CODE == 000 ]]'
check "drop_after_request_bytes: exactly 100000 bytes forwarded, no status" \
  test "$(lastlog S3P '(e["bytes_forwarded"], e["status"], e.get("dropped"))' ft-drop)" = "(100000, None, True)"
s3 "$P" "$B/ft-drop" "$EMPTY_SHA256" -I
check "drop_after_request_bytes: no object on the server (HEAD $CODE)" test "$CODE" = 404
s3 "$P" "$B/ft-drop" "$(sha256 "$WORK/1m")" -T "$WORK/1m"
check "drop_after_request_bytes: retry (with Expect: 100-continue) passes (HTTP $CODE)" test "$CODE" = 200
plan "$P" '{"rules": [{"match": {"method": "GET"}, "action": "drop_after_request_bytes", "bytes": 0}]}'
s3 "$P" "$B/ft-drop" "$EMPTY_SHA256"
check "drop_after_request_bytes 0 on a GET: connection reset (curl $RC)" eval '[[ $RC == 56 || $RC == 52 ]]'

echo "# drop_before_response"
plan "$P" '{"rules": [{"match": {"method": "PUT", "path_regex": "/ft-dbr$"}, "action": "drop_before_response"}]}'
s3 "$P" "$B/ft-dbr" "$SMALL_SHA" -T "$WORK/small"
check "drop_before_response: curl exit 52 (empty reply) (curl $RC)" test "$RC" = 52
check "drop_before_response: request forwarded, server answered 200, nothing relayed" \
  test "$(lastlog S3P '(e["bytes_forwarded"], e["upstream_status"], e["status"])' ft-dbr)" = "(24, 200, None)"
s3 "$P" "$B/ft-dbr" "$EMPTY_SHA256" -I
check "drop_before_response: the object exists on the server (HEAD $CODE)" test "$CODE" = 200
plan "$P" '{"rules": [{"match": {"method": "PUT", "path_regex": "/ft-dbr$"}, "action": "drop_before_response"}]}'
s3 "$P" "$B/ft-dbr" "$(sha256 "$WORK/2m")" -T "$WORK/2m"
check "drop_before_response with Expect: 100-continue (2 MiB): curl exit 52 (curl $RC)" test "$RC" = 52

echo "# stall"
plan "$P" '{"rules": [{"match": {"method": "GET", "path_regex": "/ft-dbr$"}, "action": "stall", "seconds": 2}]}'
t0=$(now)
s3 "$P" "$B/ft-dbr" "$EMPTY_SHA256"
t=$(elapsed_since "$t0")
check "stall 2 s: 200 after ${t}s (>= 2)" eval '[[ $CODE == 200 ]] && ge "$t" 2 && lt "$t" 5'
plan "$P" '{"rules": [{"match": {"method": "GET", "path_regex": "/ft-dbr$"}, "action": "stall", "forever": true}]}'
t0=$(now)
s3 "$P" "$B/ft-dbr" "$EMPTY_SHA256" --max-time 2
t=$(elapsed_since "$t0")
check "stall forever: curl --max-time 2 times out (curl $RC = 28, ${t}s)" test "$RC" = 28
sleep 0.5
check "stall forever: proxy noticed the client left (logged, status null)" \
  test "$(lastlog S3P '(e["action"], e["status"], e["upstream_status"])' ft-dbr)" = "('stall', None, 200)"
s3 "$P" "$B/ft-dbr" "$EMPTY_SHA256"
check "stall: rule spent, next GET 200 ($CODE)" test "$CODE" = 200

echo "# delay_request"
plan "$P" '{"rules": [{"match": {"method": "HEAD"}, "action": "delay_request", "seconds": 1.5}]}'
t0=$(now)
s3 "$P" "$B/ft-dbr" "$EMPTY_SHA256" -I
t=$(elapsed_since "$t0")
check "delay_request 1.5 s: HEAD 200 after ${t}s" eval '[[ $CODE == 200 ]] && ge "$t" 1.5'

echo "# flip_byte"
head -c 65536 /dev/urandom >"$WORK/64k"
plan "$P" '{"rules": [{"match": {"method": "PUT", "path_regex": "/ft-flip$"}, "action": "flip_byte", "offset": 1000}]}'
s3 "$P" "$B/ft-flip" "$(sha256 "$WORK/64k")" -T "$WORK/64k" -H "Content-MD5: $(md5b64 "$WORK/64k")"
check "flip_byte: server rejects the corrupted body with 400 (got $CODE: $(grep -o '<Code>[^<]*' "$WORK/body" | head -n1))" \
  eval '[[ $CODE == 400 ]] && grep -qE "<Code>(BadDigest|XAmzContentSHA256Mismatch|InvalidDigest)" "$WORK/body"'
check "flip_byte: log shows the flip at offset 1000, all 65536 bytes forwarded" \
  test "$(lastlog S3P '(e.get("flipped_offset"), e["bytes_forwarded"])' ft-flip)" = "(1000, 65536)"
s3 "$P" "$B/ft-flip" "$EMPTY_SHA256" -I
check "flip_byte: no object stored (HEAD $CODE)" test "$CODE" = 404
s3 "$P" "$B/ft-flip" "$(sha256 "$WORK/64k")" -T "$WORK/64k" -H "Content-MD5: $(md5b64 "$WORK/64k")"
check "flip_byte: rule spent, clean PUT 200 ($CODE)" test "$CODE" = 200
plan "$E" '{"rules": [{"match": {"method": "PUT"}, "action": "flip_byte", "offset": 5}]}'
out=$(curl -sS -H 'Transfer-Encoding: chunked' -T - "http://127.0.0.1:$E/echo" <"$WORK/small" 2>&1)
expect=$($PY -c 'import hashlib,sys; b=bytearray(open(sys.argv[1],"rb").read()); b[5]^=1; print(hashlib.sha256(b).hexdigest())' "$WORK/small")
check "flip_byte on a chunked body flips data byte 5 (not framing)" grep -q "\"sha256\": \"$expect\"" <<<"$out"

echo "# multipart: part error, then CompleteMultipartUpload '200 with error' (replace_response)"
head -c $((5 * 1024 * 1024)) /dev/urandom >"$WORK/part1"
printf 'the last part\n' >"$WORK/part2"
cat "$WORK/part1" "$WORK/part2" >"$WORK/mpu"
# "uploads=": curl 7.88 signs a bare "uploads" without the "=" S3 expects.
s3 "$P" "$B/ft-mpu?uploads=" "$EMPTY_SHA256" -X POST
UPLOAD_ID=$(grep -o '<UploadId>[^<]*' "$WORK/body" | cut -d'>' -f2)
check "initiate multipart upload (HTTP $CODE)" eval '[[ $CODE == 200 && -n $UPLOAD_ID ]]'
UID_Q=$(urlencode "$UPLOAD_ID")
plan "$P" '{"rules": [{"match": {"method": "PUT", "query_regex": "partNumber=2"}, "action": "respond", "status": 500, "body": "<Error><Code>InternalError</Code><Message>We encountered an internal error. Please try again.</Message></Error>"}, {"match": {"method": "POST", "query_regex": "uploadId="}, "action": "replace_response", "status": 200, "body": "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>InternalError</Code><Message>We encountered an internal error. Please try again.</Message></Error>"}]}'
s3 "$P" "$B/ft-mpu?partNumber=1&uploadId=$UID_Q" "$(sha256 "$WORK/part1")" -T "$WORK/part1"
ETAG1=$(grep -i '^etag:' "$WORK/headers" | tr -d '\r' | cut -d' ' -f2)
check "part 1 passes (HTTP $CODE)" test "$CODE" = 200
s3 "$P" "$B/ft-mpu?partNumber=2&uploadId=$UID_Q" "$(sha256 "$WORK/part2")" -T "$WORK/part2"
check "part 2 first attempt: 500 InternalError (HTTP $CODE)" test "$CODE" = 500
s3 "$P" "$B/ft-mpu?partNumber=2&uploadId=$UID_Q" "$(sha256 "$WORK/part2")" -T "$WORK/part2"
ETAG2=$(grep -i '^etag:' "$WORK/headers" | tr -d '\r' | cut -d' ' -f2)
check "part 2 retry passes (HTTP $CODE)" test "$CODE" = 200
printf '<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>%s</ETag></Part><Part><PartNumber>2</PartNumber><ETag>%s</ETag></Part></CompleteMultipartUpload>' \
  "$ETAG1" "$ETAG2" >"$WORK/complete.xml"
s3 "$P" "$B/ft-mpu?uploadId=$UID_Q" "$(sha256 "$WORK/complete.xml")" -X POST --data-binary "@$WORK/complete.xml"
printf '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>InternalError</Code><Message>We encountered an internal error. Please try again.</Message></Error>' >"$WORK/err200"
check "replace_response: complete answered 200 with an <Error> body, exact Content-Length (curl $RC, HTTP $CODE)" \
  eval '[[ $RC == 0 && $CODE == 200 ]] && cmp -s "$WORK/body" "$WORK/err200" && grep -qi "^Content-Length: $(stat -c %s "$WORK/err200")" "$WORK/headers"'
check "replace_response: the real complete succeeded upstream (upstream_status 200)" \
  test "$(lastlog S3P '(e["upstream_status"], e["status"], e["action"])' ft-mpu)" = "(200, 200, 'replace_response')"
s3 "$P" "$B/ft-mpu" "$EMPTY_SHA256"
check "multipart object readable and identical (HTTP $CODE)" eval '[[ $CODE == 200 ]] && cmp -s "$WORK/body" "$WORK/mpu"'

# ---------------------------------------------------------------------------------------
echo "# --plan file; respond early, replace_response keep_headers, drop_before_response rst"
printf '{"rules": [{"action": "bogus"}]}' >"$WORK/bad-plan.json"
$PY "$PROXY_PY" --upstream "127.0.0.1:$ECHO_UP" --plan "$WORK/bad-plan.json" \
  --port-file "$WORK/bad.port" 2>"$WORK/bad.err"
rc=$?
check "invalid --plan file: exit 2, no port file (exit $rc)" \
  eval '[[ $rc == 2 && ! -e "$WORK/bad.port" ]] && contains "$WORK/bad.err" "unknown action"'
cat >"$WORK/plan-file.json" <<'EOF'
{"rules": [
  {"match": {"method": "PUT", "path_regex": "^/early$"}, "action": "respond", "early": true,
   "status": 503, "body": "<Error><Code>SlowDown</Code></Error>"},
  {"match": {"method": "GET", "path_regex": "^/replace$"}, "times": -1, "action": "replace_response",
   "keep_headers": true, "status": 500, "body": "replaced", "headers": {"X-Extra": "yes"}},
  {"match": {"path_regex": "^/rst$"}, "action": "drop_before_response", "rst": true}
]}
EOF
start_proxy FILEP "127.0.0.1:$ECHO_UP" --plan "$WORK/plan-file.json"
t0=$(now)
code=$(curl -sS -o "$WORK/out" -w '%{http_code}' -T "$WORK/2m" "http://127.0.0.1:$FILEP_PORT/early" 2>/dev/null)
t=$(elapsed_since "$t0")
check "--plan file loaded; respond early: 503 at once (${t}s), 2 MiB body never read" \
  eval '[[ $code == 503 ]] && lt "$t" 0.9 && [[ $(lastlog FILEP "e[\"request_bytes\"]" /early) == 0 ]]'
code=$(curl -sS -o "$WORK/out" -D "$WORK/headers" -w '%{http_code}' "http://127.0.0.1:$FILEP_PORT/replace")
check "replace_response keep_headers: status 500, body replaced, upstream Content-Type kept, header added" \
  eval '[[ $code == 500 && $(cat "$WORK/out") == replaced ]] && grep -qi "^Content-Type: application/json" "$WORK/headers" && grep -qi "^X-Extra: yes" "$WORK/headers" && grep -qi "^Content-Length: 8" "$WORK/headers"'
curl -sS -o /dev/null "http://127.0.0.1:$FILEP_PORT/rst" 2>/dev/null
rc=$?
check "drop_before_response rst: connection reset (curl $rc = 56)" test "$rc" = 56
kill -TERM "$FILEP_PID"
wait "$FILEP_PID"

# ---------------------------------------------------------------------------------------
echo "# 50 MiB PUT through the proxy"
plan "$P" '{"rules": []}'
head -c $((50 * 1024 * 1024)) /dev/urandom >"$WORK/50m"
BIG_SHA=$(sha256 "$WORK/50m")
t0=$(now)
s3 "$P" "$B/ft-big" UNSIGNED-PAYLOAD -T "$WORK/50m" -H "Content-MD5: $(md5b64 "$WORK/50m")"
t=$(elapsed_since "$t0")
check "50 MiB PUT through the proxy: 200 (curl $RC, HTTP $CODE) in ${t}s" test "$CODE" = 200
PUT_MIBS=$($PY -c 'import sys; print(f"{50 / float(sys.argv[1]):.1f}")' "$t")
check "log: 52428800 bytes forwarded for the PUT" \
  test "$(lastlog S3P '(e["request_bytes"], e["bytes_forwarded"])' ft-big)" = "(52428800, 52428800)"
rm -f "$WORK/body"
s3 "$P" "$B/ft-big" "$EMPTY_SHA256"
check "GET back through the proxy: sha256 identical" eval '[[ $CODE == 200 && $(sha256 "$WORK/body") == "$BIG_SHA" ]]'
t0=$(now)
CODE=$(curl -sS -o /dev/null -w '%{http_code}' --aws-sigv4 "aws:amz:$AWS_REGION:s3" \
  -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" -T "$WORK/50m" "http://$CRED@$S3_UP$B/ft-big-direct")
tdirect=$(elapsed_since "$t0")
DIRECT_MIBS=$($PY -c 'import sys; print(f"{50 / float(sys.argv[1]):.1f}")' "$tdirect")
HWM_KB=$(awk '/^VmHWM/ { print $2 }' "/proc/$S3P_PID/status")
check "proxy peak RSS (VmHWM) $((HWM_KB / 1024)) MiB < 60 MB" test "$HWM_KB" -lt 58593
echo "# 50 MiB PUT to $KIND: ${PUT_MIBS} MiB/s through the proxy, ${DIRECT_MIBS} MiB/s direct (HTTP $CODE)"

# Proxy's own throughput: 512 MiB to the echo upstream (which only hashes).
plan "$E" '{"rules": []}'
head -c $((512 * 1024 * 1024)) /dev/zero >"$WORK/512m"
ZERO_SHA=$(sha256 "$WORK/512m")
t0=$(now)
out=$(curl -sS -H "Expect:" -T "$WORK/512m" "http://127.0.0.1:$E/echo" 2>&1)
t=$(elapsed_since "$t0")
check "512 MiB PUT through the proxy to the echo upstream arrives intact (${t}s)" grep -q "\"sha256\": \"$ZERO_SHA\"" <<<"$out"
ECHO_MIBS=$($PY -c 'import sys; print(f"{512 / float(sys.argv[1]):.1f}")' "$t")
t0=$(now)
curl -sS -o /dev/null -H "Expect:" -T "$WORK/512m" "http://127.0.0.1:$ECHO_UP/echo"
ECHO_DIRECT_MIBS=$($PY -c 'import sys; print(f"{512 / float(sys.argv[1]):.1f}")' "$(elapsed_since "$t0")")
HWM_KB=$(awk '/^VmHWM/ { print $2 }' "/proc/$ECHOP_PID/status")
check "echo proxy peak RSS (VmHWM) $((HWM_KB / 1024)) MiB < 60 MB" test "$HWM_KB" -lt 58593
echo "# 512 MiB PUT to the echo upstream: ${ECHO_MIBS} MiB/s through the proxy, ${ECHO_DIRECT_MIBS} MiB/s direct"
rm -f "$WORK/512m" "$WORK/50m"

# ---------------------------------------------------------------------------------------
echo "# shutdown"
for name in S3P ECHOP; do
  pidvar=${name}_PID
  pid=${!pidvar}
  kill -TERM "$pid"
  t0=$(now)
  wait "$pid"
  status=$?
  t=$(elapsed_since "$t0")
  check "$name stops on SIGTERM with status 0 (status $status, ${t}s)" eval '[[ $status == 0 ]] && lt "$t" 6'
done

echo "$PASSED passed, $FAILED failed"
((FAILED == 0))
