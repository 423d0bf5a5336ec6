"""Local HTTP servers that speak the parts of the Mastodon and X APIs our clients call.

Each records every request it receives and keeps posts the way the real
service does (Mastodon honours Idempotency-Key, for as long as the test lets
it, and gives statuses back as HTML; X refuses duplicate text across the whole
account and shortens links; both take media uploads with their alt text), and
fails on demand: an error status, a dropped connection, or a request held open
so that a test can kill the client while it waits. `ImageServer` serves the
pictures stories point at. Only ever bound to 127.0.0.1.
"""

from __future__ import annotations

import html
import json
import re
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import regex
from twitter_text import parse_tweet

HOLD_LIMIT = 30.0  # seconds a held request waits for its release, so no thread outlives a test

Answer = tuple[int, dict[str, Any] | list[Any], dict[str, str]]


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # names in lower case
    body: dict[str, Any]


@dataclass
class Fault:
    """What happens to matching requests instead of a plain answer.

    `status` answers with that status, `body` and `headers`; `drop` closes the
    connection without a word; `hold` keeps the request open until the test
    releases it (then it is dropped). With `after`, the request is carried out
    first (the post is made) and only the answer goes wrong.
    """

    method: str
    path: str
    status: int = 200
    body: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False
    hold: bool = False
    after: bool = False
    skip: int = 0  # matching requests let through first
    times: int = 1


class Service(ThreadingHTTPServer):
    """A threaded server with a request log, fault injection and held requests."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.lock = threading.Lock()
        self.received: list[Received] = []
        self.faults: list[Fault] = []
        self.holding = threading.Event()
        self.released = threading.Event()
        # A short poll interval, so that stopping the server takes no noticeable time.
        self._thread = threading.Thread(target=self.serve_forever, args=(0.01,), daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def __enter__(self) -> Service:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.released.set()
        self.shutdown()
        self.server_close()
        self._thread.join(timeout=HOLD_LIMIT)

    def fail(self, method: str, path: str, **how: Any) -> Fault:
        fault = Fault(method, path, **how)
        with self.lock:
            self.faults.append(fault)
        return fault

    def requests(self, method: str, path: str) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.method == method and r.path == path]

    def take_fault(self, request: Received) -> Fault | None:
        with self.lock:
            self.received.append(request)
            for fault in self.faults:
                if fault.method != request.method or not request.path.startswith(fault.path):
                    continue
                if fault.skip:
                    fault.skip -= 1
                    continue
                if fault.times:
                    fault.times -= 1
                    return fault
        return None

    def answer(self, request: Received) -> Answer:
        """The service's own answer to a request; subclasses speak their API."""
        raise NotImplementedError

    def serve(self, handler: _Handler, request: Received) -> bool:
        """Answer a request that is not JSON by writing it to `handler`; False for JSON."""
        return False


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Service

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:  # quiet test output
        pass

    def _serve(self) -> None:
        request = self._read()
        fault = self.server.take_fault(request)
        if fault is None:
            if not self.server.serve(self, request):
                self._send(*self.server.answer(request))
            return
        if fault.after:
            self.server.answer(request)  # the work is done; only the answer goes wrong
        if fault.hold:
            self.server.holding.set()
            self.server.released.wait(HOLD_LIMIT)
        if fault.hold or fault.drop:
            self.close_connection = True  # closed without an answer
        else:
            self._send(fault.status, fault.body, fault.headers)

    def _read(self) -> Received:
        length = int(self.headers.get("Content-Length") or 0)
        data = self.rfile.read(length) if length else b""
        kind = self.headers.get("Content-Type") or ""
        if "json" in kind:
            body = json.loads(data.decode("utf-8") or "{}")
        elif kind.startswith("multipart/form-data"):
            body = _multipart(kind, data)
        else:
            # A key such as media_ids[] keeps all its values; any other, its last one.
            body = {
                key: values if key.endswith("[]") else values[-1]
                for key, values in parse_qs(data.decode("utf-8")).items()
            }
        parts = urlsplit(self.path)
        return Received(
            method=self.command,
            path=unquote(parts.path).rstrip("/") or "/",
            query={key: values[-1] for key, values in parse_qs(parts.query).items()},
            headers={name.lower(): value for name, value in self.headers.items()},
            body=body,
        )

    def _send(self, status: int, body: dict[str, Any] | list[Any], headers: dict[str, str]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


def _multipart(kind: str, data: bytes) -> dict[str, Any]:
    """A multipart/form-data body: text fields as text, files as {filename, type, data}."""
    message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {kind}\r\n\r\n".encode() + data)
    body: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True) or b""
        filename = part.get_filename()
        if filename is None:
            body[name] = payload.decode("utf-8")
        else:
            body[name] = {"filename": filename, "type": part.get_content_type(), "data": payload}
    return body


def image_type(data: bytes) -> str | None:
    """What an uploaded file is, as a service finds out from its first bytes."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    return None


# Pictures -----------------------------------------------------------------------------------

# The smallest PNG: one transparent pixel.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


class ImageServer(Service):
    """Files by path (`files`), as a story's image URL points at them; 404 for the rest."""

    def __init__(self) -> None:
        super().__init__()
        self.files: dict[str, tuple[bytes, str]] = {"/picture.png": (PNG, "image/png")}

    def answer(self, request: Received) -> Answer:  # unused: files are not JSON
        raise NotImplementedError

    def serve(self, handler: _Handler, request: Received) -> bool:
        found = self.files.get(request.path)
        status, data, kind = (200, *found) if found else (404, b"not found", "text/plain")
        handler.send_response(status)
        handler.send_header("Content-Type", kind)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)
        return True


# Mastodon -------------------------------------------------------------------------------

_URL = re.compile(r"https?://\S+")
_REMOTE_MENTION = regex.compile(r"(@\w+)@[\w.-]+\w")
# What Mastodon links in a status: URLs (without trailing punctuation), hashtags, mentions.
_ENTITY = regex.compile(
    r"(?P<url>https?://[^\s<>\"]*[^\s<>\".,;:!?)\]'’”])"
    r"|(?<![\w/])#(?P<tag>\w+)"
    r"|(?<![\w/])@(?P<user>\w+)(?:@(?P<domain>[\w.-]+\w))?"
)
_SHOWN_URL = 30  # characters of a link Mastodon shows after its scheme
PRIVATE = ("text", "idempotency_key", "data")  # kept for the tests' eyes, never sent


class MastodonServer(Service):
    """/api/v1 and /api/v2 as Mastodon.py calls them, for one account."""

    def __init__(self, token: str = "mastodon-test-token", max_characters: int = 500) -> None:
        super().__init__()
        self.token = token
        self.max_characters = max_characters
        self.url_width = 23
        self.statuses: list[dict[str, Any]] = []
        self.media: dict[str, dict[str, Any]] = {}
        self.image_size_limit = 16 * 1024 * 1024
        # Mastodon itself takes the same text twice; set this to refuse it as X does.
        self.refuse_duplicates = False
        self._by_key: dict[str, dict[str, Any]] = {}
        self.account = {"id": "1", "username": "brief", "acct": "brief", "display_name": "Brief"}

    def is_thread(self) -> bool:
        """Whether the statuses are one thread, each replying to the one before."""
        return _is_thread(self.statuses, "in_reply_to_id")

    def forget_keys(self) -> None:
        """Forget every Idempotency-Key, as Mastodon does about an hour after a request."""
        with self.lock:
            self._by_key.clear()

    def add_status(self, text: str, in_reply_to_id: str | None = None) -> dict[str, Any]:
        """A status the account made some other way (by hand, in the web interface)."""
        with self.lock:
            return self._make(text, {"in_reply_to_id": in_reply_to_id}, key=None)

    def count(self, text: str, spoiler_text: str = "") -> int:
        """Mastodon's count: the content warning as written (stripped), then the text with every
        URL at the reserved width and mentions without domain, in graphemes, both together."""
        text = _URL.sub("x" * self.url_width, _REMOTE_MENTION.sub(r"\1", text))
        return len(regex.findall(r"\X", spoiler_text.strip() + text))

    def answer(self, request: Received) -> Answer:
        if request.method == "GET" and request.path in ("/api/v1/instance", "/api/v2/instance"):
            return 200, self._instance(), {}
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return 401, {"error": "The access token is invalid"}, {}
        if request.path == "/api/v1/accounts/verify_credentials":
            return 200, self.account, {}
        if (
            request.method == "GET"
            and request.path == f"/api/v1/accounts/{self.account['id']}/statuses"
        ):
            return 200, self._timeline(request), {}
        if request.method == "POST" and request.path == "/api/v1/statuses":
            return self._post(request)
        if request.method == "POST" and request.path == "/api/v2/media":
            return self._upload(request)
        if request.method == "GET" and request.path.startswith("/api/v1/media/"):
            found = self.media.get(request.path.rsplit("/", 1)[-1])
            return (200, _public(found), {}) if found else (404, {"error": "Record not found"}, {})
        return 404, {"error": "Record not found"}, {}

    def _upload(self, request: Received) -> Answer:
        """POST /api/v2/media: an image is processed at once (200), with its description."""
        file = request.body.get("file") or {}
        data = file.get("data", b"")
        if image_type(data) is None:
            return 422, {"error": "Validation failed: File content type is invalid"}, {}
        if len(data) > self.image_size_limit:
            return 422, {"error": "Validation failed: File file size must be less than 16 MB"}, {}
        with self.lock:
            media_id = str(1000 + len(self.media))
            self.media[media_id] = {
                "id": media_id,
                "type": "image",
                "url": f"{self.url}/media/{media_id}.png",
                "preview_url": f"{self.url}/media/{media_id}-small.png",
                "description": request.body.get("description"),
                "blurhash": None,
                "meta": {},
                "data": data,
            }
            return 200, _public(self.media[media_id]), {}

    def _instance(self) -> dict[str, Any]:
        return {
            "domain": urlsplit(self.url).netloc,
            "title": "Test instance",
            "version": "4.3.0",
            "api_versions": {"mastodon": 2},
            "configuration": {
                "statuses": {
                    "max_characters": self.max_characters,
                    "max_media_attachments": 4,
                    "characters_reserved_per_url": self.url_width,
                },
                "media_attachments": {
                    "supported_mime_types": ["image/jpeg", "image/png", "video/mp4"],
                    "image_size_limit": self.image_size_limit,
                },
            },
        }

    def _post(self, request: Received) -> Answer:
        key = request.headers.get("idempotency-key")
        with self.lock:
            if key in self._by_key:  # Mastodon answers a repeated key with the status it made
                return 200, _public(self._by_key[key]), {}
            text = request.body.get("status", "")
            if self.count(text, request.body.get("spoiler_text", "")) > self.max_characters:
                error = f"Validation failed: Text character limit of {self.max_characters} exceeded"
                return 422, {"error": error}, {}
            reply_to = request.body.get("in_reply_to_id")
            if reply_to and not any(s["id"] == reply_to for s in self.statuses):
                return 404, {"error": "Record not found"}, {}
            if self.refuse_duplicates and any(s["text"] == text for s in self.statuses):
                return 422, {"error": "Validation failed: Text has already been posted"}, {}
            media_ids = request.body.get("media_ids[]") or []
            if any(media_id not in self.media for media_id in media_ids):
                return 422, {"error": "Validation failed: Media attachments are invalid"}, {}
            status = self._make(text, request.body, key)
        return 200, _public(status), {}

    def _make(self, text: str, body: dict[str, Any], key: str | None) -> dict[str, Any]:
        number = str(len(self.statuses) + 1)
        status = {
            "id": number,
            "created_at": datetime.now(UTC).isoformat(),
            "in_reply_to_id": body.get("in_reply_to_id"),
            "visibility": body.get("visibility", "public"),
            "language": body.get("language"),
            "spoiler_text": body.get("spoiler_text", ""),
            "content": self._html(text),
            "url": f"{self.url}/@brief/{number}",
            "media_attachments": [
                _public(self.media[media_id]) for media_id in body.get("media_ids[]") or []
            ],
            "account": self.account,
            "reblog": None,
            "text": text,  # what Mastodon keeps as the source
            "idempotency_key": key,
        }
        self.statuses.append(status)
        if key:
            self._by_key[key] = status
        return status

    def _timeline(self, request: Received) -> list[dict[str, Any]]:
        """The account's statuses, newest first, as many as asked for up to Mastodon's 40."""
        most = min(int(request.query.get("limit", "20")), 40)
        with self.lock:
            return [_public(status) for status in reversed(self.statuses)][:most]

    def _html(self, text: str) -> str:
        """The `content` Mastodon's TextFormatter makes: entities linked, every text
        escaped, then paragraphs and line breaks (Rails' simple_format, newlines removed)."""
        text = text.strip()
        pieces, last = [], 0
        for entity in _ENTITY.finditer(text):
            pieces += [html.escape(text[last : entity.start()]), self._link(entity)]
            last = entity.end()
        pieces.append(html.escape(text[last:]))
        paragraphs = re.split(r"\n\s*\n", "".join(pieces))
        return "".join(f"<p>{p.replace(chr(10), '<br />')}</p>" for p in paragraphs)

    def _link(self, entity: regex.Match[str]) -> str:
        if entity["url"]:
            return _shortened(entity["url"])
        if entity["tag"]:
            tag = html.escape(entity["tag"])
            return (
                f'<a href="{self.url}/tags/{tag}" class="mention hashtag" rel="tag">'
                f"#<span>{tag}</span></a>"
            )
        # A known account: shown by its name alone, wherever it lives.
        user, domain = html.escape(entity["user"]), entity["domain"] or urlsplit(self.url).netloc
        return (
            f'<span class="h-card" translate="no"><a href="https://{html.escape(domain)}/@{user}" '
            f'class="u-url mention">@<span>{user}</span></a></span>'
        )


def _shortened(url: str) -> str:
    """A link as Mastodon writes it: the scheme and the tail past 30 characters hidden."""
    prefix = re.match(r"https?://(www\.)?", url).group()
    shown, tail = url[len(prefix) : len(prefix) + _SHOWN_URL], url[len(prefix) + _SHOWN_URL :]
    return (
        f'<a href="{html.escape(url)}" target="_blank" rel="nofollow noopener noreferrer" '
        f'translate="no"><span class="invisible">{html.escape(prefix)}</span>'
        f'<span class="{"ellipsis" if tail else ""}">{html.escape(shown)}</span>'
        f'<span class="invisible">{html.escape(tail)}</span></a>'
    )


def _public(status: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in status.items() if name not in PRIVATE}


# X ----------------------------------------------------------------------------------------


class XServer(Service):
    """api.twitter.com's /2 endpoints as tweepy calls them, for one account (OAuth 1.0a)."""

    def __init__(
        self, consumer_key: str = "x-test-api-key", access_token: str = "1234-x-test-token"
    ) -> None:
        super().__init__()
        self.consumer_key = consumer_key
        self.access_token = access_token
        self.user = {"id": "1234", "name": "Brief", "username": "brief"}
        self.tweets: list[dict[str, Any]] = []
        self.media: dict[str, dict[str, Any]] = {}

    def is_thread(self) -> bool:
        """Whether the posts are one thread, each replying to the one before."""
        return _is_thread(self.tweets, "reply_to")

    def answer(self, request: Received) -> Answer:
        if not self._signed(request.headers.get("authorization", "")):
            detail = {"title": "Unauthorized", "type": "about:blank", "status": 401}
            return 401, {**detail, "detail": "Unauthorized"}, {}
        if request.method == "POST" and request.path == "/2/tweets":
            return self._post(request)
        if request.method == "POST" and request.path == "/1.1/media/upload.json":
            return self._upload(request)
        if request.method == "POST" and request.path == "/1.1/media/metadata/create.json":
            found = self.media.get(str(request.body.get("media_id")))
            if found is None:
                return 400, {"errors": [{"code": 324, "message": "Invalid media id"}]}, {}
            found["alt_text"] = (request.body.get("alt_text") or {}).get("text")
            return 200, {}, {}
        if request.path == "/2/users/me":
            return 200, {"data": self.user}, {}
        if request.path == f"/2/users/{self.user['id']}/tweets":
            return 200, self._timeline(request), {}
        return 404, {"title": "Not Found Error", "detail": request.path, "status": 404}, {}

    def _signed(self, authorization: str) -> bool:
        return (
            authorization.startswith("OAuth ")
            and f'oauth_consumer_key="{self.consumer_key}"' in authorization
            and f'oauth_token="{self.access_token}"' in authorization
        )

    def _upload(self, request: Received) -> Answer:
        """POST upload.twitter.com/1.1/media/upload.json, a simple (not chunked) upload."""
        data = (request.body.get("media") or {}).get("data", b"")
        kind = image_type(data)
        if kind is None:
            return 400, {"errors": [{"code": 324, "message": "Unsupported media type"}]}, {}
        with self.lock:
            media_id = str(1_800_000_000_000_000_000 + len(self.media) + 1)
            self.media[media_id] = {"type": kind, "size": len(data), "alt_text": None}
        image = {"image_type": kind, "w": 1, "h": 1}
        answer = {"media_id": int(media_id), "media_id_string": media_id, "size": len(data)}
        return 200, {**answer, "expires_after_secs": 86400, "image": image}, {}

    def _post(self, request: Received) -> Answer:
        text = request.body.get("text", "")
        reply_to = (request.body.get("reply") or {}).get("in_reply_to_tweet_id")
        media_ids = (request.body.get("media") or {}).get("media_ids") or []
        with self.lock:
            if not parse_tweet(text).valid:
                return 400, _problem(400, "Invalid Request", "Your Tweet text is too long."), {}
            if any(tweet["sent"] == text for tweet in self.tweets):
                detail = "You are not allowed to create a Tweet with duplicate content."
                return 403, _problem(403, "Forbidden", detail), {}
            if reply_to and not any(tweet["id"] == reply_to for tweet in self.tweets):
                detail = "You attempted to reply to a Tweet that is deleted or not visible to you."
                return 403, _problem(403, "Forbidden", detail), {}
            if any(media_id not in self.media for media_id in media_ids):
                return 400, _problem(400, "Invalid Request", "Your media IDs are invalid."), {}
            tweet_id = str(1_900_000_000_000_000_000 + len(self.tweets) + 1)
            tweet = {
                "id": tweet_id,
                "sent": text,
                "text": _as_x_shows(text),
                "reply_to": reply_to,
                "media": [self.media[media_id] for media_id in media_ids],
            }
            self.tweets.append(tweet)
        data = {"id": tweet_id, "text": tweet["text"], "edit_history_tweet_ids": [tweet_id]}
        return 201, {"data": data}, {}

    def _timeline(self, request: Received) -> dict[str, Any]:
        most = int(request.query.get("max_results", "10"))
        fields = request.query.get("tweet.fields", "").split(",")
        with self.lock:
            latest = list(reversed(self.tweets))[:most]
        data = []
        for tweet in latest:
            item = {
                "id": tweet["id"],
                "text": tweet["text"],
                "edit_history_tweet_ids": [tweet["id"]],
            }
            if "referenced_tweets" in fields and tweet["reply_to"]:
                item["referenced_tweets"] = [{"type": "replied_to", "id": tweet["reply_to"]}]
            data.append(item)
        return {"data": data, "meta": {"result_count": len(data)}} if data else {"meta": {}}


def _is_thread(posts: list[dict[str, Any]], reply_key: str) -> bool:
    return [post[reply_key] for post in posts] == [None, *[post["id"] for post in posts[:-1]]]


def _as_x_shows(text: str) -> str:
    """X gives text back with links shortened to t.co and &, < and > escaped."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _URL.sub(lambda m: f"https://t.co/{abs(hash(m.group())) % 10**10:010d}", escaped)


def _problem(status: int, title: str, detail: str) -> dict[str, Any]:
    return {"title": title, "detail": detail, "type": "about:blank", "status": status}
