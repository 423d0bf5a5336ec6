"""`publisher serve`: the application on uvicorn, behind a reverse proxy or on its own."""

from __future__ import annotations

import uvicorn

from publisher.plugins import Plugins
from publisher.web.app import create_app


def serve(
    workspace,
    plugins: Plugins,
    host: str,
    port: int,
    root_path: str,
    forwarded_allow_ips: str,
) -> None:
    """Serve until SIGINT or SIGTERM; requests in progress are finished first."""
    workspace.state.engine  # noqa: B018 - a state database that cannot be opened stops us here
    app = create_app(workspace, plugins)
    uvicorn.Server(settings(app, host, port, root_path, forwarded_allow_ips)).run()


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
