#!/usr/bin/env python3
"""Loopback fault-injecting HTTP/1.1 reverse proxy for retry/timeout/corruption tests.

Usage:
  python3 tests/tools/fault_proxy.py --upstream 127.0.0.1:PORT [--plan PLAN.json]
      --port-file FILE [--log LOG.jsonl] [--listen-port 0]

Listens on 127.0.0.1 (--listen-port 0: a free port), writes the port to --port-file
(atomically: temp file + rename) once it accepts connections, and runs until SIGTERM or
SIGINT (then exits 0). Python standard library only.

Every request is forwarded byte for byte: the request head is sent upstream exactly as
received (Host and every other header untouched, so SigV4 signatures stay valid), bodies
are streamed in 256 KiB pieces (Content-Length or chunked, passed through verbatim), and
the response (Content-Length, chunked, none for HEAD/1xx/204/304, or until close) is
relayed the same way. Interim 1xx responses (100 Continue) are relayed. Client
connections are kept alive; each has its own upstream connection, kept alive too.

Plan (JSON): {"rules": [RULE, ...]}, RULE:
  {"match": {"method": "PUT",                 # or a list of methods; all keys optional
             "path_regex": "^/bucket/key$",   # re.search on the raw path (before '?')
             "query_regex": "partNumber=2",   # re.search on the raw query (after '?')
             "header": {"name": "value-regex"}},  # header present, some value matches
   "skip": 0,        # let the first `skip` matching requests pass untouched
   "times": 1,       # then fire on the next `times` matches (-1: forever); then spent
   "action": "...", ...parameters}
Rules are checked in order; the first rule that fires handles the request and later rules
do not see it. A matching rule still in its skip phase counts the match and lets the
search go on. Actions:
  forward                   just forward (counts matches; shields later rules)
  respond                   status (default 500), body (string, default ""), headers
                            ({name: value}), close (bool): answer without forwarding;
                            the request body is read and discarded (after sending
                            "100 Continue" if the client expects it). early: true answers
                            at once without reading the body, then closes.
  drop_after_request_bytes  bytes: forward the request until `bytes` body bytes went
                            upstream (or the whole body, if shorter), then reset both
                            connections (RST via SO_LINGER 0).
  drop_before_response      forward the whole request, wait for the upstream's response
                            (so the server has processed it), then close the client
                            connection without a byte of response (curl: exit 52, "Empty
                            reply from server"). Upstream 1xx are not relayed. rst: true
                            resets instead of closing.
  stall                     seconds: forward, then hold the response that long before
                            relaying it; forever: true never relays it and closes once
                            the client has given up.
  replace_response          status, body, headers, keep_headers (bool), close (bool):
                            forward, read and discard the real response, then send this
                            one (Content-Length set to the body's length).
  flip_byte                 offset (default 0): XOR the request body byte at `offset` with
                            0x01 while forwarding (data offset; chunk framing excluded).
  delay_request             seconds: wait that long before forwarding.

Control endpoints (never forwarded, not counted, not logged):
  GET  /__proxy/stats  -> {"requests", "bytes_forwarded", "rules": [{"fired", "matched",
                          "action", "spent"}], ...}
  POST /__proxy/plan   (JSON plan body) replaces the plan and its counters; 400 if invalid.
  POST /__proxy/reset  zeroes requests and bytes_forwarded.

Log (--log): one JSON object per proxied request, flushed per line: time (epoch s),
conn, method, path, query, request_bytes (body bytes received from the client),
bytes_forwarded (body bytes sent upstream), status (relayed to the client, or null),
upstream_status, response_bytes, action (or null), rule (index or null), duration,
error (or null); plus dropped/flipped_offset where they apply.
"""

import argparse
import asyncio
import contextlib
import http
import json
import os
import re
import signal
import socket
import struct
import sys
import time

PIECE = 256 * 1024  # body bytes moved per read/write
STREAM_LIMIT = 256 * 1024  # longest request/response head or chunk-size line
MAX_CONTROL_BODY = 16 * 1024 * 1024

ACTIONS = {
    "forward",
    "respond",
    "drop_after_request_bytes",
    "drop_before_response",
    "stall",
    "replace_response",
    "flip_byte",
    "delay_request",
}


class PlanError(ValueError):
    pass


class ProtocolError(Exception):
    pass


class Dropped(Exception):
    """drop_after_request_bytes fired: both connections have been reset."""


def _int(d, key, default=None, minimum=None):
    v = d.get(key, default)
    if v is None:
        raise PlanError(f"'{key}' is required")
    if isinstance(v, bool) or not isinstance(v, int):
        raise PlanError(f"'{key}' must be an integer")
    if minimum is not None and v < minimum:
        raise PlanError(f"'{key}' must be >= {minimum}")
    return v


def _num(d, key, default=None):
    v = d.get(key, default)
    if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0:
        raise PlanError(f"'{key}' must be a non-negative number")
    return float(v)


def _headers(d):
    h = d.get("headers", {}) or {}
    if not isinstance(h, dict) or not all(
        isinstance(k, str) and isinstance(v, (str, int)) for k, v in h.items()
    ):
        raise PlanError("'headers' must be an object of strings")
    return [(k, str(v)) for k, v in h.items()]


class Rule:
    def __init__(self, d, index):
        if not isinstance(d, dict):
            raise PlanError(f"rule {index}: not an object")
        try:
            self._parse(d, index)
        except PlanError as e:
            raise PlanError(f"rule {index}: {e}") from None
        except re.error as e:
            raise PlanError(f"rule {index}: bad regex: {e}") from None

    def _parse(self, d, index):
        self.index = index
        m = d.get("match", {}) or {}
        if not isinstance(m, dict):
            raise PlanError("'match' must be an object")
        unknown = set(m) - {"method", "path_regex", "query_regex", "header"}
        if unknown:
            raise PlanError(f"unknown match keys {sorted(unknown)}")
        meth = m.get("method")
        if meth is None:
            self.methods = None
        elif isinstance(meth, str):
            self.methods = {meth.upper()}
        elif isinstance(meth, list) and all(isinstance(x, str) for x in meth):
            self.methods = {x.upper() for x in meth}
        else:
            raise PlanError("'method' must be a string or a list of strings")
        self.path_re = re.compile(m["path_regex"]) if m.get("path_regex") is not None else None
        self.query_re = re.compile(m["query_regex"]) if m.get("query_regex") is not None else None
        hdr = m.get("header", {}) or {}
        if not isinstance(hdr, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in hdr.items()
        ):
            raise PlanError("'header' must be an object of name: regex strings")
        self.header_res = [(k.lower(), re.compile(v)) for k, v in hdr.items()]

        self.times = _int(d, "times", 1, minimum=-1)
        self.skip = _int(d, "skip", 0, minimum=0)
        self.action = d.get("action")
        if self.action not in ACTIONS:
            raise PlanError(f"unknown action {self.action!r} (one of {sorted(ACTIONS)})")
        a = self.action
        self.close = bool(d.get("close", False))
        if a in ("respond", "replace_response"):
            self.status = _int(d, "status", 500 if a == "respond" else 200, minimum=100)
            if self.status > 999:
                raise PlanError("'status' must be a 3-digit number")
            body = d.get("body", "")
            if not isinstance(body, str):
                raise PlanError("'body' must be a string")
            self.body = body.encode("utf-8")
            self.headers = _headers(d)
            self.early = bool(d.get("early", False))
            self.keep_headers = bool(d.get("keep_headers", False))
        elif a == "drop_after_request_bytes":
            self.bytes = _int(d, "bytes", None, minimum=0)
        elif a == "drop_before_response":
            self.rst = bool(d.get("rst", False))
        elif a == "stall":
            self.forever = bool(d.get("forever", False))
            if not self.forever:
                if "seconds" not in d:
                    raise PlanError("stall needs 'seconds' or 'forever': true")
                self.seconds = _num(d, "seconds")
        elif a == "flip_byte":
            self.offset = _int(d, "offset", 0, minimum=0)
        elif a == "delay_request":
            self.seconds = _num(d, "seconds")
        self.matched = 0
        self.fired = 0

    @property
    def spent(self):
        return self.times != -1 and self.fired >= self.times

    def matches(self, req):
        if self.methods is not None and req.method.upper() not in self.methods:
            return False
        if self.path_re is not None and not self.path_re.search(req.path):
            return False
        if self.query_re is not None and not self.query_re.search(req.query):
            return False
        for name, rx in self.header_res:
            if not any(rx.search(v) for v in req.values(name)):
                return False
        return True

    def stats(self):
        return {
            "index": self.index,
            "action": self.action,
            "matched": self.matched,
            "fired": self.fired,
            "spent": self.spent,
        }


class Plan:
    def __init__(self, data):
        if isinstance(data, list):
            data = {"rules": data}
        if not isinstance(data, dict):
            raise PlanError("a plan is a JSON object {\"rules\": [...]}")
        rules = data.get("rules", [])
        if not isinstance(rules, list):
            raise PlanError("'rules' must be a list")
        self.rules = [Rule(r, i) for i, r in enumerate(rules)]

    def select(self, req):
        for rule in self.rules:
            if rule.spent or not rule.matches(req):
                continue
            rule.matched += 1
            if rule.matched <= rule.skip:
                continue
            rule.fired += 1
            return rule
        return None


# ---------------------------------------------------------------------------------------
# HTTP parsing


class Message:
    """A parsed request or response head; raw keeps the exact bytes."""

    def __init__(self, raw, is_request):
        self.raw = raw
        try:
            text = raw.decode("latin-1")
        except Exception as e:  # pragma: no cover - latin-1 decodes anything
            raise ProtocolError(str(e))
        lines = text.split("\r\n")
        first = lines[0]
        self.headers = []
        for line in lines[1:]:
            if not line:
                continue
            name, sep, value = line.partition(":")
            if not sep or not name or name != name.strip():
                raise ProtocolError(f"bad header line {line[:80]!r}")
            self.headers.append((name.lower(), value.strip()))
        if is_request:
            parts = first.split(" ")
            if len(parts) != 3 or not parts[2].startswith("HTTP/"):
                raise ProtocolError(f"bad request line {first[:80]!r}")
            self.method, self.target, self.version = parts
            target = self.target
            if "://" in target.split("?", 1)[0]:  # absolute-form
                target = "/" + target.split("://", 1)[1].partition("/")[2]
            self.path, _, self.query = target.partition("?")
        else:
            parts = first.split(" ", 2)
            if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
                raise ProtocolError(f"bad status line {first[:80]!r}")
            self.version = parts[0]
            self.status = int(parts[1])
        te = ",".join(self.values("transfer-encoding")).lower()
        codings = [c.strip() for c in te.split(",") if c.strip()]
        self.chunked = bool(codings) and codings[-1] == "chunked"
        self.content_length = None
        if not self.chunked:
            cls = {v.strip() for v in self.values("content-length")}
            if len(cls) > 1:
                raise ProtocolError("conflicting Content-Length headers")
            if cls:
                v = cls.pop()
                if not v.isdigit():
                    raise ProtocolError(f"bad Content-Length {v!r}")
                self.content_length = int(v)
        tokens = {
            t.strip().lower() for v in self.values("connection") for t in v.split(",")
        }
        self.wants_close = "close" in tokens or (
            self.version == "HTTP/1.0" and "keep-alive" not in tokens
        )

    def values(self, name):
        return [v for n, v in self.headers if n == name]

    def get(self, name):
        v = self.values(name)
        return v[0] if v else None


def request_framing(req):
    if req.chunked:
        return "chunked", None
    return "length", req.content_length or 0


def response_framing(req, resp):
    if req.method.upper() == "HEAD" or 100 <= resp.status < 200 or resp.status in (204, 304):
        return "length", 0
    if resp.chunked:
        return "chunked", None
    if resp.content_length is not None:
        return "length", resp.content_length
    return "close", None


async def iter_body(reader, kind, length):
    """Yields (raw_bytes, is_data) pieces of a body exactly as they are on the wire."""
    if kind == "length":
        remaining = length
        while remaining > 0:
            data = await reader.read(min(PIECE, remaining))
            if not data:
                raise asyncio.IncompleteReadError(b"", remaining)
            remaining -= len(data)
            yield data, True
    elif kind == "chunked":
        while True:
            line = await reader.readuntil(b"\n")
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise ProtocolError(f"bad chunk size line {line[:40]!r}") from None
            yield line, False
            if size == 0:
                while True:  # trailer section, up to the empty line
                    t = await reader.readuntil(b"\n")
                    yield t, False
                    if t in (b"\r\n", b"\n"):
                        return
            remaining = size
            while remaining > 0:
                data = await reader.read(min(PIECE, remaining))
                if not data:
                    raise asyncio.IncompleteReadError(b"", remaining)
                remaining -= len(data)
                yield data, True
            yield await reader.readuntil(b"\n"), False
    else:  # until close
        while True:
            data = await reader.read(PIECE)
            if not data:
                return
            yield data, True


def reset(writer):
    """Closes a connection abruptly (RST)."""
    if writer is None:
        return
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


def reason(status):
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def build_response(status, body, headers, head_only=False, close=False, content_type=None):
    lines = [f"HTTP/1.1 {status} {reason(status)}"]
    names = {k.lower() for k, _ in headers}
    if "content-type" not in names and body:
        ct = content_type or ("application/xml" if body.lstrip().startswith(b"<") else "text/plain")
        lines.append(f"Content-Type: {ct}")
    for k, v in headers:
        if k.lower() not in ("content-length", "transfer-encoding", "connection"):
            lines.append(f"{k}: {v}")
    lines.append(f"Content-Length: {len(body)}")
    if close:
        lines.append("Connection: close")
    raw = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return raw if head_only else raw + body


# ---------------------------------------------------------------------------------------
# Proxy


class Proxy:
    def __init__(self, upstream, plan, log_path):
        self.up_host, self.up_port = upstream
        self.plan = plan
        self.requests = 0
        self.bytes_forwarded = 0
        self.next_conn = 0
        self.tasks = set()
        self.log_file = open(log_path, "a", encoding="utf-8") if log_path else None

    def log(self, entry):
        if self.log_file:
            self.log_file.write(json.dumps(entry) + "\n")
            self.log_file.flush()

    def stats(self):
        return {
            "requests": self.requests,
            "bytes_forwarded": self.bytes_forwarded,
            "rules": [r.stats() for r in self.plan.rules],
            "active_connections": len(self.tasks),
            "upstream": f"{self.up_host}:{self.up_port}",
        }

    async def handle(self, reader, writer):
        task = asyncio.current_task()
        self.tasks.add(task)
        self.next_conn += 1
        try:
            await Connection(self, self.next_conn, reader, writer).run()
        finally:
            self.tasks.discard(task)


class PumpState:
    def __init__(self):
        self.body_complete = False
        self.dropped = False
        self.client_error = None
        self.upstream_error = None


class Connection:
    def __init__(self, proxy, cid, reader, writer):
        self.p = proxy
        self.id = cid
        self.cr = reader
        self.cw = writer
        self.ur = None
        self.uw = None

    # -- plumbing ------------------------------------------------------------------------

    async def upstream(self):
        if self.uw is not None and (self.uw.is_closing() or self.ur.at_eof()):
            self.close_upstream()
        if self.uw is None:
            self.ur, self.uw = await asyncio.open_connection(
                self.p.up_host, self.p.up_port, limit=STREAM_LIMIT
            )
        return self.ur, self.uw

    def close_upstream(self, rst=False):
        if self.uw is not None:
            if rst:
                reset(self.uw)
            else:
                self.uw.transport.abort()
        self.ur = self.uw = None

    def client_gone(self):
        return self.cr.at_eof() or self.cr.exception() is not None or self.cw.is_closing()

    async def until_client_gone(self, seconds=None):
        """Waits for `seconds` (None: forever) or until the client went away; True if gone."""
        deadline = None if seconds is None else time.monotonic() + seconds
        while not self.client_gone():
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                await asyncio.sleep(min(0.1, left))
            else:
                await asyncio.sleep(0.1)
        return True

    async def send(self, data):
        self.cw.write(data)
        await self.cw.drain()

    # -- main loop -----------------------------------------------------------------------

    async def run(self):
        graceful = True
        try:
            while True:
                try:
                    head = await self.cr.readuntil(b"\r\n\r\n")
                except asyncio.IncompleteReadError:
                    return  # client closed (between requests or mid-head)
                except asyncio.LimitOverrunError:
                    await self.send(build_response(431, b"", [], close=True))
                    return
                head = head.lstrip(b"\r\n")
                if not head:
                    continue
                try:
                    req = Message(head, is_request=True)
                except ProtocolError as e:
                    await self.send(build_response(400, str(e).encode() + b"\n", [], close=True))
                    return
                if req.path.startswith("/__proxy/"):
                    keep = await self.control(req)
                else:
                    keep = await self.proxy_request(req)
                if not keep:
                    return
        except (ConnectionError, OSError, asyncio.IncompleteReadError, ProtocolError,
                asyncio.LimitOverrunError):
            graceful = False
        except Exception as e:  # a bug: say so, drop this connection, keep serving
            graceful = False
            print(f"fault_proxy: connection {self.id}: {type(e).__name__}: {e}", file=sys.stderr)
        finally:
            self.close_upstream()
            if graceful:
                self.cw.close()
            else:
                self.cw.transport.abort()

    # -- control endpoint ----------------------------------------------------------------

    async def control(self, req):
        if (req.get("expect") or "").lower() == "100-continue":
            await self.send(b"HTTP/1.1 100 Continue\r\n\r\n")
        kind, length = request_framing(req)
        body = bytearray()
        async for raw, is_data in iter_body(self.cr, kind, length):
            if is_data:
                body += raw
                if len(body) > MAX_CONTROL_BODY:
                    await self.send(build_response(413, b"", [], close=True))
                    return False
        status, out = 404, {"error": f"unknown control endpoint {req.method} {req.path}"}
        if req.path == "/__proxy/stats" and req.method in ("GET", "HEAD"):
            status, out = 200, self.p.stats()
        elif req.path == "/__proxy/plan" and req.method in ("POST", "PUT"):
            try:
                self.p.plan = Plan(json.loads(bytes(body).decode("utf-8")))
                status, out = 200, {"ok": True, "rules": len(self.p.plan.rules)}
            except (PlanError, ValueError) as e:
                status, out = 400, {"error": f"invalid plan: {e}"}
        elif req.path == "/__proxy/plan" and req.method == "GET":
            status, out = 200, {"rules": [r.stats() for r in self.p.plan.rules]}
        elif req.path == "/__proxy/reset" and req.method == "POST":
            self.p.requests = 0
            self.p.bytes_forwarded = 0
            status, out = 200, {"ok": True}
        payload = (json.dumps(out) + "\n").encode()
        await self.send(
            build_response(
                status,
                payload,
                [],
                head_only=req.method == "HEAD",
                close=req.wants_close,
                content_type="application/json",
            )
        )
        return not req.wants_close

    # -- proxying ------------------------------------------------------------------------

    async def proxy_request(self, req):
        p = self.p
        p.requests += 1
        rule = p.plan.select(req)
        entry = {
            "time": round(time.time(), 6),
            "conn": self.id,
            "method": req.method,
            "path": req.path,
            "query": req.query,
            "request_bytes": 0,
            "bytes_forwarded": 0,
            "status": None,
            "upstream_status": None,
            "response_bytes": 0,
            "action": rule.action if rule else None,
            "rule": rule.index if rule else None,
            "duration": None,
            "error": None,
        }
        t0 = time.monotonic()
        try:
            return await self.forward(req, rule, entry)
        except Dropped:
            return False
        except (ConnectionError, OSError, asyncio.IncompleteReadError, ProtocolError,
                asyncio.LimitOverrunError) as e:
            if entry["error"] is None:
                entry["error"] = f"{type(e).__name__}: {e}"
            return False
        finally:
            entry["duration"] = round(time.monotonic() - t0, 6)
            p.log(entry)

    async def respond(self, req, rule, entry):
        close = rule.close or rule.early or req.wants_close
        if not rule.early:
            if (req.get("expect") or "").lower() == "100-continue":
                await self.send(b"HTTP/1.1 100 Continue\r\n\r\n")
            kind, length = request_framing(req)
            async for raw, is_data in iter_body(self.cr, kind, length):
                if is_data:
                    entry["request_bytes"] += len(raw)
        await self.send(
            build_response(
                rule.status, rule.body, rule.headers, head_only=req.method == "HEAD", close=close
            )
        )
        entry["status"] = rule.status
        entry["response_bytes"] = 0 if req.method == "HEAD" else len(rule.body)
        return not close

    async def forward(self, req, rule, entry):
        action = rule.action if rule else None
        if action == "delay_request":
            if await self.until_client_gone(rule.seconds):
                entry["error"] = "client went away during delay_request"
                return False
        if action == "respond":
            return await self.respond(req, rule, entry)

        try:
            ur, uw = await self.upstream()
        except OSError as e:
            entry["error"] = f"upstream connect failed: {e}"
            entry["status"] = 502
            await self.send(build_response(502, f"{entry['error']}\n".encode(), [], close=True))
            return False

        uw.write(req.raw)
        state = PumpState()
        pump = asyncio.create_task(self.pump(req, rule, entry, uw, state))
        try:
            # Response head(s): relay interim 1xx, stop at the final one.
            try:
                while True:
                    rhead = await ur.readuntil(b"\r\n\r\n")
                    resp = Message(rhead, is_request=False)
                    if 100 <= resp.status < 200 and resp.status != 101:
                        if action != "drop_before_response":
                            await self.send(rhead)
                        continue
                    break
            except (asyncio.IncompleteReadError, ConnectionError, OSError, ProtocolError,
                    asyncio.LimitOverrunError) as e:
                if not (state.dropped or state.client_error):
                    pump.cancel()  # the upstream went away on its own
                await asyncio.wait({pump})
                if state.dropped:
                    raise Dropped() from None
                if state.client_error is not None:
                    entry["error"] = f"client: {state.client_error}"
                else:
                    entry["error"] = f"upstream closed without a response: {type(e).__name__} {e}"
                return False  # mirror the upstream: close the client connection

            # Final response head received.
            if not pump.done() and not state.body_complete:
                pump.cancel()  # early answer: the rest of the request body is not wanted
            await asyncio.wait({pump})
            early = not state.body_complete
            if state.dropped:
                raise Dropped()
            entry["upstream_status"] = resp.status
            kind, length = response_framing(req, resp)
            up_keep = not early and kind != "close" and not resp.wants_close and not req.wants_close
            client_keep = up_keep

            if action == "drop_before_response":
                if rule.rst:
                    reset(self.cw)
                else:
                    self.cw.close()
                entry["error"] = "dropped before response (by plan)"
                return False

            if action == "stall":
                if rule.forever:
                    await self.until_client_gone()
                    entry["error"] = "stalled until the client went away (by plan)"
                    return False
                if await self.until_client_gone(rule.seconds):
                    entry["error"] = "client went away during stall"
                    return False

            if action == "replace_response":
                async for raw, _ in iter_body(ur, kind, length):
                    pass
                headers = list(rule.headers)
                if rule.keep_headers:
                    own = {k.lower() for k, _ in headers}
                    headers = [
                        (n, v) for n, v in resp.headers if n not in own
                    ] + headers
                close = rule.close or not client_keep
                await self.send(
                    build_response(
                        rule.status,
                        rule.body,
                        headers,
                        head_only=req.method.upper() == "HEAD",
                        close=close,
                    )
                )
                entry["status"] = rule.status
                entry["response_bytes"] = 0 if req.method.upper() == "HEAD" else len(rule.body)
                if not up_keep:
                    self.close_upstream()
                return not close

            # Relay the response as it is.
            self.cw.write(rhead)
            entry["status"] = resp.status
            async for raw, is_data in iter_body(ur, kind, length):
                self.cw.write(raw)
                if is_data:
                    entry["response_bytes"] += len(raw)
                await self.cw.drain()
            await self.cw.drain()
            if not up_keep:
                self.close_upstream()
            return client_keep
        finally:
            if not pump.done():
                pump.cancel()
                await asyncio.wait({pump})

    async def pump(self, req, rule, entry, uw, state):
        """Copies the request body from the client upstream, applying the rule's action."""
        action = rule.action if rule else None
        drop_at = rule.bytes if action == "drop_after_request_bytes" else None
        flip_at = rule.offset if action == "flip_byte" else None
        pos = 0
        kind, length = request_framing(req)
        body = iter_body(self.cr, kind, length)
        try:
            try:
                while True:
                    try:
                        raw, is_data = await body.__anext__()
                    except StopAsyncIteration:
                        break
                    except (asyncio.IncompleteReadError, ConnectionError, OSError,
                            ProtocolError, asyncio.LimitOverrunError) as e:
                        state.client_error = f"{type(e).__name__}: {e}"
                        uw.transport.abort()  # let the response reader give up too
                        return
                    if is_data:
                        n = len(raw)
                        entry["request_bytes"] += n
                        if drop_at is not None and pos + n >= drop_at:
                            raw = raw[: drop_at - pos]
                            uw.write(raw)
                            pos += len(raw)
                            entry["bytes_forwarded"] += len(raw)
                            self.p.bytes_forwarded += len(raw)
                            raise Dropped()
                        if flip_at is not None and pos <= flip_at < pos + n:
                            b = bytearray(raw)
                            b[flip_at - pos] ^= 0x01
                            raw = bytes(b)
                            entry["flipped_offset"] = flip_at
                        pos += n
                        entry["bytes_forwarded"] += n
                        self.p.bytes_forwarded += n
                    uw.write(raw)
                    await uw.drain()
                state.body_complete = True
                if drop_at is not None:
                    raise Dropped()  # the body was not longer than `bytes`
            finally:
                await body.aclose()
        except Dropped:
            state.dropped = True
            entry["dropped"] = True
            entry["error"] = f"connections reset after {pos} request body bytes (by plan)"
            # Let what was forwarded reach the upstream, then reset both sides.
            with contextlib.suppress(Exception):
                uw.transport.set_write_buffer_limits(high=0)
                await asyncio.wait_for(uw.drain(), 5)
                await asyncio.sleep(0.05)
            reset(uw)
            reset(self.cw)
        except (ConnectionError, OSError) as e:
            # Writing upstream failed; the response reader sees what the upstream sent.
            state.upstream_error = f"{type(e).__name__}: {e}"


# ---------------------------------------------------------------------------------------


def parse_hostport(s):
    host, sep, port = s.rpartition(":")
    if not sep or not port.isdigit():
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {s!r}")
    return host.strip("[]") or "127.0.0.1", int(port)


def load_plan(path):
    if not path:
        return Plan({"rules": []})
    with open(path, encoding="utf-8") as f:
        return Plan(json.load(f))


def write_port_file(path, port):
    tmp = f"{path}.tmp.{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(f"{port}\n")
    os.replace(tmp, path)


def quiet_exception_handler(loop, context):
    exc = context.get("exception")
    if isinstance(exc, (ConnectionError, OSError, asyncio.CancelledError)):
        return
    loop.default_exception_handler(context)


async def amain(args, plan):
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(quiet_exception_handler)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    proxy = Proxy(args.upstream, plan, args.log)
    server = await asyncio.start_server(
        proxy.handle, "127.0.0.1", args.listen_port, limit=STREAM_LIMIT, backlog=512
    )
    port = server.sockets[0].getsockname()[1]
    write_port_file(args.port_file, port)
    print(
        f"fault_proxy: listening on 127.0.0.1:{port}, upstream "
        f"{args.upstream[0]}:{args.upstream[1]}, {len(plan.rules)} rule(s)",
        file=sys.stderr,
        flush=True,
    )
    await stop.wait()
    server.close()
    for t in list(proxy.tasks):
        t.cancel()
    if proxy.tasks:
        await asyncio.wait(list(proxy.tasks), timeout=5)
    if proxy.log_file:
        proxy.log_file.close()


def main():
    ap = argparse.ArgumentParser(
        description="Loopback fault-injecting HTTP/1.1 reverse proxy (see the module docstring)."
    )
    ap.add_argument("--upstream", required=True, type=parse_hostport, help="HOST:PORT of the real server")
    ap.add_argument("--plan", help="JSON plan file (default: no rules)")
    ap.add_argument("--port-file", required=True, help="where to write the listening port")
    ap.add_argument("--log", help="JSON-lines request log")
    ap.add_argument("--listen-port", type=int, default=0, help="port on 127.0.0.1 (0: a free one)")
    args = ap.parse_args()
    try:
        plan = load_plan(args.plan)
    except (OSError, ValueError) as e:
        print(f"fault_proxy: bad plan {args.plan}: {e}", file=sys.stderr)
        return 2
    asyncio.run(amain(args, plan))
    return 0


if __name__ == "__main__":
    sys.exit(main())
