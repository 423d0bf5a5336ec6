"""One part as an app.bsky.feed.post record, under a record key chosen before the create.

A reply names both the thread's root and its parent by strong reference
(URI and CID). The parts of this run are remembered as they are made; the
part a resumed run replies to is read back once with getRecord, which also
tells the root it answers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias

from atproto import AtUri, Client, exceptions, models

from publisher import DeliveryContext, DeliveryError, Part, Sent
from publisher_bluesky import rkeys
from publisher_bluesky.api import is_not_found
from publisher_bluesky.card import embed
from publisher_bluesky.session import Account

if TYPE_CHECKING:
    from publisher_bluesky.settings import BlueskySettings

COLLECTION = "app.bsky.feed.post"
StrongRef: TypeAlias = models.ComAtprotoRepoStrongRef.Main


class Thread:
    """Strong references to the posts of this run, and to the roots they belong to."""

    def __init__(self, account: Account) -> None:
        self.account = account
        self._refs: dict[str, tuple[StrongRef, StrongRef]] = {}  # uri: (itself, its root)

    def post(self, part: Part, context: DeliveryContext[BlueskySettings]) -> Sent:
        account = self.account
        rkey = rkeys.claim(context.destination, context.idempotency_key)
        where = f"{context.destination.name}: part {context.number}"
        reply = self._reply_to(context.reply_to) if context.reply_to else None
        record = models.AppBskyFeedPost.Record(
            text=part.text,
            created_at=account.client.get_current_time_iso(),
            langs=part.extra.get("langs"),
            facets=[
                models.AppBskyRichtextFacet.Main.model_validate(facet)
                for facet in part.extra.get("facets", ())
            ]
            or None,
            reply=reply,
            embed=embed(account, part.extra.get("card"), where),
        )
        made = account.call(
            lambda client: client.app.bsky.feed.post.create(account.did, record, rkey=rkey)
        )
        itself = StrongRef(uri=made.uri, cid=made.cid)
        self._refs[made.uri] = (itself, reply.root if reply else itself)
        return self._sent(made.uri)

    def find(self, context: DeliveryContext[BlueskySettings]) -> Sent | None:
        """The part's record if an earlier attempt made it: looked up under the key it chose."""
        rkey = rkeys.stored(context.destination, context.idempotency_key)
        if rkey is None:  # no attempt got as far as choosing a key, so none sent the part
            return None
        uri = str(AtUri.make(self.account.did, COLLECTION, rkey))
        if self._lookup(uri) is None:
            return None
        return self._sent(uri)

    def _reply_to(self, parent: Sent) -> models.AppBskyFeedPost.ReplyRef:
        refs = self._lookup(parent.id)
        if refs is None:
            raise DeliveryError(
                f"the post this part answers, {parent.id}, is no longer on Bluesky; "
                "publish again with --force to start a new thread"
            )
        itself, root = refs
        return models.AppBskyFeedPost.ReplyRef(root=root, parent=itself)

    def _lookup(self, uri: str) -> tuple[StrongRef, StrongRef] | None:
        """A post's strong reference and its root's, from memory or with getRecord."""
        if uri not in self._refs:
            at = AtUri.from_str(uri)

            def get(client: Client) -> models.AppBskyFeedPost.GetRecordResponse | None:
                try:
                    return client.app.bsky.feed.post.get(at.host, at.rkey)
                except exceptions.BadRequestError as error:
                    if is_not_found(error):
                        return None
                    raise

            found = self.account.call(get)
            if found is None:
                return None
            itself = StrongRef(uri=found.uri, cid=found.cid)
            reply = found.value.reply
            self._refs[uri] = (itself, reply.root if reply else itself)
        return self._refs[uri]

    def _sent(self, uri: str) -> Sent:
        rkey = AtUri.from_str(uri).rkey
        return Sent(uri, f"https://bsky.app/profile/{self.account.handle}/post/{rkey}")
