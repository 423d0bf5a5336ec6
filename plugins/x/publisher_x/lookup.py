"""Finding a post that went out unrecorded among the account's recent posts.

X takes no idempotency key: whether a part in flight at a crash reached X,
only the account's own timeline can tell.
"""

from __future__ import annotations

import html

import tweepy

from publisher.text import URL_PATTERN
from publisher_x.api import translated_errors

RECENT = 100  # X's largest page; a thread being resumed is among the latest posts


def find_post(client: tweepy.Client, user_id: str, text: str, reply_to: str | None) -> str | None:
    """The id of a recent post with this text that replies to `reply_to` (None: to nothing)."""
    with translated_errors():
        response = client.get_users_tweets(
            user_id, user_auth=True, max_results=RECENT, tweet_fields=["referenced_tweets"]
        )
    wanted = _comparable(text)
    for tweet in response.data or ():
        if _replied_to(tweet) == reply_to and _comparable(tweet.text) == wanted:
            return str(tweet.id)
    return None


def _replied_to(tweet: tweepy.Tweet) -> str | None:
    for reference in tweet.referenced_tweets or ():
        if reference.type == "replied_to":
            return str(reference.id)
    return None


def _comparable(text: str) -> str:
    """Text as X gives it back: links shortened to t.co, &, < and > escaped, spaces folded."""
    return " ".join(URL_PATTERN.sub("<link>", html.unescape(text)).split())
