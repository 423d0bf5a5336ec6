"""What deliverability adds to a send: DKIM signatures, VERP return paths, refusals recorded.

The channel asks this module for the DKIM signer a destination's settings
describe (or none), for each copy's envelope sender, and tells it of every
refusal: a 5xx that refuses the mailbox itself is a hard bounce, other
refusals soft ones (`bounce_kind`); a 4xx counts for as long as the copy stays
deferred (a later attempt that delivers it withdraws it), so what counts is the
answer to the last attempt. The rules run when the send ends, and not at all
for a send that nobody received: a server that refuses every copy (a relay
that will not relay, say) says nothing about the addresses.
"""

from __future__ import annotations

import logging
import re
import threading

from publisher import ConfigError, Destination
from publisher_email.bounce_store import BounceBook, BounceEvent, Kind, Rules
from publisher_email.dkim_signing import DkimKey, DkimSigner
from publisher_email.recipients import Recipient
from publisher_email.render import list_name
from publisher_email.settings import EmailSettings
from publisher_email.tokens import SigningKey
from publisher_email.transport import Refused
from publisher_email.verp import ReturnPaths, Verp

log = logging.getLogger("publisher.email")
# An enhanced status code (RFC 3463) at the start of a reply: class.subject.detail.
_ENHANCED = re.compile(r"\s*[245]\.(\d{1,3})\.\d{1,3}\b")


def bounce_kind(refusal: Refused) -> Kind:
    """What a refusal at send time says of the address.

    Only a permanent refusal of the mailbox itself is a hard bounce: subject 1
    of an enhanced code (5.1.1 no such user, 5.1.2 no such domain), or, where
    the server gives none, 550, 551 or 553. A full mailbox (5.2.2), policy and
    spam blocks (5.7.x) and system or network trouble are soft: they stop an
    address only by coming back edition after edition.
    """
    if not refusal.permanent:
        return "soft"
    enhanced = _ENHANCED.match(refusal.reply)
    if enhanced:
        return "hard" if enhanced.group(1) == "1" else "soft"
    return "hard" if refusal.code in (550, 551, 553) else "soft"


def dkim_signer(destination: Destination[EmailSettings]) -> DkimSigner | None:
    """The signer the settings describe; ConfigError (naming the key, never its value) when
    the key cannot be used."""
    settings = destination.settings
    if settings.dkim_private_key is None:
        return None
    try:
        key = DkimKey.load(settings.dkim_private_key.reveal(), destination.root)
    except (ConfigError, ValueError) as error:
        raise ConfigError(f"{destination.name}.dkim_private_key: {error}") from None
    return DkimSigner(settings.dkim_selector or "", settings.dkim_domain or "", key)


def verp_for(destination: Destination[EmailSettings], key: SigningKey) -> Verp | None:
    settings = destination.settings
    if settings.bounce_address is None:
        return None
    return Verp(settings.bounce_address, key, list_name(destination))


class Outgoing:
    """One send (an edition to a list): its number, return paths and refusals."""

    def __init__(
        self,
        destination: Destination[EmailSettings],
        key: SigningKey,
        delivery_id: str,
        edition_id: str,
    ) -> None:
        settings = destination.settings
        self.delivery_id = delivery_id
        self.book = BounceBook(destination.state.engine, list_name(destination), Rules.of(settings))
        self.send_id = self.book.register_send(delivery_id, edition_id)
        verp = verp_for(destination, key)
        self._paths = ReturnPaths(verp, self.send_id) if verp else None
        self._refused: set[str] = set()
        self._lock = threading.Lock()

    def sender(self, address: Recipient, default: str) -> str:
        """The envelope sender (MAIL FROM) of `address`'s copy."""
        return self._paths.for_address(address) if self._paths else default

    def refused(self, address: str, refusal: Refused) -> None:
        kind = bounce_kind(refusal)
        event = BounceEvent(
            address,
            kind,
            "smtp",
            reference=f"smtp:{kind}:{self.send_id}:{address}",
            detail=str(refusal),
            send_id=self.send_id,
        )
        self.book.record([event], apply=False)
        with self._lock:
            self._refused.add(address)

    def finished(self) -> None:
        """The send is over (done, failed or stopped): apply the rules to who refused it,
        unless nobody received it."""
        self.book.withdraw_delivered(self.send_id, self.delivery_id)
        if not self._refused:
            return
        if self.book.delivered(self.delivery_id) == 0:
            self.book.withdraw_refusals(self.send_id)
            log.warning(
                "%s: every copy of this send so far was refused; no address is counted as "
                "bounced for it (a refusal of every copy points at the server or the sender)",
                self.book.list,
            )
            return
        for address in sorted(self._refused):
            self.book.apply_rules(address)
