"""Signed tokens for the links in each subscriber's copy.

New links carry an opaque token: a random id (kept in the subscriber's row)
and an HMAC over the link's purpose, the list and that id. Nothing in the URL
says who it belongs to, and nobody can make one without the key. Links sent
before opaque tokens, `ADDRESS.MAC` (the address in URL-safe base64 and an
HMAC over the list and the address), keep working.

Without a configured key, tokens are signed with a public demo key, which
anyone can use to forge them: good enough for an outbox, where no message
leaves the machine, and refused for every SMTP server, one on this machine
included (a local relay forwards to the Internet).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
from dataclasses import dataclass
from typing import Literal

from publisher import ConfigError, Secret
from publisher_email.settings import EmailSettings

# Public on purpose: it is in the source, so links signed with it can be forged.
DEMO_KEY = "publisher-demo-signing-key: set EMAIL_SIGNING_KEY before sending for real"
_MAC_BYTES = 16
_ID_BYTES = 16
_PART = 22  # characters of 16 bytes in unpadded URL-safe base64

Purpose = Literal["unsubscribe", "confirm"]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def new_id() -> str:
    """A fresh random token id, as stored in the database."""
    return _b64(secrets.token_bytes(_ID_BYTES))


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
        return hmac.digest(key, message, "sha256")  # OpenSSL's one-shot HMAC: a copy each

    def _digest(self, message: str) -> bytes:
        return self.digest(message.encode())[:_MAC_BYTES]

    # Opaque tokens ---------------------------------------------------------------------

    def seal(self, purpose: Purpose, list_name: str, token_id: str) -> str:
        """The id and its MAC, 44 URL-safe characters with no dot: fits a query string as is."""
        return token_id + _b64(self._digest(f"{purpose}\x1f{list_name}\x1f{token_id}"))

    def open(self, purpose: Purpose, list_name: str, token: str) -> str | None:
        """The id in a token this key sealed for `purpose` and `list_name`, else None."""
        token = token.strip()
        if len(token) != 2 * _PART or not token.isascii():
            return None
        token_id = token[:_PART]
        # Compared as text: base64 has several spellings of the same bytes, tokens have one.
        return (
            token_id
            if hmac.compare_digest(token, self.seal(purpose, list_name, token_id))
            else None
        )

    # Address tokens, in links sent before opaque tokens --------------------------------

    def token(self, list_name: str, address: str) -> str:
        """`ADDRESS.MAC`, both URL-safe base64 (the format of earlier links)."""
        mac = self._digest(f"{list_name}\x1f{address}")
        return f"{_b64(address.encode())}.{_b64(mac)}"

    def address(self, list_name: str, token: str) -> str | None:
        """The address an `ADDRESS.MAC` token was made for, or None when it was not signed
        with this key."""
        encoded, dot, mac = token.strip().partition(".")
        if not dot or len(token) > 1000:
            return None
        try:
            address = _unb64(encoded).decode()
            expected = _unb64(mac)
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return None
        actual = self._digest(f"{list_name}\x1f{address}")
        return address if hmac.compare_digest(expected, actual) else None


def signing_key(settings: EmailSettings) -> SigningKey:
    """The key for making and reading a destination's tokens; the demo key for an outbox only."""
    key = SigningKey(settings.signing_key)
    if key.is_demo and not settings.writes_outbox:
        name = ", ".join(settings.signing_key.unset) or "signing_key"
        raise ConfigError(
            f"{name} is not set; unsubscribe links signed with the public demo key could be "
            "forged by anyone, so it serves outbox: destinations only. Make a key with "
            "python -c 'import secrets; print(secrets.token_urlsafe(32))' and set "
            f"{name} to it"
        )
    return key
