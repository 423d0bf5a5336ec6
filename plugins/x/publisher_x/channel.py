"""The X channel: render, deliver, recover and check, through tweepy (API v2)."""

from __future__ import annotations

import tweepy

from publisher import (
    Channel,
    DeliveryContext,
    DeliveryError,
    Destination,
    Edition,
    Part,
    Rendition,
    Sent,
)
from publisher_x.api import DuplicateContent, connect, translated_errors
from publisher_x.lookup import find_post
from publisher_x.render import render
from publisher_x.settings import XSettings


class XChannel(Channel):
    """Posts and threads on one X account."""

    name = "x"
    settings_model = XSettings

    def __init__(self) -> None:
        self._client: tweepy.Client | None = None
        self._user_id: str | None = None

    def render(self, edition: Edition, destination: Destination) -> Rendition:
        return render(edition, destination)

    def deliver(self, part: Part, context: DeliveryContext) -> Sent:
        client = self._connect(context.destination)
        reply_to = context.reply_to.id if context.reply_to else None
        try:
            with translated_errors():
                response = client.create_tweet(text=part.text, in_reply_to_tweet_id=reply_to)
        except DuplicateContent as error:
            # Our own earlier attempt may be the original, still missing from the timeline
            # when `recover` looked.
            found = self.recover(part, context) if context.in_flight else None
            if found is not None:
                return found
            raise DeliveryError(
                f"{error}; an identical post is already on the account and this run did not "
                "make it: delete that post, or change the story, then run again"
            ) from error
        return _sent(str(response.data["id"]))

    def recover(self, part: Part, context: DeliveryContext) -> Sent | None:
        """X has no idempotency key: look for the part among the account's recent posts."""
        client = self._connect(context.destination)
        reply_to = context.reply_to.id if context.reply_to else None
        found = find_post(client, self._me(client), part.text, reply_to)
        return _sent(found) if found else None

    def check(self, destination: Destination) -> str:
        client = self._connect(destination)
        with translated_errors():
            me = client.get_me(user_auth=True).data
        return f"posting as @{me.username}"

    def close(self) -> None:
        if self._client is not None:
            self._client.session.close()

    def _connect(self, destination: Destination) -> tweepy.Client:
        if self._client is None:
            self._client = connect(destination.settings)
        return self._client

    def _me(self, client: tweepy.Client) -> str:
        if self._user_id is None:
            with translated_errors():
                self._user_id = str(client.get_me(user_auth=True).data.id)
        return self._user_id


def _sent(tweet_id: str) -> Sent:
    return Sent(tweet_id, f"https://x.com/i/web/status/{tweet_id}")
