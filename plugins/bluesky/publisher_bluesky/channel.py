"""The Bluesky channel: render, deliver, recover and check, through the atproto SDK."""

from __future__ import annotations

from typing import TYPE_CHECKING

from publisher import Channel, DeliveryContext, Destination, Edition, Part, Rendition, Sent
from publisher_bluesky.settings import BlueskySettings

if TYPE_CHECKING:
    from publisher_bluesky.posting import Thread

# The SDK takes most of a second to import; it is imported when a Bluesky destination is
# rendered or delivered to, not by every `publisher` command that loads the plugins.


class BlueskyChannel(Channel[BlueskySettings]):
    """Posts and threads on one Bluesky account.

    Every part's record key is chosen and stored before the create, so a part
    that may have gone out is looked up under it (`recover`) and, when sent
    again, made under the same key: never posted twice.
    """

    name = "bluesky"
    settings_model = BlueskySettings

    def __init__(self) -> None:
        self._thread: Thread | None = None

    def render(self, edition: Edition, destination: Destination[BlueskySettings]) -> Rendition:
        from publisher_bluesky.render import render

        return render(edition, destination)

    def deliver(self, part: Part, context: DeliveryContext[BlueskySettings]) -> Sent:
        return self._connect(context.destination).post(part, context)

    def recover(self, part: Part, context: DeliveryContext[BlueskySettings]) -> Sent | None:
        return self._connect(context.destination).find(context)

    def check(self, destination: Destination[BlueskySettings], *, dns: bool = False) -> str:
        """Who we post as. There are no DNS records of ours to look up for Bluesky, so
        `dns` changes nothing."""
        account = self._connect(destination).account
        session = account.call(lambda client: client.com.atproto.server.get_session())
        return f"posting as @{session.handle} ({session.did}) on {destination.settings.service}"

    def close(self) -> None:
        if self._thread is not None:
            self._thread.account.close()

    def _connect(self, destination: Destination[BlueskySettings]) -> Thread:
        if self._thread is None:
            from publisher_bluesky.posting import Thread
            from publisher_bluesky.session import Account

            self._thread = Thread(Account(destination))
        return self._thread
