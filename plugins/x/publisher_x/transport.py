"""Where tweepy's requests go: its hosts are fixed (api.twitter.com, and upload.twitter.com for
media), so the session is routed.

The adapter is mounted on the client's requests session. With `api_url` set it
rewrites the scheme and host of every request to either host (a forwarding
proxy, or a local server in tests); either way it gives every request a
timeout, which tweepy does not.
"""

from __future__ import annotations

from typing import Any

import requests
from requests.adapters import HTTPAdapter

X_API = "https://api.twitter.com"
X_UPLOAD = "https://upload.twitter.com"


class RoutedAdapter(HTTPAdapter):
    def __init__(self, host: str, base: str | None, timeout: float) -> None:
        super().__init__()
        self.host = host
        self.base = base.rstrip("/") if base else None
        self.timeout = timeout

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,  # requests' own types for these three are private
        verify: Any = True,
        cert: Any = None,
        proxies: dict[str, str] | None = None,
    ) -> requests.Response:
        if self.base and request.url and request.url.startswith(self.host):
            request.url = self.base + request.url.removeprefix(self.host)
            # Proxies were chosen for api.twitter.com; choose again for the new host.
            proxies = requests.utils.get_environ_proxies(request.url)
        return super().send(request, stream, timeout or self.timeout, verify, cert, proxies)


def route(session: requests.Session, base: str | None, timeout: float) -> None:
    for host in (X_API, X_UPLOAD):
        session.mount(host + "/", RoutedAdapter(host, base, timeout))
