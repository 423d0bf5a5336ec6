"""What deliverability adds to a send: DKIM signatures, VERP return paths, refusals recorded.

The channel asks this module for the DKIM signer a destination's settings
describe (or none), for each copy's envelope sender, and tells it of every
refusal: a 5xx at send time is a hard bounce at once; a 4xx is a soft bounce
for as long as the copy stays deferred (a later attempt that delivers it
withdraws it), so what counts is the answer to the last attempt.
"""

from __future__ import annotations

from publisher import ConfigError, Destination
from publisher_email.bounce_store import BounceBook, BounceEvent, Rules
from publisher_email.dkim_signing import DkimKey, DkimSigner
from publisher_email.render import list_name
from publisher_email.settings import EmailSettings
from publisher_email.tokens import SigningKey
from publisher_email.transport import Refused
from publisher_email.verp import ReturnPaths, Verp


def dkim_signer(destination: Destination) -> DkimSigner | None:
    """The signer the settings describe; ConfigError (naming the key, never its value) when
    the key cannot be used."""
    settings: EmailSettings = destination.settings
    if settings.dkim_private_key is None:
        return None
    try:
        key = DkimKey.load(settings.dkim_private_key.reveal(), destination.root)
    except (ConfigError, ValueError) as error:
        raise ConfigError(f"{destination.name}.dkim_private_key: {error}") from None
    return DkimSigner(settings.dkim_selector or "", settings.dkim_domain or "", key)


def verp_for(destination: Destination, key: SigningKey) -> Verp | None:
    settings: EmailSettings = destination.settings
    if settings.bounce_address is None:
        return None
    return Verp(settings.bounce_address, key, list_name(destination))


class Outgoing:
    """One send (an edition to a list): its number, return paths and refusals."""

    def __init__(
        self, destination: Destination, key: SigningKey, delivery_id: str, edition_id: str
    ) -> None:
        settings: EmailSettings = destination.settings
        self.delivery_id = delivery_id
        self.book = BounceBook(destination.state.engine, list_name(destination), Rules.of(settings))
        self.send_id = self.book.register_send(delivery_id, edition_id)
        verp = verp_for(destination, key)
        self._paths = ReturnPaths(verp, destination.state.engine, self.send_id) if verp else None

    def sender(self, address: str, default: str) -> str:
        """The envelope sender (MAIL FROM) of `address`'s copy."""
        return self._paths.for_address(address) if self._paths else default

    def refused(self, address: str, refusal: Refused) -> None:
        kind = "hard" if refusal.permanent else "soft"
        event = BounceEvent(
            address,
            kind,
            "smtp",
            reference=f"smtp:{kind}:{self.send_id}:{address}",
            detail=str(refusal),
            send_id=self.send_id,
        )
        self.book.record([event])

    def finished(self) -> None:
        self.book.withdraw_delivered(self.send_id, self.delivery_id)
