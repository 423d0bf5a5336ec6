"""VERP return paths: every copy's envelope sender names its recipient and edition.

A copy to subscriber 42 of edition (send) 7 goes out with MAIL FROM
`bounces+TOKEN@example.org`, where TOKEN is the two numbers and a MAC over
them and the list name, made with the destination's signing key. A bounce
comes back to that address, so it names who bounced without any guessing
from its body; the address itself is not in the token, and a bounce with a
forged or altered token is ignored. Base32 in lower case, because some mail
systems change the case of local parts.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from dataclasses import dataclass

from sqlalchemy import Engine, select

from publisher_email.recipients import Recipient
from publisher_email.subscribers import subscribers
from publisher_email.tokens import SigningKey

_MAC_BYTES = 8  # 64 bits: a forger has to guess, and each guess costs a bounce message
_PURPOSE = b"verp\x1f"


def _varint(number: int) -> bytes:
    out = bytearray()
    while True:
        byte, number = number & 0x7F, number >> 7
        out.append(byte | (0x80 if number else 0))
        if not number:
            return bytes(out)


def _read_varints(data: bytes, count: int) -> list[int] | None:
    """`count` numbers that fill `data` exactly, or None."""
    numbers, value, shift = [], 0, 0
    for byte in data:
        value |= (byte & 0x7F) << shift
        shift += 7
        if shift > 63:
            return None
        if not byte & 0x80:
            numbers.append(value)
            value, shift = 0, 0
    return numbers if len(numbers) == count and shift == 0 else None


@dataclass(frozen=True)
class Verp:
    """Return paths of one list, from its `bounce_address` and signing key."""

    bounce_address: str
    key: SigningKey
    list: str

    @property
    def _parts(self) -> tuple[str, str]:
        local, _, domain = self.bounce_address.rpartition("@")
        return local, domain

    def _mac(self, payload: bytes) -> bytes:
        message = _PURPOSE + self.list.encode() + b"\x1f" + payload
        return self.key.digest(message)[:_MAC_BYTES]

    def return_path(self, subscriber_id: int, send_id: int) -> str:
        payload = _varint(subscriber_id) + _varint(send_id)
        token = base64.b32encode(payload + self._mac(payload)).decode().rstrip("=").lower()
        local, domain = self._parts
        return f"{local}+{token}@{domain}"

    def read(self, address: str) -> tuple[int, int] | None:
        """(subscriber id, send id) from a return path of ours with a valid MAC, else None."""
        local, _, domain = address.strip().strip("<>").rpartition("@")
        base, plus, token = local.partition("+")
        ours, our_domain = self._parts
        if not plus or base.lower() != ours.lower() or domain.lower() != our_domain.lower():
            return None
        try:
            data = base64.b32decode(token.upper() + "=" * (-len(token) % 8))
        except (binascii.Error, ValueError):
            return None
        payload, mac = data[:-_MAC_BYTES], data[-_MAC_BYTES:]
        numbers = _read_varints(payload, 2)
        if numbers is None or not hmac.compare_digest(mac, self._mac(payload)):
            return None
        return numbers[0], numbers[1]


class ReturnPaths:
    """Each recipient's return path for one send, from the subscriber's number the send's
    recipients carry (no query a copy)."""

    def __init__(self, verp: Verp, send_id: int) -> None:
        self.verp = verp
        self.send_id = send_id

    def for_address(self, address: Recipient) -> str:
        if address.subscriber_id is None:  # not on the list (a removed row): bounces go unnamed
            return self.verp.bounce_address
        return self.verp.return_path(address.subscriber_id, self.send_id)


def subscriber_address(engine: Engine, list_name: str, subscriber_id: int) -> str | None:
    with engine.connect() as db:
        return db.scalar(
            select(subscribers.c.address).where(
                subscribers.c.list == list_name, subscribers.c.id == subscriber_id
            )
        )
