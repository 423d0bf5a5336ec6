"""CSRF tokens for the pages' forms: a signed double-submit cookie.

A page that shows a form sets a random token, signed with this process's key,
as a cookie and puts the same token in the form; a POST is accepted only when
both are there and equal, and we signed them. Another site can make a browser
send the cookie but cannot read it, so it cannot fill in the form field.

The signature only says that this process made the token, not for which
browser: anyone can fetch a page and get one. So it does not stop a cookie
planted by a sibling domain (or a man in the middle of plain HTTP) with a token
the attacker fetched. Over HTTPS the cookie is `__Host-` prefixed and Secure,
which browsers accept only from this very host over HTTPS: nobody else can set
it. Tokens made before a restart are refused (the reader reloads the form).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

COOKIE = "publisher_csrf"  # over plain HTTP (a site tried on localhost, say)
SECURE_COOKIE = "__Host-publisher_csrf"  # over HTTPS: Secure, Path=/, no Domain
FIELD = "csrf_token"


def cookie_name(secure: bool) -> str:
    """The cookie that carries the token, over HTTPS or not.

    >>> cookie_name(True)
    '__Host-publisher_csrf'
    """
    return SECURE_COOKIE if secure else COOKIE


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _bytes(text: str) -> bytes:
    """What a request sent, as bytes: compare_digest refuses text that is not ASCII."""
    return text.encode("utf-8", "surrogatepass")


class CsrfTokens:
    def __init__(self, key: bytes | None = None) -> None:
        self._key = key or secrets.token_bytes(32)

    def _mac(self, nonce: str) -> bytes:
        digest = hmac.new(self._key, _bytes(nonce), hashlib.sha256).digest()[:16]
        return _b64(digest).encode("ascii")

    def issue(self) -> str:
        nonce = _b64(secrets.token_bytes(16))
        return f"{nonce}.{self._mac(nonce).decode('ascii')}"

    def valid(self, token: str | None) -> bool:
        """A token this process signed (not necessarily for this browser)."""
        if not token or len(token) > 100:
            return False
        nonce, _, mac = token.partition(".")
        return hmac.compare_digest(_bytes(mac), self._mac(nonce))

    def accepts(self, cookie: str | None, field: str | None) -> bool:
        """The form's token is this browser's cookie, and we signed it."""
        if cookie is None or field is None:
            return False
        return self.valid(cookie) and hmac.compare_digest(_bytes(cookie), _bytes(field))
