"""`publisher serve`: the application on uvicorn, behind a reverse proxy or on its own.

Whatever can stop the pages happens before `serve` says it is serving: the
state database is opened, every plugin checks that its pages can work with the
configuration (`publisher_serve_check`), and the address is bound.
"""

from __future__ import annotations

import socket

import uvicorn

from publisher.errors import ConfigError
from publisher.plugins import Plugins, call_each
from publisher.web.app import create_app

HOOK = "publisher_serve_check"


class Listening:
    """The pages, ready on a bound socket: `run` serves them until SIGINT or SIGTERM
    (requests in progress are finished first)."""

    def __init__(self, server: uvicorn.Server, bound: socket.socket) -> None:
        self.server = server
        self.socket = bound

    def run(self) -> None:
        try:
            self.server.run(sockets=[self.socket])
        finally:
            self.socket.close()


def listen(
    workspace,
    plugins: Plugins,
    host: str,
    port: int,
    root_path: str,
    forwarded_allow_ips: str,
) -> Listening:
    """Everything `serve` needs, checked and bound; ConfigError (exit code 2) says why not."""
    workspace.state.engine  # noqa: B018 - a state database that cannot be opened stops us here
    answers = call_each(plugins, HOOK, destinations=workspace.destinations())
    problems = [str(line) for answer in answers for line in answer or ()]
    if problems:
        raise ConfigError("; ".join(problems))
    app = create_app(workspace, plugins)
    bound = _bind(host, port)
    server = uvicorn.Server(settings(app, host, port, root_path, forwarded_allow_ips))
    return Listening(server, bound)


def _bind(host: str, port: int) -> socket.socket:
    """The listening address, bound as uvicorn would bind it, or a one-line reason."""
    bound = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    try:
        bound.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        bound.bind((host, port))
    except OSError as error:
        bound.close()
        shown = f"[{host}]" if ":" in host else host
        raise ConfigError(
            f"--host/--port: cannot listen on {shown}:{port}: {error.strerror or error} "
            "(choose another --port, or stop what uses it)"
        ) from None
    return bound


def settings(
    app,
    host: str = "127.0.0.1",
    port: int = 8000,
    root_path: str = "",
    forwarded_allow_ips: str = "127.0.0.1",
) -> uvicorn.Config:
    """uvicorn's settings for the pages: proxy headers from trusted proxies only, no access
    log of its own, no Server header."""
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        root_path=root_path,
        proxy_headers=True,
        forwarded_allow_ips=forwarded_allow_ips,
        access_log=False,  # ours leaves out the query strings, where personal tokens are
        log_config=None,  # the command line's logging: text or JSON, secrets masked
        server_header=False,
        timeout_graceful_shutdown=10,
        lifespan="off",
    )
