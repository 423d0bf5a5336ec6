"""`publisher serve` for the tests: the real application on uvicorn, on 127.0.0.1.

`LiveServer` runs it in a thread of the test process on a socket bound before
it starts (no port races); `spawn_serve` runs the real command line in its
own process. Both answer real HTTP, and both are stopped by the fixture that
started them.
"""

from __future__ import annotations

import email
import re
import socket
import subprocess
import threading
import time
from email import policy
from email.message import EmailMessage
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin

import httpx
import uvicorn

from publisher.plugins import load_plugins
from publisher.web.app import create_app
from publisher.web.server import settings
from publisher.workspace import Workspace


class LiveServer:
    """The application of one project, served by uvicorn in a thread.

    The socket is bound first, so that the project's site URL can be the server's.
    """

    def __init__(self) -> None:
        self._socket = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}"
        self._server: uvicorn.Server | None = None

    def start(self, config: Path, plugins: list | None = None) -> LiveServer:
        loaded = load_plugins(extra=plugins or ())
        workspace = Workspace.open(config, plugins=loaded)
        self._server = uvicorn.Server(settings(create_app(workspace, loaded)))
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 20
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
            self._thread.join(20)
        self._socket.close()

    def client(self) -> httpx.Client:
        """A client with its own cookie jar: one browser."""
        return httpx.Client(base_url=self.url, follow_redirects=False, timeout=30)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(url: str, process: subprocess.Popen, seconds: float = 30) -> None:
    """Until `url` answers 200; fail with the server's output if it dies first."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            out, err = process.communicate()
            raise RuntimeError(f"publisher serve exited {process.returncode}: {out}{err}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer in {seconds}s")


def stop(process: subprocess.Popen) -> tuple[str, str]:
    """SIGTERM, as systemd stops it; the output it wrote."""
    if process.poll() is None:
        process.terminate()
    try:
        return process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.communicate()


class _Forms(HTMLParser):
    """Forms and links of a page, as a browser would submit and follow them."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attributes = dict(attrs)
        if tag == "form":
            self.forms.append({"action": attributes.get("action", ""), "fields": {}})
        elif tag in ("input", "select") and self.forms and attributes.get("name"):
            self.forms[-1]["fields"][attributes["name"]] = attributes.get("value") or ""
        elif tag == "a" and attributes.get("href"):
            self.links.append(attributes["href"])


def forms(page: str) -> list[dict]:
    parser = _Forms()
    parser.feed(page)
    return parser.forms


def links(page: str) -> list[str]:
    parser = _Forms()
    parser.feed(page)
    return parser.links


def submit(client: httpx.Client, page: httpx.Response, index: int = 0, **fields) -> httpx.Response:
    """Fill in and send a page's form as a browser does (its hidden fields included)."""
    form = forms(page.text)[index]
    data = {**form["fields"], **fields}
    return client.post(urljoin(str(page.url), form["action"]), data=data)


def parse(raw: bytes) -> EmailMessage:
    return email.message_from_bytes(raw, policy=policy.default)


def link_in(message: EmailMessage, path: str) -> str:
    """The first link to `path` in the text part of a message."""
    text = message.get_body(("plain",)).get_content()
    found = re.search(rf"https?://\S*{re.escape(path)}\S*", text)
    assert found, f"no {path} link in:\n{text}"
    return found.group(0)


def spawn_serve(project, port: int, *options: str) -> subprocess.Popen:
    """`publisher serve` of `project` as a real process on 127.0.0.1:`port`, once it answers."""
    process = project.spawn("serve", "--port", str(port), *options)
    wait_for(f"http://127.0.0.1:{port}/healthz", process)
    return process
