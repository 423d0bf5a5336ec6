"""A loopback HTTP recorder: a real server on 127.0.0.1 to point a channel's `deliver` at.

It records every request and answers what is sent (POST, PUT, PATCH) with 201
and an id, unless told to answer otherwise for the next requests: a chosen
status, a stall (the request is held open, unanswered), a drop (the
connection closed without a word), or a lost answer (the request taken, the
connection closed before the answer).

    with Recorder() as recorder:
        recorder.answer(503)          # the next request gets a 503
        recorder.drop()               # the one after that, a closed connection
        ...                           # point your channel at recorder.url
        [first, second, third] = recorder.requests
"""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

STALL_LIMIT = 30.0  # seconds a stalled request is held at most, so no thread outlives a test
MAX_BODY = 16 * 1024 * 1024  # bytes kept of one request; a larger one is refused with 413
WRITES = frozenset({"POST", "PUT", "PATCH"})


@dataclass(frozen=True)
class Request:
    """One request as the recorder received it.

    `status` is what the recorder answered (or, for a lost answer, would have), None when
    it stalled or dropped the request; `answered` is False when the client got no answer.

    >>> Request("POST", "/posts", {}, {}, b'{"text": "Ferries run again"}', 201).json()
    {'text': 'Ferries run again'}
    """

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # names in lower case
    body: bytes
    status: int | None
    answered: bool = True

    def json(self) -> Any:
        """The body read as JSON."""
        return json.loads(self.body)

    @property
    def text(self) -> str:
        """The body as a person would read it: the strings of a JSON body, the values of a
        form, else the body decoded as UTF-8."""
        kind = self.headers.get("content-type", "")
        decoded = self.body.decode("utf-8", errors="replace")
        if "json" in kind:
            try:
                return "\n".join(_strings(json.loads(decoded)))
            except ValueError:
                return decoded
        if kind.startswith("application/x-www-form-urlencoded"):
            return "\n".join(v for values in parse_qs(decoded).values() for v in values)
        return decoded


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for item in value.values() for text in _strings(item)]
    if isinstance(value, list):
        return [text for item in value for text in _strings(item)]
    return []


@dataclass
class _Plan:
    """What to do with one of the next requests instead of the usual 201."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    stall: float | None = None  # seconds to hold it open before dropping it
    drop: bool = False
    lose_answer: bool = False  # take it as usual, then close without answering


class Recorder:
    """A threaded HTTP server on 127.0.0.1 (any free port) that keeps every request.

    Any path is accepted. The usual answer to a POST, PUT or PATCH is 201 with
    `{"id": "N", "url": ".../received/N"}` and a `Location` header, N counting
    those taken so far; to any other method, 404 (the recorder keeps nothing to
    read back: a channel's `recover` looking for a part finds none, unless the
    test says otherwise with `answer`).

    >>> import urllib.request
    >>> with Recorder() as recorder:
    ...     posted = urllib.request.Request(recorder.url + "/posts", data=b"{}", method="POST")
    ...     answer = urllib.request.urlopen(posted, timeout=10)
    ...     answer.status, recorder.requests[0].method, recorder.requests[0].path
    (201, 'POST', '/posts')
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: list[Request] = []
        self._plans: deque[_Plan] = deque()
        self._accepted = 0
        self.stalled = threading.Event()  # set while a request is held open
        self._released = threading.Event()
        self._server = _Server(self)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,))
        self._thread.daemon = True
        self._started = False

    @property
    def url(self) -> str:
        """http://127.0.0.1:PORT, without a trailing slash."""
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def requests(self) -> list[Request]:
        """Every request received so far, in order."""
        with self._lock:
            return list(self._requests)

    @property
    def accepted(self) -> list[Request]:
        """The requests answered with a 2xx status: what the far side took."""
        return [r for r in self.requests if r.status is not None and 200 <= r.status < 300]

    def answer(
        self,
        status: int,
        body: Any = None,
        headers: dict[str, str] | None = None,
        *,
        times: int = 1,
    ) -> None:
        """Answer the next `times` requests with `status`, a JSON `body` and `headers`."""
        self._plan(_Plan(status, body, dict(headers or {})), times)

    def stall(self, *, times: int = 1, seconds: float = STALL_LIMIT) -> None:
        """Hold the next `times` requests open, unanswered, until `release()` or `seconds`
        pass; then close their connections without an answer."""
        self._plan(_Plan(stall=min(seconds, STALL_LIMIT)), times)

    def drop(self, *, times: int = 1) -> None:
        """Close the connection of the next `times` requests without answering."""
        self._plan(_Plan(drop=True), times)

    def lose_answer(self, *, times: int = 1) -> None:
        """Take the next `times` requests as usual (they count as accepted), then close their
        connections before answering: the client cannot know that they arrived."""
        self._plan(_Plan(lose_answer=True), times)

    def release(self) -> None:
        """End every stall now (and any later one at once)."""
        self._released.set()

    def start(self) -> Recorder:
        if not self._started:
            self._started = True
            self._thread.start()
        return self

    def stop(self) -> None:
        self.release()
        if self._started:
            self._server.shutdown()
            self._thread.join(timeout=STALL_LIMIT)
        self._server.server_close()

    def __enter__(self) -> Recorder:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _plan(self, plan: _Plan, times: int) -> None:
        with self._lock:
            self._plans.extend([plan] * times)

    def _take(self, method: str) -> tuple[_Plan | None, int]:
        with self._lock:
            plan = self._plans.popleft() if self._plans else None
            usual = plan is None or plan.lose_answer
            if usual and method in WRITES:
                self._accepted += 1
            return plan, self._accepted

    def _record(self, request: Request) -> None:
        with self._lock:
            self._requests.append(request)


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a stalled request never holds up the end of a test

    def __init__(self, recorder: Recorder) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.recorder = recorder


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_GET

    def log_message(self, format: str, *args: Any) -> None:  # quiet test output
        pass

    def _serve(self) -> None:
        recorder = self.server.recorder
        body, too_large = self._body()
        plan: _Plan | None
        if too_large:
            plan, number = _Plan(413, {"error": "request too large"}), 0
        else:
            plan, number = recorder._take(self.command)
        answer: tuple[int, Any, dict[str, str]] | None
        if plan is None or plan.lose_answer:
            location = f"{recorder.url}/received/{number}"
            answer = (
                (201, {"id": str(number), "url": location}, {"Location": location})
                if self.command in WRITES
                else (404, {"error": "nothing here: the recorder only takes what is sent"}, {})
            )
        elif plan.drop or plan.stall is not None:
            answer = None
        else:
            answer = (plan.status, plan.body, plan.headers)
        parts = urlsplit(self.path)
        recorder._record(
            Request(
                method=self.command,
                path=parts.path,
                query={key: values[-1] for key, values in parse_qs(parts.query).items()},
                headers={name.lower(): value for name, value in self.headers.items()},
                body=body,
                status=answer[0] if answer else None,
                answered=answer is not None and not (plan is not None and plan.lose_answer),
            )
        )
        if plan is not None and plan.stall is not None:
            recorder.stalled.set()
            recorder._released.wait(plan.stall)
        if answer is None or (plan is not None and plan.lose_answer):
            self.close_connection = True  # closed without an answer
            return
        self._send(*answer)

    def _body(self) -> tuple[bytes, bool]:
        """The request body, chunked or not; (what was kept, whether it was too large)."""
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            data = bytearray()
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return bytes(data[:MAX_BODY]), len(data) > MAX_BODY
                chunk = self.rfile.read(size)
                self.rfile.readline()
                if len(data) <= MAX_BODY:
                    data += chunk
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self.close_connection = True  # the rest of the body is not read
            return b"", True
        return (self.rfile.read(length) if length else b""), False

    def _send(self, status: int, body: Any, headers: dict[str, str]) -> None:
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        if data:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
