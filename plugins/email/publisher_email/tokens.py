"""Signed per-subscriber tokens for unsubscribe links.

A token carries the address and an HMAC over the list name and the address,
so the page behind the link (or `publisher subscribers remove --token`) can
trust it without a lookup, and nobody can unsubscribe someone else by
guessing. Without a configured key, tokens are signed with a public demo key:
good enough for an outbox or a local test server, refused for anything else
(the channel checks before it sends).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass

from publisher import Secret

# Public on purpose: it is in the source, so links signed with it can be forged.
DEMO_KEY = "publisher-demo-signing-key: set EMAIL_SIGNING_KEY before sending for real"
_MAC_BYTES = 16


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class SigningKey:
    """The key from the settings, or the demo key when its variable is unset."""

    secret: Secret

    @property
    def is_demo(self) -> bool:
        return not self.secret.is_set

    def digest(self, message: bytes) -> bytes:
        """HMAC-SHA256 of `message`; callers put a purpose first, so that a MAC made for one
        use (a VERP return path) is never valid for another (an unsubscribe link)."""
        key = (DEMO_KEY if self.is_demo else self.secret.reveal()).encode()
        return hmac.new(key, message, hashlib.sha256).digest()

    def _mac(self, list_name: str, address: str) -> bytes:
        return self.digest(f"{list_name}\x1f{address}".encode())[:_MAC_BYTES]

    def token(self, list_name: str, address: str) -> str:
        """`ADDRESS.MAC`, both URL-safe base64: fits in a query string as it is."""
        return f"{_b64(address.encode())}.{_b64(self._mac(list_name, address))}"

    def address(self, list_name: str, token: str) -> str | None:
        """The address a token was made for, or None when it was not signed with this key."""
        encoded, _, mac = token.strip().partition(".")
        try:
            address = _unb64(encoded).decode()
            expected = _unb64(mac)
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return None
        return address if hmac.compare_digest(expected, self._mac(list_name, address)) else None
