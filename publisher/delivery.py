"""The delivery loop: rendition -> ledger -> channel.deliver -> receipt.

Each part is claimed in the ledger before the channel sees it and settled
after, so a second run skips what went out, retries what failed, and hands
the channel the remote reference of the part it replies to.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Literal

from publisher.channel import (
    Channel,
    DeliveryContext,
    DeliveryError,
    Destination,
    Part,
    PartlyDelivered,
    RateLimited,
    Receipt,
    Rendition,
    Sent,
    TemporaryFailure,
)
from publisher.edition import Edition
from publisher.ledger import REFUSED, AlreadyDone, Busy, Changed, Ledger, Publication, text_hash
from publisher.plugins import Plugins, by_plugin, describe_failure
from publisher.retry import RetryPolicy
from publisher.secrets import scrub

Status = Literal["sent", "skipped", "failed", "stopped", "busy", "dry-run"]
log = logging.getLogger(__name__)
HEARTBEAT_EVERY = 60.0  # seconds; far below the ledger's STALE_AFTER


@dataclass(frozen=True)
class Outcome:
    """What happened at one destination, in words for the person who ran it."""

    destination: str
    status: Status
    message: str
    receipt: Receipt | None = None
    done: bool = True  # False when the publication is left for a later run to finish


def content_hash(rendition_part: dict) -> str:
    return hashlib.sha256(json.dumps(rendition_part, sort_keys=True).encode()).hexdigest()


def idempotency_key(delivery_id: str, number: int, digest: str) -> str:
    """Stable across attempts at one part; different for another part, content or round."""
    seed = f"{delivery_id}\x1f{number}\x1f{digest}"
    return hashlib.sha256(seed.encode()).hexdigest()[:32]


def deliver(
    ledger: Ledger,
    plugins: Plugins,
    channel: Channel,
    edition: Edition,
    destination: Destination,
    rendition: Rendition,
    force: bool = False,
    policy: RetryPolicy | None = None,
    sleep: Callable[[float], None] | None = None,
    progress: Callable[[int, int], None] | None = None,
    stop: threading.Event | None = None,
) -> Outcome:
    """Deliver a rendition part by part through the ledger; never raises for a channel failure.

    Setting `stop` (a signal) ends the run at the next safe point: the part
    under way finishes what is on the wire, and the publication is recorded
    as stopped for the next run to finish. When another run holds the
    publication, or takes it over meanwhile, the outcome is `busy`.
    """
    try:
        return _deliver(
            ledger,
            plugins,
            channel,
            edition,
            destination,
            rendition,
            force,
            policy or RetryPolicy(),
            sleep,
            progress,
            stop or threading.Event(),
        )
    except Busy as busy:  # that run delivers it: this destination is left to it
        return Outcome(destination.name, "busy", busy.reason, done=False)


def _deliver(
    ledger: Ledger,
    plugins: Plugins,
    channel: Channel,
    edition: Edition,
    destination: Destination,
    rendition: Rendition,
    force: bool,
    policy: RetryPolicy,
    sleep: Callable[[float], object] | None,
    progress: Callable[[int, int], None] | None,
    stop: threading.Event,
) -> Outcome:
    digests = [content_hash(part.as_json()) for part in rendition.parts]
    started = ledger.begin(
        edition.id,
        destination.name,
        channel=destination.channel,
        kind=edition.kind,
        story_ids=[story.id for story in edition.stories],
        parts=len(rendition.parts),
        force=force,
        window=(edition.start, edition.end),
        rendition=digests,
    )
    if isinstance(started, AlreadyDone):
        # In the site's timezone, as `publisher status` shows the same publication.
        when = f"{started.finished_at.astimezone(destination.site.zone):%Y-%m-%d %H:%M %Z}"
        what = "abandoned" if started.abandoned else "already published"
        return Outcome(destination.name, "skipped", f"{what} on {when}; --force sends it again")
    if isinstance(started, Changed):
        return Outcome(
            destination.name, "failed", _changed(started, edition, destination), done=False
        )
    total = len(rendition.parts)
    delivery_id = f"{edition.id}/{destination.name}/{started.round}"
    sent: list[Sent] = []
    refusals: list[str] = []
    lease = _Lease(ledger, started)
    progress = lease.renewing(progress or (lambda done, total: None))
    wait = _renewing_wait(sleep or stop.wait, lease, stop)
    for number, (part, digest) in enumerate(zip(rendition.parts, digests, strict=True), start=1):
        if stop.is_set():
            ledger.finish(started, "stopped")
            message = f"before part {number} of {total}; the next run sends the rest"
            return Outcome(destination.name, "stopped", message, done=False)
        claim = ledger.claim(started, number, digest, text_hash(part.text))
        if claim.sent is not None:
            sent.append(claim.sent)
            continue
        context = DeliveryContext(
            edition=edition,
            destination=destination,
            number=number,
            reply_to=sent[part.reply_to] if part.reply_to is not None else None,
            idempotency_key=idempotency_key(delivery_id, number, digest),
            delivery_id=delivery_id,
            in_flight=claim.in_flight,
            attempt=claim.attempt,
            stopping=lambda: stop.is_set() or lease.lost(),
            progress=progress,
        )
        try:
            result = _send(channel, part, context, policy, wait)
        except PartlyDelivered as partly:  # it went out, though not to everyone: go on
            note = scrub(str(partly))
            ledger.settle(started, number, partly.sent, note)
            lease.check()
            sent.append(partly.sent)
            refusals.append(f"part {number} of {total}: {note}")
            continue
        except Exception as error:  # any channel failure is recorded, never lost
            lease.check()  # unless another run holds it now: the record is that run's to keep
            message = scrub(str(error) or type(error).__name__)
            if stop.is_set():
                ledger.fail(started, number, message, status="stopped")
                ledger.finish(started, "stopped")
                return Outcome(
                    destination.name, "stopped", f"part {number} of {total}: {message}", done=False
                )
            ledger.fail(started, number, message, _failure_status(error))
            ledger.finish(started, "failed")
            return Outcome(
                destination.name, "failed", f"part {number} of {total}: {message}", done=False
            )
        ledger.settle(started, number, result)  # what went out is recorded, whoever holds it
        lease.check()
        sent.append(result)
    ledger.finish(started, "done")
    receipt = Receipt(edition.id, destination.name, tuple(sent))
    _announce(plugins, edition, destination, receipt)
    if refusals:
        return Outcome(destination.name, "failed", "; ".join(refusals), receipt)
    where = f": {receipt.url}" if receipt.url else ""
    return Outcome(destination.name, "sent", f"{total} part{'s' * (total != 1)}{where}", receipt)


def _failure_status(error: Exception) -> str:
    """`refused` when the channel is sure the part reached nobody (a DeliveryError that is not
    temporary: the server said no), else `failed`: it may have arrived."""
    if isinstance(error, DeliveryError) and not isinstance(error, TemporaryFailure):
        return REFUSED
    return "failed"


def _changed(changed: Changed, edition: Edition, destination: Destination) -> str:
    """Why an unfinished publication is not resumed: its edition renders otherwise now."""
    what = "the story" if edition.kind == "story" else "the digest (a story in it)"
    when = f"{changed.started_at.astimezone(destination.site.zone):%Y-%m-%d %H:%M %Z}"
    abandon = f"publisher abandon {edition.id} --destination {destination.name}"
    if edition.kind == "story":
        after = (
            f"; then `publisher publish --story {edition.lead.id} --to {destination.name} "
            "--force` publishes it anew"
        )
    else:
        after = " (its stories then count as sent there)"
    unsure = f" (and may have sent {changed.unsure} more)" if changed.unsure else ""
    differs = (
        f"part {changed.differs} now reads otherwise"
        if changed.differs <= changed.parts
        else "it now has more parts"
    )
    return (
        f"{what}, its configuration or templates changed since the unfinished run of {when} "
        f"({differs}), which sent {changed.sent} of its {changed.parts} parts{unsure}: nothing "
        "more was sent, so that no thread mixes two versions. Put it back as it was and run "
        f"again to finish it, or give it up with `{abandon}`{after}"
    )


def _renewing_wait(
    sleep: Callable[[float], object], lease: _Lease, stop: threading.Event
) -> Callable[[float], None]:
    """`sleep` in steps no longer than HEARTBEAT_EVERY, renewing the hold after each, so
    that a run waiting out a rate limit is never taken for a dead one; a stop or a lost
    hold ends the wait."""

    def wait(seconds: float) -> None:
        left = seconds
        while left > 0 and not stop.is_set():
            step = min(left, HEARTBEAT_EVERY)
            sleep(step)
            left -= step
            if lease.renew():
                return

    return wait


class _Lease:
    """This run's hold on its publication, renewed at most once a minute as a long part goes
    on, so that a run on another machine never takes a long send for a dead one.

    A run that finds it no longer holds the publication (it stalled for longer
    than the ledger's STALE_AFTER, and another run took over) stops at once.
    """

    def __init__(self, ledger: Ledger, publication: Publication) -> None:
        self.ledger = ledger
        self.publication = publication
        self._renewed = time.monotonic()
        self._lost = False
        self._lock = threading.Lock()

    def lost(self) -> bool:
        """Renew the hold if it is due; whether another run has taken the publication."""
        with self._lock:
            if not self._lost and time.monotonic() - self._renewed > HEARTBEAT_EVERY:
                self._lost = not self.ledger.heartbeat(self.publication)
                self._renewed = time.monotonic()
            return self._lost

    def renew(self) -> bool:
        """Renew the hold now (after a wait); whether another run has taken the publication."""
        with self._lock:
            if not self._lost:
                self._lost = not self.ledger.heartbeat(self.publication)
                self._renewed = time.monotonic()
            return self._lost

    def check(self) -> None:
        """Raise Busy if another run took the publication over while this one was sending."""
        if self.lost():
            owner = self.publication.owner
            raise Busy(
                self.publication.destination,
                f"{self.publication.edition_id} was taken over by another run while this one "
                f"({owner}) was stalled; this run stopped",
            )

    def renewing(self, progress: Callable[[int, int], None]) -> Callable[[int, int], None]:
        def report(done: int, total: int) -> None:
            self.lost()
            progress(done, total)

        return report


def _announce(
    plugins: Plugins, edition: Edition, destination: Destination, receipt: Receipt
) -> None:
    """Tell `publisher_published` plugins; one that fails is logged, the run goes on."""
    hook = "publisher_published"
    for owner, call in by_plugin(plugins, hook):
        try:
            call(edition=edition, destination=destination, receipt=receipt)
        except Exception as error:  # what was sent stays sent; the plugin's error is reported
            log.error("%s: %s", destination.name, describe_failure(owner, hook, error))


def _send(
    channel: Channel,
    part: Part,
    context: DeliveryContext,
    policy: RetryPolicy,
    sleep: Callable[[float], object],
) -> Sent:
    """One part, retried in this run for rate limits and passing failures, within bounds."""
    where = f"{context.destination.name}: part {context.number}"
    failure: DeliveryError
    for attempt in range(1, policy.attempts + 1):
        try:
            if context.in_flight:
                found = channel.recover(part, context)
                if found is not None:
                    log.info("%s was already delivered as %s; recorded", where, found.id)
                    return found
            return channel.deliver(part, context)
        except RateLimited as error:
            wait = error.retry_after if error.retry_after is not None else policy.pause(attempt)
            if wait > policy.longest_wait:
                raise DeliveryError(
                    f"{error}; the limit resets in {wait / 60:.0f} minutes, run again after that"
                ) from error
            failure = error
        except TemporaryFailure as error:
            wait = policy.pause(attempt)
            failure = error
            # The request may have arrived: the next attempt looks for it before resending.
            context = replace(context, in_flight=True)
        if attempt < policy.attempts and not context.stopping():
            log.warning(
                "%s: %s; retrying in %.0fs (attempt %d of %d)",
                where,
                failure,
                wait,
                attempt + 1,
                policy.attempts,
            )
            sleep(wait)
        if context.stopping():  # a stop neither waits for nor makes another attempt
            raise DeliveryError(str(failure)) from failure
        context = replace(context, attempt=context.attempt + 1)
    # Still temporary, when it was: the part may have arrived (and is recorded so).
    kind = TemporaryFailure if isinstance(failure, TemporaryFailure) else DeliveryError
    raise kind(f"{failure} (gave up after {policy.attempts} attempts)") from failure
