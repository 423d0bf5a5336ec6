"""Local HTTP servers that speak the parts of the Mastodon and X APIs our clients call.

Each records every request it receives and keeps posts the way the real
service does (Mastodon honours Idempotency-Key, for as long as the test lets
it, and gives statuses back as HTML; X refuses duplicate text and shortens
links), and fails on demand: an error status, a dropped connection,
or a request held open so that a test can kill the client while it waits.
Only ever bound to 127.0.0.1.
"""

from __future__ import annotations

import html
import json
import re
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
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
        raw = self.rfile.read(length).decode("utf-8") if length else ""
        if "json" in (self.headers.get("Content-Type") or ""):
            body = json.loads(raw or "{}")
        else:
            body = {key: values[-1] for key, values in parse_qs(raw).items()}
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
PRIVATE = ("text", "idempotency_key")  # kept on a status for the tests' eyes, never sent


class MastodonServer(Service):
    """/api/v1 and /api/v2 as Mastodon.py calls them, for one account."""

    def __init__(self, token: str = "mastodon-test-token", max_characters: int = 500) -> None:
        super().__init__()
        self.token = token
        self.max_characters = max_characters
        self.url_width = 23
        self.statuses: list[dict[str, Any]] = []
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
        return 404, {"error": "Record not found"}, {}

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
                }
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

    def is_thread(self) -> bool:
        """Whether the posts are one thread, each replying to the one before."""
        return _is_thread(self.tweets, "reply_to")

    def answer(self, request: Received) -> Answer:
        if not self._signed(request.headers.get("authorization", "")):
            detail = {"title": "Unauthorized", "type": "about:blank", "status": 401}
            return 401, {**detail, "detail": "Unauthorized"}, {}
        if request.method == "POST" and request.path == "/2/tweets":
            return self._post(request)
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

    def _post(self, request: Received) -> Answer:
        text = request.body.get("text", "")
        reply_to = (request.body.get("reply") or {}).get("in_reply_to_tweet_id")
        with self.lock:
            if not parse_tweet(text).valid:
                return 400, _problem(400, "Invalid Request", "Your Tweet text is too long."), {}
            if any(tweet["sent"] == text for tweet in self.tweets):
                detail = "You are not allowed to create a Tweet with duplicate content."
                return 403, _problem(403, "Forbidden", detail), {}
            if reply_to and not any(tweet["id"] == reply_to for tweet in self.tweets):
                detail = "You attempted to reply to a Tweet that is deleted or not visible to you."
                return 403, _problem(403, "Forbidden", detail), {}
            tweet_id = str(1_900_000_000_000_000_000 + len(self.tweets) + 1)
            tweet = {"id": tweet_id, "sent": text, "text": _as_x_shows(text), "reply_to": reply_to}
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
