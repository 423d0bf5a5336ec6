"""Whose link is this: the list and subscriber behind a token from an email.

A token is tried against every email destination's list and key: an opaque
token (tokens.py) is looked up by its id, a token from before them carries
its address. Keys are used only where the channel would sign with them: the
public demo key stands for nothing but an outbox's links.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from publisher import ConfigError, Destination
from publisher_email import tokens
from publisher_email.render import list_name
from publisher_email.subscribers import Subscribers
from publisher_email.tokens import Purpose, SigningKey

if TYPE_CHECKING:
    from publisher_email.settings import EmailSettings


@dataclass(frozen=True)
class Holder:
    """The list a token belongs to, and its subscriber's address (None when we signed the
    token but its subscriber is no longer there)."""

    destination: Destination[EmailSettings]
    subscribers: Subscribers
    address: str | None


def signing_key(destination: Destination[EmailSettings]) -> SigningKey | None:
    """The destination's key; None for the demo key anywhere but an outbox, where it would
    stand for nothing (anyone can sign with it)."""
    try:
        return tokens.signing_key(destination.settings)
    except ConfigError:
        return None


def key_problems(destinations: Iterable[Destination[EmailSettings]]) -> list[str]:
    """Why the links of each email destination that sends could not be read: a missing key
    where the demo key stands for nothing, said as `publish` and `check` say it."""
    problems = []
    for destination in destinations:
        if destination.channel != "email" or destination.settings.dry_run:
            continue
        try:
            tokens.signing_key(destination.settings)
        except ConfigError as error:
            problems.append(f"{destination.name}: {error}")
    return problems


def email_lists(
    destinations: Iterable[Destination[EmailSettings]],
) -> Iterator[Destination[EmailSettings]]:
    """One email destination per list (the first that sends to it)."""
    seen: set[str] = set()
    for destination in destinations:
        if destination.channel == "email" and list_name(destination) not in seen:
            seen.add(list_name(destination))
            yield destination


def link_token(destination: Destination[EmailSettings], purpose: Purpose, token_id: str) -> str:
    """A signed token for a link of this destination's list."""
    key = SigningKey(destination.settings.signing_key)
    return key.seal(purpose, list_name(destination), token_id)


def opened(destination: Destination[EmailSettings], purpose: Purpose, token: str) -> str | None:
    """The id inside a token of this destination's list, or None."""
    key = signing_key(destination)
    return key.open(purpose, list_name(destination), token) if key else None


def unsubscribe_holder(destination: Destination[EmailSettings], token: str) -> Holder | None:
    """Who an unsubscribe token of this destination's list is for, or None if it is not
    one of the list's tokens."""
    key = signing_key(destination)
    if key is None or not token:
        return None
    name = list_name(destination)
    members = Subscribers(destination.state.engine, name)
    token_id = key.open("unsubscribe", name, token)
    if token_id is not None:
        found = members.by_token(token_id)
        return Holder(destination, members, found.address if found else None)
    address = key.address(name, token)
    return Holder(destination, members, address) if address is not None else None


def find_holder(destinations: Iterable[Destination[EmailSettings]], token: str) -> Holder | None:
    """The first list one of whose tokens `token` is."""
    for destination in email_lists(destinations):
        holder = unsubscribe_holder(destination, token)
        if holder is not None:
            return holder
    return None
