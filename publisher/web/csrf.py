"""CSRF tokens for the pages' forms: a signed double-submit cookie.

A page that shows a form sets a random token, signed with this process's key,
as a cookie and puts the same token in the form; a POST is accepted only when
both are there, equal and signed by us. Another site can make a browser send
the cookie but cannot read it, so it cannot fill in the form field; and the
signature stops a cookie planted from a sibling domain. Tokens made before a
restart are refused (the reader reloads the form).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

COOKIE = "publisher_csrf"
FIELD = "csrf_token"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class CsrfTokens:
    def __init__(self, key: bytes | None = None) -> None:
        self._key = key or secrets.token_bytes(32)

    def _mac(self, nonce: str) -> str:
        return _b64(hmac.new(self._key, nonce.encode(), hashlib.sha256).digest()[:16])

    def issue(self) -> str:
        nonce = _b64(secrets.token_bytes(16))
        return f"{nonce}.{self._mac(nonce)}"

    def valid(self, token: str | None) -> bool:
        """A token this process signed (not necessarily this browser's)."""
        if not token or len(token) > 100:
            return False
        nonce, _, mac = token.partition(".")
        return hmac.compare_digest(mac, self._mac(nonce))

    def accepts(self, cookie: str | None, field: str | None) -> bool:
        """The form's token is this browser's cookie, and we signed it."""
        if cookie is None or field is None:
            return False
        return self.valid(cookie) and hmac.compare_digest(cookie, field)
