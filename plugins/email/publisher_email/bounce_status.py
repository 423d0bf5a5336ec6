"""The email lines of `publisher status`: each recent edition's bounces and complaints.

Rates are counted against the copies of an edition that reached a server (accepted or
refused; those a stopped run claimed but never sent are left out), and compared
with the destination's thresholds (1% bounces and 0.1% complaints by
default, the rates above which mailbox providers start refusing bulk mail);
an edition above either gets a warning line.
"""

from __future__ import annotations

from publisher import Destination
from publisher_email.bounce_store import BounceBook, EditionFigures
from publisher_email.render import list_name
from publisher_email.settings import EmailSettings
from publisher_email.subscribers import STATUSES, Subscribers

EDITIONS = 5  # the latest editions shown


def status_lines(destination: Destination[EmailSettings]) -> list[str]:
    settings = destination.settings
    list_ = list_name(destination)
    engine = destination.state.engine
    editions = BounceBook(engine, list_).editions(EDITIONS)
    if not editions:
        return []  # nothing sent yet: nothing to say
    counts = Subscribers(engine, list_).counts()
    lines = [
        f"{destination.name}: list '{list_}': "
        + ", ".join(f"{counts[status]} {status}" for status in STATUSES)
    ]
    for figures in editions:
        lines.append(f"  {_edition(figures, settings)}")
        lines.extend(_warnings(destination.name, figures, settings))
    return lines


def _edition(figures: EditionFigures, settings: EmailSettings) -> str:
    bounced = figures.rate(figures.hard)
    complained = figures.rate(figures.complaints)
    return (
        f"{figures.edition_id}: {_copies(figures.copies)} reached a server ({figures.sent} "
        f"accepted, {figures.refused} refused), {figures.hard} hard bounce(s) "
        f"{bounced:.1%} (limit {settings.bounce_rate_limit:.1%}), {figures.soft} soft, "
        f"{figures.complaints} complaint(s) {complained:.2%} "
        f"(limit {settings.complaint_rate_limit:.2%})"
    )


def _copies(count: int) -> str:
    return f"{count} {'copy' if count == 1 else 'copies'}"


def _warnings(name: str, figures: EditionFigures, settings: EmailSettings) -> list[str]:
    warnings = []
    if figures.rate(figures.hard) > settings.bounce_rate_limit:
        warnings.append(
            f"warning: {name}: {figures.edition_id} bounced at {figures.rate(figures.hard):.1%}, "
            f"above {settings.bounce_rate_limit:.1%}: mailbox providers may refuse the next "
            "edition (clean the list: publisher subscribers list --status bounced)"
        )
    if figures.rate(figures.complaints) > settings.complaint_rate_limit:
        warnings.append(
            f"warning: {name}: {figures.edition_id} drew complaints at "
            f"{figures.rate(figures.complaints):.2%}, above {settings.complaint_rate_limit:.2%}"
        )
    return warnings
