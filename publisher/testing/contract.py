"""`ChannelContract`: the tests every channel passes, for a channel's own suite to subclass.

Render checks need only `channel_class` and `settings`. Delivery checks run
the channel through the core's real delivery loop and ledger, against an
endpoint the test owns, and need to know where the channel sends and what
arrived there: `deliver_to` and `delivered` (and the `endpoint` fixture, when
the endpoint is not the loopback `Recorder`).
"""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, get_args

import pytest
from pydantic import BaseModel

from publisher.channel import (
    Channel,
    DeliveryContext,
    Destination,
    Part,
    Rendition,
    Sent,
    TemporaryFailure,
)
from publisher.delivery import Outcome, deliver
from publisher.edition import Edition, single
from publisher.ledger import Ledger
from publisher.plugins import load_plugins
from publisher.retry import RetryPolicy
from publisher.secrets import Secret
from publisher.state import State
from publisher.testing.editions import digest_edition, hard_editions, hard_stories
from publisher.testing.places import make_destination, network_blocked
from publisher.testing.recorder import Recorder

FAULT = "a fault the contract made before this part"
# Setting names that hold credentials, which must be typed `Secret` to be masked.
_CREDENTIAL_ENDINGS = ("token", "password", "secret", "_key")


@dataclass(frozen=True)
class Arrival:
    """One post or message as the endpoint holds it, for `ChannelContract.delivered`.

    `text` is what a reader gets (decoded: the strings of a JSON body, a post's text, a
    message's plain-text body). `id` is the remote id `deliver` returned for it (`Sent.id`)
    and `reply_to` the remote id of the post it answers, as the endpoint recorded them; leave
    them None where the endpoint has no such thing, and the checks that need them are skipped.

    >>> Arrival("Ferries run again", id="17", reply_to="16").reply_to
    '16'
    """

    text: str
    id: str | None = None
    reply_to: str | None = None


@dataclass(frozen=True)
class _Call:
    """One call of `deliver` that returned: what it was handed, and what it gave back."""

    number: int
    reply_to: Sent | None
    sent: Sent


@dataclass
class _Run:
    rendition: Rendition
    outcome: Outcome
    calls: list[_Call] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # raised by the channel, before any masking


def _observed(
    channel_class: type[Channel], calls: list[_Call], errors: list[str], fail_before: int | None
) -> Channel:
    """The channel under test, watched: every `deliver` call and error is noted, and with
    `fail_before` that part fails (as a dropped connection would) before the channel sees it."""

    class Observed(channel_class):  # type: ignore[valid-type, misc]
        def deliver(self, part: Part, context: DeliveryContext) -> Sent:
            if context.number == fail_before:
                raise TemporaryFailure(f"{FAULT} ({fail_before})")
            try:
                sent = super().deliver(part, context)
            except Exception as error:
                errors.append(_chain(error))
                raise
            calls.append(_Call(context.number, context.reply_to, sent))
            return sent

        def recover(self, part: Part, context: DeliveryContext) -> Sent | None:
            try:
                return super().recover(part, context)
            except Exception as error:
                errors.append(_chain(error))
                raise

    Observed.__name__ = Observed.__qualname__ = channel_class.__name__
    return Observed()


def _chain(error: BaseException | None) -> str:
    """An error with everything it was raised from, as a traceback would show them."""
    texts: list[str] = []
    while error is not None and len(texts) < 10:
        texts.append(f"{type(error).__name__}: {error} {error.args!r}")
        error = error.__cause__ or error.__context__
    return "\n".join(texts)


def _secrets(value: Any) -> set[str]:
    """The values of every `Secret` set in a settings model (nested models and lists too)."""
    if isinstance(value, Secret):
        return {value.reveal()} if value.is_set and len(value.reveal()) >= 4 else set()
    if isinstance(value, BaseModel):
        return {s for name in type(value).model_fields for s in _secrets(getattr(value, name))}
    if isinstance(value, list | tuple | set):
        return {s for item in value for s in _secrets(item)}
    if isinstance(value, dict):
        return {s for item in value.values() for s in _secrets(item)}
    return set()


def _reference(sent: Sent | None) -> tuple[str, str | None] | None:
    """What the ledger keeps of a `Sent`, and so what a resumed run hands on."""
    return None if sent is None else (sent.id, sent.url)


def _normalised(text: str) -> str:
    return " ".join(text.split())


class ChannelContract:
    """Tests every channel passes. Example, in your plugin's tests::

        class TestWebhookContract(ChannelContract):
            channel_class = WebhookChannel
            settings = {"channel": "webhook", "url": "https://hooks.example.org/stories"}

            def deliver_to(self, endpoint):
                return {"channel": "webhook", "url": endpoint.url + "/stories"}

    `settings` are used to render (no network, so any address will do). For the
    delivery checks, `deliver_to(endpoint)` gives the settings that point the
    channel at `endpoint`: by default the loopback `Recorder`, whose received
    requests `delivered` reads. A channel that sends somewhere else overrides
    the `endpoint` fixture (a server of its own, a folder), `delivered` (what
    arrived there, one `Arrival` per part) and `refuse` (make it refuse what
    comes next); `prepare(destination)` sets up anything else a delivery needs,
    such as a subscriber.
    """

    channel_class: ClassVar[type[Channel]]
    settings: ClassVar[Mapping[str, Any]]

    # Where the channel delivers: override these for an endpoint of your own ---------------

    @pytest.fixture
    def endpoint(self, recorder: Recorder) -> Any:
        """Where deliveries land; the loopback recorder unless a subclass says otherwise."""
        return recorder

    def deliver_to(self, endpoint: Any) -> Mapping[str, Any]:
        """The destination's settings that send to `endpoint` (as `settings`, pointed there)."""
        raise NotImplementedError(
            f"{type(self).__name__}: define deliver_to(self, endpoint) returning the settings "
            "that point the channel at the endpoint (the Recorder: endpoint.url), so that the "
            "contract can check delivery"
        )

    def delivered(self, endpoint: Any) -> list[Arrival]:
        """What arrived at `endpoint`, in order, one `Arrival` per part received.

        For the recorder: each request it accepted, its body as text.
        """
        if isinstance(endpoint, Recorder):
            return [Arrival(request.text) for request in endpoint.accepted]
        raise NotImplementedError(
            f"{type(self).__name__}: define delivered(self, endpoint) returning what arrived "
            "at your endpoint, one publisher.testing.Arrival per part"
        )

    def refuse(self, endpoint: Any) -> None:
        """Make `endpoint` refuse every request from now on (the recorder answers 401)."""
        if isinstance(endpoint, Recorder):
            endpoint.answer(401, {"error": "refused by the test"}, times=1000)
            return
        raise NotImplementedError(
            f"{type(self).__name__}: define refuse(self, endpoint) so that the contract can "
            "check what your channel's errors say"
        )

    def more_secrets(self, endpoint: Any) -> Iterable[str]:
        """Values besides the settings' `Secret`s that must never show, such as the session
        tokens a server handed out; asked after the deliveries."""
        return ()

    def prepare(self, destination: Destination) -> None:
        """Set up what a delivery to `destination` needs beyond its settings (a subscriber)."""

    def measure(self, part: Part) -> int | None:
        """The part's length counted independently of the channel, to check `part.length`
        against; None trusts `part.length`."""
        return None

    # Fixtures -------------------------------------------------------------------------

    @pytest.fixture
    def destination(self, tmp_path: Path) -> Destination:
        """A destination with `settings`, for the render checks; its state database is made
        only if render uses it (render may read it, never create it)."""
        return make_destination(self.channel_class, self.settings, tmp_path)

    @pytest.fixture
    def delivery(self, endpoint: Any, tmp_path: Path, state: State) -> _Deliveries:
        """A destination pointed at `endpoint`, and a way to deliver to it through the ledger."""
        try:
            settings = self.deliver_to(endpoint)
        except NotImplementedError as error:
            missing = str(error)
        else:
            missing = ""
        if missing:
            pytest.fail(missing, pytrace=False)
        destination = make_destination(
            self.channel_class, settings, tmp_path, name="contract", state=state
        )
        self.prepare(destination)
        return _Deliveries(self, destination, endpoint)

    # Render --------------------------------------------------------------------------

    def test_has_a_name_and_settings_model(self) -> None:
        assert self.channel_class.name
        assert self.channel_class.settings_model.model_validate(dict(self.settings))

    def test_render_is_pure(self, destination: Destination, hard_edition: Edition) -> None:
        """No network during render, the same parts every time, the edition left as it was."""
        before = hard_edition.model_copy(deep=True)
        with network_blocked() as tried:
            first = self._render(hard_edition, destination)
            second = self._render(copy.deepcopy(hard_edition), destination)
        assert not tried, f"render reached for the network: {tried}"
        assert first == second, "rendering the same edition twice gave different renditions"
        assert hard_edition == before, "render changed the edition it was given"

    def test_every_part_is_within_its_limit(
        self, destination: Destination, hard_edition: Edition
    ) -> None:
        rendition = self._render(hard_edition, destination)
        assert rendition.parts, "a rendition must have at least one part"
        for number, part in enumerate(rendition.parts, start=1):
            assert part.text.strip(), f"part {number} is empty"
            if part.limit is None:
                continue
            assert part.length is not None, f"part {number} has a limit but no length"
            assert part.length <= part.limit, (
                f"part {number} is {part.length} long, over its limit of {part.limit}"
            )
            measured = self.measure(part)
            assert measured is None or measured == part.length, (
                f"part {number} says it is {part.length} long, but measures {measured}"
            )

    def test_replies_name_earlier_parts(
        self, destination: Destination, hard_edition: Edition
    ) -> None:
        for index, part in enumerate(self._render(hard_edition, destination).parts):
            if part.reply_to is not None:
                assert 0 <= part.reply_to < index, (
                    f"part {index + 1} replies to part {part.reply_to + 1}, which is not before it"
                )

    # Delivery ------------------------------------------------------------------------

    def test_deliver_gets_the_part_each_reply_answers(self, delivery: _Deliveries) -> None:
        """`deliver` is handed the remote reference of the part a reply answers, and the
        endpoint records the reply as answering that part."""
        run = delivery.run(digest_edition())
        assert run.outcome.status == "sent", run.outcome.message
        sent = {call.number: call.sent for call in run.calls}
        for call in run.calls:
            answers = run.rendition.parts[call.number - 1].reply_to
            expected = None if answers is None else sent[answers + 1]
            assert _reference(call.reply_to) == _reference(expected), (
                f"part {call.number} was handed {call.reply_to} to reply to, not {expected}"
            )
        arrived = {a.id: a for a in delivery.arrivals() if a.id is not None}
        for call in run.calls:
            answers = run.rendition.parts[call.number - 1].reply_to
            if call.sent.id not in arrived:
                continue
            expected_id = None if answers is None else sent[answers + 1].id
            assert arrived[call.sent.id].reply_to == expected_id, (
                f"part {call.number} arrived answering {arrived[call.sent.id].reply_to}, "
                f"not {expected_id}"
            )

    def test_a_digest_delivers_every_story(self, delivery: _Deliveries) -> None:
        edition = digest_edition()
        run = delivery.run(edition)
        assert run.outcome.status == "sent", run.outcome.message
        arrived = [_normalised(arrival.text) for arrival in delivery.arrivals()]
        missing = [
            story.id
            for story in edition.stories
            if not any(_normalised(story.headline) in text or story.url in text for text in arrived)
        ]
        assert not missing, (
            f"{len(missing)} of the digest's {len(edition.stories)} stories arrived neither by "
            f"headline nor by link: {', '.join(missing)}"
        )

    def test_a_resumed_delivery_repeats_no_part(self, delivery: _Deliveries) -> None:
        """A run that fails after part k, then a run that resumes: each part arrives once."""
        edition = digest_edition()
        total = len(delivery.render(edition).parts)
        k = total // 2
        first = delivery.run(edition, fail_before=k + 1, attempts=1)
        assert first.outcome.status == "failed", (
            f"the run with a fault before part {k + 1} did not fail: {first.outcome.message}"
        )
        assert len(delivery.arrivals()) == k, (
            f"{len(delivery.arrivals())} arrivals after a run that delivered {k} parts"
        )
        second = delivery.run(edition)
        assert second.outcome.status == "sent", second.outcome.message
        assert [call.number for call in second.calls] == list(range(k + 1, total + 1)), (
            "the resumed run delivered parts that had gone out already"
        )
        arrivals = delivery.arrivals()
        assert len(arrivals) == total, (
            f"{len(arrivals)} arrivals for {total} parts after resuming: a part came twice"
        )
        receipt = second.outcome.receipt
        ids = [arrival.id for arrival in arrivals if arrival.id is not None]
        if receipt is not None and ids:
            assert sorted(ids) == sorted(sent.id for sent in receipt.parts)

    def test_no_secret_appears_in_any_output(
        self, delivery: _Deliveries, caplog: pytest.LogCaptureFixture
    ) -> None:
        """Renditions, what `deliver` returns, its errors and log records are free of every
        credential set (the core masks them too; this checks the channel itself).

        Log records: every one at INFO and above, and the channel's own (its package's and
        `publisher.*` loggers) at any level; libraries' DEBUG records are never shown.
        """
        settings = delivery.destination.settings
        credentials = [
            name
            for name, value in type(settings).model_fields.items()
            if name.endswith(_CREDENTIAL_ENDINGS) and not _typed_secret(value.annotation)
        ]
        assert not credentials, f"credentials not typed publisher.Secret: {credentials}"
        secrets = _secrets(settings)
        own = ("publisher", self.channel_class.__module__.partition(".")[0])
        for name in ("", *own):
            caplog.set_level(logging.DEBUG, logger=name or None)
        outputs: list[tuple[str, str]] = []
        for name, edition in hard_editions().items():
            rendition = delivery.render(edition)
            outputs.append((f"the rendition of {name}", _rendition_text(rendition)))
        run = delivery.run(digest_edition())
        assert run.outcome.status == "sent", run.outcome.message
        outputs += [(f"what part {c.number} returned", repr(c.sent)) for c in run.calls]
        self.refuse(delivery.endpoint)
        refused = delivery.run(single(hard_stories()["long-answer"]), attempts=2)
        assert refused.outcome.status == "failed", (
            f"the endpoint refused, yet the delivery ended {refused.outcome.status}"
        )
        outputs += [("an error deliver raised", error) for error in refused.errors]
        outputs.append(("the failed delivery's message", refused.outcome.message))
        outputs += [
            (f"a log record of {record.name}", _record_text(record))
            for record in caplog.records
            if record.levelno >= logging.INFO or record.name.startswith(own)
        ]
        secrets |= {value for value in self.more_secrets(delivery.endpoint) if len(value) >= 4}
        for where, text in outputs:
            for secret in secrets:
                assert secret not in text, f"a secret appears in {where}: {text[:300]!r}"

    def _render(self, edition: Edition, destination: Destination) -> Rendition:
        channel = self.channel_class()
        try:
            return channel.render(edition, destination)
        finally:
            channel.close()


def _typed_secret(annotation: Any) -> bool:
    """`Secret`, `Secret | None`, `Annotated[Secret, ...]` and the like."""
    return annotation is Secret or any(_typed_secret(arg) for arg in get_args(annotation))


def _rendition_text(rendition: Rendition) -> str:
    parts = [part.as_json() for part in rendition.parts]
    cost = rendition.cost.as_json() if rendition.cost else None
    return json.dumps(
        {"parts": parts, "warnings": rendition.warnings, "cost": cost},
        ensure_ascii=False,
        default=repr,
    )


def _record_text(record: logging.LogRecord) -> str:
    text = record.getMessage()
    if record.exc_info and record.exc_info[1] is not None:
        text += "\n" + _chain(record.exc_info[1])
    return text


class _Deliveries:
    """Deliveries of editions to one destination through the core's real loop and ledger."""

    def __init__(self, contract: ChannelContract, destination: Destination, endpoint: Any) -> None:
        self.contract = contract
        self.destination = destination
        self.endpoint = endpoint
        self.ledger = Ledger(destination.state.engine)
        self.plugins = load_plugins()

    def render(self, edition: Edition) -> Rendition:
        return self.contract._render(edition, self.destination)

    def arrivals(self) -> list[Arrival]:
        return self.contract.delivered(self.endpoint)

    def run(self, edition: Edition, fail_before: int | None = None, attempts: int = 3) -> _Run:
        """Render, preflight and deliver, as `publisher publish` does, without pauses."""
        calls: list[_Call] = []
        errors: list[str] = []
        channel = _observed(self.contract.channel_class, calls, errors, fail_before)
        policy = RetryPolicy(attempts=attempts, first_pause=0, longest_pause=0, longest_wait=60)
        try:
            rendition = channel.render(edition, self.destination)
            channel.preflight(self.destination)
            outcome = deliver(
                self.ledger,
                self.plugins,
                channel,
                edition,
                self.destination,
                rendition,
                policy=policy,
                sleep=_no_pause,
            )
        finally:
            channel.close()
        return _Run(rendition, outcome, calls, errors)


def _no_pause(seconds: float) -> None:
    """Retries and rate limits are waited out at once: the contract is about what arrives."""


__all__ = ["Arrival", "ChannelContract"]
