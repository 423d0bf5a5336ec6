"""What a channel plugin implements, and what the core hands it.

A channel renders an edition into ordered parts (pure: no network, no clock)
and delivers one part at a time. Delivery is only ever called by the core's
ledger-backed loop, which records each part before and after it is sent.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from publisher.config import ChannelSettings
from publisher.errors import ConfigError
from publisher.secrets import Secret

if TYPE_CHECKING:
    from publisher.config import SiteSettings
    from publisher.edition import Edition
    from publisher.state import State
    from publisher.templates import Templates

# A channel's settings model. Channel, Destination and DeliveryContext are generic in it, so
# that `destination.settings` has the channel's own type: Channel[MySettings].
Settings = TypeVar("Settings", bound=ChannelSettings)
# Read-only where it is held, so a Destination[MySettings] is also a Destination[ChannelSettings].
SettingsHeld = TypeVar("SettingsHeld", bound=ChannelSettings, covariant=True)


@dataclass(frozen=True, eq=False)
class Destination(Generic[SettingsHeld]):
    """A named place to publish: a channel with its validated settings.

    `root` is the project folder, from which relative paths in settings are read
    (an email outbox folder, say). `templates` finds templates (the user's
    folder, then plugins', then the defaults); `state` is the state database,
    for a channel that keeps records of its own.

    Example, in a channel whose settings model has an `endpoint`::

        def render(self, edition: Edition, destination: Destination[HookSettings]):
            url = destination.settings.endpoint  # typed: HookSettings, no cast
            text = destination.templates.render("hook/post.txt", headline=...)
    """

    name: str
    settings: SettingsHeld
    site: SiteSettings
    templates: Templates
    state: State
    root: Path = field(default_factory=Path.cwd)

    @property
    def channel(self) -> str:
        return self.settings.channel


@dataclass(frozen=True)
class Part:
    """One unit of delivery: a post, a reply, a message.

    `length` and `limit` are in the channel's own count; `reply_to` is the
    index of the part this one answers (None for a root). `extra` holds what
    only this channel has (email: subject, headers, html) and is shown in
    `--json` output beside the common keys.

    >>> Part("Night trains return", length=19, limit=300).as_json()["limit"]
    300
    >>> Part("The first one leaves at ten.", reply_to=0).reply_to  # answers part 1
    0
    """

    text: str
    length: int | None = None
    limit: int | None = None
    reply_to: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "length": self.length,
            "limit": self.limit,
            "reply_to": self.reply_to,
            **self.extra,
        }


@dataclass(frozen=True)
class Rendition:
    """Everything a destination will receive for an edition, in order.

    >>> rendition = Rendition((Part("Root post"), Part("A reply", reply_to=0)))
    >>> [part.text for part in rendition.parts]
    ['Root post', 'A reply']
    >>> Rendition((Part("x"),), warnings=("no picture: it has no alt text",)).warnings
    ('no picture: it has no alt text',)
    """

    parts: tuple[Part, ...]
    warnings: tuple[str, ...] = ()
    cost: Cost | None = None  # for platforms that charge per post


@dataclass(frozen=True)
class Cost:
    """What delivering a rendition costs, where the platform charges for it.

    `total` is for the parts as rendered; `detail` says, for people, how it adds
    up and what a run may cost beyond it (reads made to recover a part).

    >>> str(Cost(0.045, detail="3 posts at $0.015"))
    '$0.045 (3 posts at $0.015)'
    """

    total: float
    currency: str = "USD"
    detail: str = ""

    def as_json(self) -> dict[str, Any]:
        return {"total": round(self.total, 6), "currency": self.currency, "detail": self.detail}

    def __str__(self) -> str:
        amount = (
            f"${self.total:.3f}" if self.currency == "USD" else f"{self.total:.3f} {self.currency}"
        )
        return f"{amount} ({self.detail})" if self.detail else amount


@dataclass(frozen=True)
class Sent:
    """Where a delivered part now lives on the remote side.

    `warning` says what went out differently from the rendition (a picture that
    could not be fetched, so the post went without it); the ledger keeps it and
    `publisher status` shows it.

    >>> Sent("109876", url="https://social.example/@news/109876")
    Sent(id='109876', url='https://social.example/@news/109876', warning=None)
    >>> Sent("109877", warning="posted without its picture: the image is too large").warning
    'posted without its picture: the image is too large'
    """

    id: str
    url: str | None = None
    warning: str | None = None


@dataclass(frozen=True)
class Receipt:
    """Where every part of an edition ended up at one destination, as the
    `publisher_published` hook receives it.

    >>> receipt = Receipt("story-night-trains", "fediverse", (Sent("1", "https://s.example/1"),))
    >>> receipt.url
    'https://s.example/1'
    """

    edition_id: str
    destination: str
    parts: tuple[Sent, ...]

    @property
    def url(self) -> str | None:
        """The first part's URL: where the thread, or the post, starts."""
        return self.parts[0].url if self.parts else None


@dataclass(frozen=True)
class DeliveryContext(Generic[SettingsHeld]):
    """What `deliver` needs beyond the part itself.

    `reply_to` is the remote reference of the part this one answers.
    `idempotency_key` is the same on every attempt at this part, so a channel
    whose server honours such keys can never post twice. `in_flight` is true
    when an earlier attempt may have reached the server without being
    recorded (a crash, a timeout). `delivery_id` names this edition, this
    destination and this round (a `--force` run is a new round), for channels
    that keep records of their own, such as one row per email recipient.
    `progress(done, total)` drives the progress bar of a long part, and a long
    part checks `stopping()` as it goes: when it turns true (SIGTERM or Ctrl+C,
    or another run took the publication over) it finishes what is on the wire,
    stops and raises `DeliveryError`; the next run finishes it.

    Example, a thread's reply and a long part::

        def deliver(self, part: Part, context: DeliveryContext[HookSettings]) -> Sent:
            parent = context.reply_to.id if context.reply_to else None
            headers = {"Idempotency-Key": context.idempotency_key}
            for done, chunk in enumerate(chunks, start=1):
                if context.stopping():
                    raise DeliveryError(f"stopped after {done - 1} of {len(chunks)}")
                send(chunk, headers)
                context.progress(done, len(chunks))
    """

    edition: Edition
    destination: Destination[SettingsHeld]
    number: int
    reply_to: Sent | None
    idempotency_key: str
    delivery_id: str
    in_flight: bool = False
    attempt: int = 1
    progress: Callable[[int, int], None] = lambda done, total: None
    stopping: Callable[[], bool] = lambda: False


class DeliveryError(Exception):
    """A part could not be delivered and trying again now will not help; it reached nobody
    (raise `TemporaryFailure` when it may have arrived).

    The part is recorded as refused with the message, and the next run tries it
    again, as the story reads then (a corrected story replaces it); the other
    destinations go on.

    >>> raise DeliveryError("the server refused the post: 422 text too long")
    Traceback (most recent call last):
    publisher.channel.DeliveryError: the server refused the post: 422 text too long
    """


class RateLimited(DeliveryError):
    """The server asks us to wait; `retry_after` seconds, when it said how long.

    The core waits it out (within `[delivery] longest_wait`) and tries again.

    >>> RateLimited("429 Too Many Requests", retry_after=60).retry_after
    60
    """

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class TemporaryFailure(DeliveryError):
    """A server error or dropped connection: worth retrying after a pause.

    The request may have reached the server, so the retry is made with
    `in_flight` set and `recover` is asked first.

    Example::

        except (ConnectionError, TimeoutError) as error:
            raise TemporaryFailure(f"the server did not answer: {error}") from error
    """


class PartlyDelivered(DeliveryError):
    """The part reached some of its recipients, and others refused it for good.

    `sent` is the part's remote reference, as `deliver` would return it. The
    core records the part as sent (a rerun never sends it again to those who
    have it) with this message beside it, and reports the run as failed.
    Raise plain `DeliveryError` when nobody received it.

    >>> error = PartlyDelivered("2 of 300 refused: a@x.example: 550 no such user", Sent("msg-1"))
    >>> error.sent.id
    'msg-1'
    """

    def __init__(self, message: str, sent: Sent) -> None:
        super().__init__(message)
        self.sent = sent


class AuthenticationFailed(DeliveryError):
    """The credentials were refused: this destination stops, the others go on.

    Example::

        if response.status_code == 401:
            raise AuthenticationFailed("the token was refused: is HOOK_TOKEN current?")
    """


class Channel(Generic[Settings]):
    """Base class for channels; register subclasses with `publisher_register_channels`.

    One instance serves one destination for one run, so it may keep clients
    or connections between parts; `close` is called when the run is over.
    Subclass it as `Channel[MySettings]` with `settings_model = MySettings`,
    and `destination.settings` is a `MySettings` to a type checker.

    >>> from publisher import ChannelSettings, Url
    >>> class ShoutSettings(ChannelSettings):
    ...     url: Url
    >>> class ShoutChannel(Channel[ShoutSettings]):
    ...     name = "shout"
    ...     settings_model = ShoutSettings
    ...
    ...     def render(self, edition: Edition, destination: Destination[ShoutSettings]):
    ...         return Rendition((Part(edition.lead.headline.upper()),))
    >>> ShoutChannel.settings_model(channel="shout", url="https://hooks.example.org").url
    'https://hooks.example.org'
    """

    name: ClassVar[str]
    settings_model: ClassVar[type[ChannelSettings]] = ChannelSettings

    def render(self, edition: Edition, destination: Destination[Settings]) -> Rendition:
        """Turn an edition into parts. Pure: no network and no clock."""
        raise NotImplementedError

    def deliver(self, part: Part, context: DeliveryContext[Settings]) -> Sent:
        """Send one part; raise DeliveryError when it could not be sent."""
        raise NotImplementedError

    def send_test(
        self, part: Part, edition: Edition, destination: Destination[Settings], to: str
    ) -> Sent:
        """Send one private copy of `part` to `to` (an address this channel understands),
        outside the ledger (`publish --test-to`); channels without test copies keep this."""
        raise NotImplementedError

    def recover(self, part: Part, context: DeliveryContext[Settings]) -> Sent | None:
        """For a part that may have gone out unrecorded: find it if it did, else None."""
        return None

    def preflight(self, destination: Destination[Settings]) -> None:
        """Refuse, before anything is sent anywhere, a destination that cannot be delivered to.

        Local checks only (no network): by default, that every credential is set.
        Raise `publisher.ConfigError`; the run stops with exit code 2.
        """
        for name in type(destination.settings).model_fields:
            value = getattr(destination.settings, name)
            if isinstance(value, Secret):
                try:
                    value.reveal()
                except ConfigError as error:
                    raise ConfigError(f"{destination.name}.{name}: {error}") from None

    def check(self, destination: Destination[Settings], *, dns: bool = False) -> str:
        """Verify settings and credentials without publishing; say who we will publish as.

        With `dns` (`publisher check --dns`), also look up the DNS records the
        destination depends on; without it, look nothing up in DNS.
        """
        return "nothing to check"

    def close(self) -> None:
        """Release what the instance holds (connections, pools)."""


def check_channel(
    channel: Channel[Settings], destination: Destination[Settings], *, dns: bool = False
) -> str:
    """`channel.check`, with `dns` only for channels whose `check` takes it (older plugins
    override `check(destination)` alone, and keep working)."""
    if dns and "dns" in inspect.signature(channel.check).parameters:
        return channel.check(destination, dns=True)
    return channel.check(destination)
