"""A local PDS that speaks the XRPC endpoints the atproto SDK calls to post, for one account.

It keeps what a PDS keeps: sessions (access tokens that expire, refresh
tokens used once), blobs, and post records under the record keys clients
choose, and checks what a PDS checks (a post's length in graphemes and
bytes, facet ranges, reply references, TID record keys, thumbnail blobs).
Like the real one it answers a create under a key already taken with a 500.
It also serves images over plain HTTP, for link cards. Faults, held requests
and the request log come from `social.servers.Service`. Only 127.0.0.1.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import struct
import time
import zlib
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import regex
from social.servers import Received, Service, _Handler

XRPC = "/xrpc/"
POST = "app.bsky.feed.post"
TID = re.compile(r"[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}")
MAX_THUMB = 1_000_000

Answer = tuple[int, Any, dict[str, str]]


def cid(data: bytes, codec: int) -> str:
    """A CIDv1 (sha2-256) in base32, as a PDS names records (dag-cbor) and blobs (raw)."""
    raw = bytes([0x01, codec, 0x12, 0x20]) + hashlib.sha256(data).digest()
    return "b" + base64.b32encode(raw).decode().lower().rstrip("=")


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


class BlueskyServer(Service):
    """com.atproto.server.*, com.atproto.repo.* and images, for the account `handle`."""

    def __init__(self, handle: str = "brief.test", password: str = "test-app-pass-word") -> None:
        super().__init__()
        self.RequestHandlerClass = _XrpcHandler
        self.handle = handle
        self.password = password
        self.did = "did:plc:brieftestaccount000000"
        self.access_lifetime = 2 * 3600  # seconds, as bsky.social gives
        self.records: list[dict[str, Any]] = []  # in order of creation: uri, cid, rkey, value
        self.blobs: dict[str, tuple[bytes, str]] = {}
        self.images: dict[str, tuple[bytes, str]] = {}  # path: (bytes, Content-Type)
        self.tokens: list[str] = []  # every token handed out, for tests that look for leaks
        self._access: dict[str, float] = {}  # token: expiry
        self._refresh: set[str] = set()

    # What tests look at ------------------------------------------------------------------

    def calls(self, method: str) -> list[Received]:
        """Requests for one XRPC method, such as com.atproto.server.createSession."""
        return [r for r in self.received if r.path == XRPC + method]

    def texts(self) -> list[str]:
        return [record["value"]["text"] for record in self.records]

    def is_thread(self) -> bool:
        """Whether the records are one thread: each replies to the one before, all to the first."""
        first = self.records[0]
        if "reply" in first["value"]:
            return False
        for before, record in zip(self.records, self.records[1:], strict=False):
            reply = record["value"].get("reply") or {}
            parent, root = reply.get("parent") or {}, reply.get("root") or {}
            if (parent.get("uri"), parent.get("cid")) != (before["uri"], before["cid"]):
                return False
            if (root.get("uri"), root.get("cid")) != (first["uri"], first["cid"]):
                return False
        return True

    def revoke_sessions(self) -> None:
        """Forget every token, as a PDS does when the app password is revoked or changed."""
        with self.lock:
            self._access.clear()
            self._refresh.clear()

    # The service ----------------------------------------------------------------------

    def answer(self, request: Received) -> Answer:
        if request.method == "GET" and request.path in self.images:
            data, mime = self.images[request.path]
            return 200, data, {"Content-Type": mime}
        if not request.path.startswith(XRPC):
            return 404, b"Not Found", {"Content-Type": "text/plain"}
        method = request.path.removeprefix(XRPC)
        with self.lock:
            if method == "com.atproto.server.createSession":
                return self._create_session(request)
            if method == "com.atproto.server.refreshSession":
                return self._refresh_session(request)
            if method == "com.atproto.repo.getRecord":
                return self._get_record(request)
            refused = self._refused(request)
            if refused:
                return refused
            if method == "com.atproto.server.getSession":
                return 200, {"handle": self.handle, "did": self.did, "active": True}, {}
            if method == "com.atproto.repo.uploadBlob":
                return self._upload_blob(request)
            if method == "com.atproto.repo.createRecord":
                return self._create_record(request)
        return _error(404, "MethodNotImplemented", f"{method} is not served here")

    def _token(self, kind: str, lifetime: float) -> str:
        now = int(time.time())
        claims = {"scope": kind, "sub": self.did, "iat": now, "exp": int(now + lifetime)}
        claims["jti"] = secrets.token_hex(8)
        token = ".".join([_b64({"typ": "at+jwt", "alg": "ES256K"}), _b64(claims), "c2ln"])
        self.tokens.append(token)
        return token

    def _session(self) -> dict[str, Any]:
        access = self._token("com.atproto.appPass", self.access_lifetime)
        refresh = self._token("com.atproto.refresh", 60 * 86400)
        self._access[access] = time.time() + self.access_lifetime
        self._refresh.add(refresh)
        return {"did": self.did, "handle": self.handle, "accessJwt": access, "refreshJwt": refresh}

    def _bearer(self, request: Received) -> str:
        return request.headers.get("authorization", "").removeprefix("Bearer ")

    def _create_session(self, request: Received) -> Answer:
        body = request.body
        if body.get("identifier") not in (self.handle, self.did) or body.get("password") != (
            self.password
        ):
            return _error(401, "AuthenticationRequired", "Invalid identifier or password")
        return 200, {**self._session(), "active": True}, {}

    def _refresh_session(self, request: Received) -> Answer:
        token = self._bearer(request)
        if token not in self._refresh:
            return _error(400, "ExpiredToken", "Token has been revoked")
        self._refresh.discard(token)  # a refresh token is used once
        return 200, self._session(), {}

    def _refused(self, request: Received) -> Answer | None:
        expires = self._access.get(self._bearer(request))
        if expires is None:
            return _error(401, "InvalidToken", "Token could not be verified")
        if time.time() >= expires:
            return _error(400, "ExpiredToken", "Token has expired")
        return None

    def _upload_blob(self, request: Received) -> Answer:
        data, mime = request.body["data"], request.headers.get("content-type", "")
        if len(data) > MAX_THUMB * 50:
            return _error(413, "PayloadTooLarge", "request entity too large")
        ref = cid(data, 0x55)
        self.blobs[ref] = (data, mime)
        blob = {"$type": "blob", "ref": {"$link": ref}, "mimeType": mime, "size": len(data)}
        return 200, {"blob": blob}, {}

    def _get_record(self, request: Received) -> Answer:
        query = request.query
        uri = f"at://{query.get('repo')}/{query.get('collection')}/{query.get('rkey')}"
        for record in self.records:
            if record["uri"] == uri.replace(self.handle, self.did, 1):
                return 200, {k: record[k] for k in ("uri", "cid", "value")}, {}
        return _error(400, "RecordNotFound", f"Could not locate record: {uri}")

    def _create_record(self, request: Received) -> Answer:
        body = request.body
        rkey, value = body.get("rkey"), body.get("record") or {}
        if body.get("repo") not in (self.did, self.handle) or body.get("collection") != POST:
            return _error(400, "InvalidRequest", "not this account's posts")
        if not isinstance(rkey, str) or not TID.fullmatch(rkey):
            return _error(400, "InvalidRequest", f"Invalid record key: {rkey!r} is not a TID")
        problem = self._invalid_post(value)
        if problem:
            return _error(400, "InvalidRecord", problem)
        uri = f"at://{self.did}/{POST}/{rkey}"
        if any(record["uri"] == uri for record in self.records):
            # What the reference PDS answers for a key already taken.
            return _error(500, "InternalServerError", "Internal Server Error")
        made = {"uri": uri, "cid": cid(json.dumps(value).encode(), 0x71), "rkey": rkey}
        self.records.append({**made, "value": value})
        commit = {"cid": cid(uri.encode(), 0x71), "rev": rkey}
        return (
            200,
            {"uri": uri, "cid": made["cid"], "commit": commit, "validationStatus": "valid"},
            {},
        )

    def _invalid_post(self, value: dict[str, Any]) -> str | None:
        """What app.bsky.feed.post's lexicon (and the PDS) would refuse in a post, or None."""
        text = value.get("text", "")
        data = text.encode("utf-8")
        if value.get("$type") != POST or "createdAt" not in value:
            return "Record/$type and Record/createdAt are required"
        if len(regex.findall(r"\X", text)) > 300 or len(data) > 3000:
            return "Record/text must not be longer than 300 graphemes"
        for facet in value.get("facets") or []:
            start, end = facet["index"]["byteStart"], facet["index"]["byteEnd"]
            try:
                data[start:end].decode("utf-8")
            except UnicodeDecodeError:
                return f"facet {start}-{end} cuts a character"
            if not 0 <= start < end <= len(data):
                return f"facet {start}-{end} is outside the text"
        reply = value.get("reply")
        if reply:
            known = {record["uri"]: record["cid"] for record in self.records}
            for name in ("root", "parent"):
                ref = reply.get(name) or {}
                if known.get(ref.get("uri")) != ref.get("cid"):
                    return f"Record/reply/{name} is not a post of this repository"
        thumb = ((value.get("embed") or {}).get("external") or {}).get("thumb")
        if thumb:
            blob = self.blobs.get(thumb["ref"]["$link"])
            if blob is None:
                return "Record/embed/external/thumb: blob not found"
            if not blob[1].startswith("image/") or len(blob[0]) > MAX_THUMB:
                return "Record/embed/external/thumb: must be an image of at most 1000000 bytes"
        return None


def _error(status: int, error: str, message: str) -> Answer:
    return status, {"error": error, "message": message}, {}


class _XrpcHandler(_Handler):
    """Reads blob uploads as bytes and answers with bytes where the service gives them."""

    def _read(self) -> Received:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        content_type = self.headers.get("Content-Type") or ""
        # JSON for every XRPC procedure but uploadBlob, whose body is the blob's bytes.
        body = json.loads(raw or b"{}") if "json" in content_type else {"data": raw}
        parts = urlsplit(self.path)
        return Received(
            method=self.command,
            path=unquote(parts.path).rstrip("/") or "/",
            query={key: values[-1] for key, values in parse_qs(parts.query).items()},
            headers={name.lower(): value for name, value in self.headers.items()},
            body=body,
        )

    def _send(self, status: int, body: Any, headers: dict[str, str]) -> None:
        if not isinstance(body, bytes):
            super()._send(status, body, headers)
            return
        self.send_response(status, HTTPStatus(status).phrase)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


def png(width: int = 2, height: int = 1, padding: int = 0) -> bytes:
    """A small valid PNG made here (plus `padding` bytes in a private chunk, to make it large)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = b"".join(b"\x00" + b"\x20\x60\xc0" * width for _ in range(height))
    extra = chunk(b"prVt", b"\x00" * padding) if padding else b""
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + extra
        + chunk(b"IDAT", zlib.compress(pixels))
        + chunk(b"IEND", b"")
    )
