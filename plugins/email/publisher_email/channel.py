"""The email channel: one rendered message per edition, a copy for every active subscriber."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from email.utils import make_msgid, parseaddr
from typing import TYPE_CHECKING, TypeVar

from publisher import (
    Channel,
    ConfigError,
    DeliveryContext,
    DeliveryError,
    Destination,
    Edition,
    InputError,
    Part,
    PublisherError,
    Rendition,
    Secret,
    Sent,
)
from publisher_email.settings import EmailSettings
from publisher_email.transport import OUTBOX, Envelope, Refused, Transport

# MJML, DKIM and the subscriber tables load when a destination is rendered, checked or sent
# to, not when the channel is registered (`publisher status` reads settings only).
if TYPE_CHECKING:
    from publisher_email.dkim_signing import DkimSigner
    from publisher_email.recipients import Recipient
    from publisher_email.tokens import SigningKey

T = TypeVar("T")


class EmailChannel(Channel[EmailSettings]):
    name = "email"
    settings_model = EmailSettings

    def __init__(self) -> None:
        self._transport: Transport | None = None
        self._run_started: datetime | None = None  # this run's first attempt at the send

    def render(self, edition: Edition, destination: Destination[EmailSettings]) -> Rendition:
        from publisher_email.render import render_email

        part, warnings = render_email(edition, destination)
        return Rendition((part,), warnings)

    def deliver(self, part: Part, context: DeliveryContext[EmailSettings]) -> Sent:
        """Send the part to every active subscriber that has not had it yet.

        Called again after a crash or a passing failure (the core then reports
        the part in flight), it simply carries on with the recipients left;
        those who refused it for good are asked again only by a later run.
        """
        from publisher_email.archive import Archive
        from publisher_email.letter import Letter, message_id
        from publisher_email.outgoing import Outgoing, dkim_signer
        from publisher_email.ratelimit import RateLimit
        from publisher_email.recipients import Recipients
        from publisher_email.render import list_name
        from publisher_email.sending import Progress, send_all
        from publisher_email.subscribers import Subscribers

        destination = context.destination
        settings = destination.settings
        key = _signing_key(destination)
        transport = self._open(destination)
        list_ = list_name(destination)
        engine = destination.state.engine
        Subscribers(engine, list_).ensure_tokens()
        recipients = Recipients(engine, context.delivery_id, list_, self._run_started)
        self._run_started = self._run_started or recipients.started
        done, total = recipients.progress()
        if total == 0:
            raise DeliveryError(_no_subscribers(destination))
        Archive(engine).record(list_, context.edition, part)
        letter = Letter(part, seed=context.delivery_id, signer=dkim_signer(destination))
        outgoing = Outgoing(destination, key, context.delivery_id, context.edition.id)

        def envelope_for(address: Recipient) -> Envelope:
            token = (
                key.seal("unsubscribe", list_, address.token)
                if address.token
                else key.token(list_, address)  # a row that had no token id yet: the old kind
            )
            copy = letter.copy(
                address, message_id(context.delivery_id, address, letter.sender), token
            )
            sender = outgoing.sender(address, letter.sender)
            return Envelope(sender, address, copy, label=context.edition.id)

        rate = RateLimit(settings.rate_limit) if settings.rate_limit else None
        progress = Progress(done, total, context.progress)
        try:
            send_all(
                recipients,
                transport,
                envelope_for,
                progress,
                context.stopping,
                rate,
                refused=outgoing.refused,
            )
        finally:
            outgoing.finished()
        return Sent(context.delivery_id)

    def send_test(
        self, part: Part, edition: Edition, destination: Destination[EmailSettings], to: str
    ) -> Sent:
        """One copy to `to`, outside the ledger and the subscriber list; a fresh Message-ID
        each time, so that mail clients show every test."""
        from publisher_email.letter import Letter
        from publisher_email.outgoing import dkim_signer
        from publisher_email.render import list_name
        from publisher_email.subscribers import Subscribers, normalize_address
        from publisher_email.tokens import new_id

        try:
            address = normalize_address(to)
        except ValueError as error:
            raise InputError(f"--test-to: '{to}' is not an email address: {error}") from None
        key = _signing_key(destination)
        transport = self._open(destination)
        letter = Letter(
            part, seed=f"test/{edition.id}/{destination.name}", signer=dkim_signer(destination)
        )
        domain = parseaddr(letter.sender)[1].rpartition("@")[2]
        identifier = make_msgid("test", domain=domain)
        list_ = list_name(destination)
        # A subscriber's own link; anyone else's matches nobody.
        token_id = Subscribers(destination.state.engine, list_).token_of(address) or new_id()
        copy = letter.copy(address, identifier, key.seal("unsubscribe", list_, token_id))
        try:
            transport.send(Envelope(letter.sender, address, copy, label=f"{edition.id}-test"))
        except Refused as refusal:
            raise DeliveryError(f"{address}: the server refused the test copy: {refusal}") from None
        return Sent(identifier)

    def preflight(self, destination: Destination[EmailSettings]) -> None:
        """Before anything is sent anywhere: a usable server URL, a signing key unless copies
        go to an outbox, and someone to send to."""
        from publisher_email.outgoing import dkim_signer
        from publisher_email.smtp_pool import SmtpServer

        settings = destination.settings
        try:
            url = settings.smtp.reveal()
            if not url.startswith(OUTBOX):
                SmtpServer.parse(url)
        except (ConfigError, ValueError) as error:
            raise ConfigError(f"{destination.name}.smtp: {error}") from None
        _signing_key(destination)
        dkim_signer(destination)  # a key that cannot sign stops the run before anything is sent
        if _active(destination) == 0:
            raise ConfigError(f"{destination.name}: {_no_subscribers(destination)}")

    def check(self, destination: Destination[EmailSettings], *, dns: bool = False) -> str:
        """The server reached, the list's size, and the demo key if it is in use; an empty
        list fails here as it fails a publish. With `dns`, the DKIM, SPF and DMARC records
        too, each one missing named. Every problem is reported, each once, in one error."""
        from publisher_email.outgoing import dkim_signer
        from publisher_email.render import list_name
        from publisher_email.tokens import signing_key

        settings = destination.settings
        problems: list[str] = []

        def attempt(step: Callable[[], T]) -> T | None:
            try:
                return step()
            except (PublisherError, DeliveryError) as error:
                problems.append(str(error))
                return None

        key = attempt(lambda: signing_key(settings))
        signer = attempt(lambda: dkim_signer(destination))
        found = attempt(lambda: _dns(destination, signer)) if dns else ""
        reached = attempt(lambda: self._open(destination).check())
        mailbox = settings.bounce_mailbox
        bounces = attempt(lambda: _bounce_mailbox(destination, mailbox)) if mailbox else None
        active = _active(destination)
        if active == 0:
            problems.append(_no_subscribers(destination))
        warning = (
            f"; warning: {_key_name(settings)} is not set, so unsubscribe links are signed "
            "with the public demo key (accepted for an outbox only)"
            if key is not None and key.is_demo
            else ""
        )
        if problems:
            raise ConfigError("; ".join(problems) + warning)
        list_ = list_name(destination)
        signing = (
            f"; DKIM {signer.key.kind} s={signer.selector} d={signer.domain}" if signer else ""
        )
        verp = f"; VERP to {settings.bounce_address}" if settings.bounce_address else ""
        return (
            f"from {settings.sender} via {reached}; {active} active on list '{list_}'"
            f"{signing}{verp}{f'; bounces from {bounces}' if bounces else ''}{found}{warning}"
        )

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()
            self._transport = None

    def _open(self, destination: Destination[EmailSettings]) -> Transport:
        """The transport the `smtp` setting names, opened once per run."""
        from publisher_email.connect import open_transport

        if self._transport is None:
            self._transport = open_transport(destination)
        return self._transport


def _dns(destination: Destination[EmailSettings], signer: DkimSigner | None) -> str:
    """What DNS says; ConfigError naming every record that is missing or wrong."""
    from publisher_email.dns_check import LookupFailed, check_dns  # dnspython only when asked

    try:
        report = check_dns(destination.settings, signer.key if signer else None)
    except (LookupFailed, ValueError) as error:
        raise ConfigError(f"DNS: {error}") from None  # `check` names the destination
    if report.missing:
        raise ConfigError("DNS: " + "; ".join(report.missing))
    return "; DNS: " + ", ".join(report.found)


def _bounce_mailbox(destination: Destination[EmailSettings], mailbox: Secret) -> str:
    """The bounce mailbox, opened (and logged in to) and closed again."""
    from publisher_email.bounce_mailbox import open_mailbox  # imaplib only when configured

    try:
        url = mailbox.reveal()
    except ConfigError as error:
        raise ConfigError(f"{destination.name}.bounce_mailbox: {error}") from None
    box = open_mailbox(url, destination.root)
    box.close()
    return box.describe()


def _active(destination: Destination[EmailSettings]) -> int:
    from publisher_email.render import list_name
    from publisher_email.subscribers import Subscribers

    return Subscribers(destination.state.engine, list_name(destination)).counts()["active"]


def _no_subscribers(destination: Destination[EmailSettings]) -> str:
    from publisher_email.render import list_name

    return (
        f"list '{list_name(destination)}' has no active subscribers "
        f"(add some with: publisher subscribers add ADDRESS --to {destination.name})"
    )


def _key_name(settings: EmailSettings) -> str:
    return ", ".join(settings.signing_key.unset) or "signing_key"


def _signing_key(destination: Destination[EmailSettings]) -> SigningKey:
    from publisher_email.tokens import signing_key

    try:
        return signing_key(destination.settings)
    except ConfigError as error:
        raise ConfigError(f"{destination.name}: {error}") from None
