"""Where tweepy's requests go: its host is fixed to api.twitter.com, so the session is routed.

The adapter is mounted on the client's requests session. With `api_url` set it
rewrites the scheme and host of every request (a forwarding proxy, or a local
server in tests); either way it gives every request a timeout, which tweepy
does not.
"""

from __future__ import annotations

from typing import Any

import requests
from requests.adapters import HTTPAdapter

X_API = "https://api.twitter.com"


class RoutedAdapter(HTTPAdapter):
    def __init__(self, base: str | None, timeout: float) -> None:
        super().__init__()
        self.base = base.rstrip("/") if base else None
        self.timeout = timeout

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        if self.base and request.url and request.url.startswith(X_API):
            request.url = self.base + request.url.removeprefix(X_API)
            # Proxies were chosen for api.twitter.com; choose again for the new host.
            kwargs["proxies"] = requests.utils.get_environ_proxies(request.url)
        kwargs["timeout"] = kwargs.get("timeout") or self.timeout
        return super().send(request, **kwargs)


def route(session: requests.Session, base: str | None, timeout: float) -> None:
    session.mount(X_API + "/", RoutedAdapter(base, timeout))
