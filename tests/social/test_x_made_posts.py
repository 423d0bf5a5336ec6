"""What an X channel remembers of the posts its process made, to name the original of a post
X refuses as a duplicate: only the same account's, and no more than `made.MOST` posts however
long the process (`schedule run`) lives."""

from __future__ import annotations

import pytest

from publisher_x.made import MOST, MadePosts
from social.conftest import Social
from social.servers import XServer

EDITOR = ["Forty stalls opened on the quay on Friday.", "Open Fridays from six until two."]
STORY = f"""\
---
headline: Harbour Opens a Night Market
published: 2026-11-20T18:00:00+01:00
posts:
  x:
    - "{EDITOR[0]}"
    - "{EDITOR[1]}"
---

Forty stalls opened on the first Friday.
"""


def test_the_oldest_post_is_forgotten_past_the_bound() -> None:
    made = MadePosts(most=3)
    for number in range(1, 6):
        made.record("account-a", f"post {number}", f"part {number} to x")
    assert len(made) == 3
    assert [made.find("account-a", f"post {number}") for number in range(1, 6)] == [
        None,
        None,
        "part 3 to x",
        "part 4 to x",
        "part 5 to x",
    ]


def test_a_post_made_again_counts_as_the_latest() -> None:
    made = MadePosts(most=2)
    made.record("account-a", "first", "part 1 to x")
    made.record("account-a", "second", "part 2 to x")
    made.record("account-a", "first", "part 1 to x2")  # made again: the newest now
    made.record("account-a", "third", "part 3 to x")
    assert (made.find("account-a", "first"), made.find("account-a", "second")) == (
        "part 1 to x2",
        None,
    )


def test_the_bound_holds_the_posts_of_many_full_threads() -> None:
    made = MadePosts()
    for number in range(MOST * 3):
        made.record(f"account-{number % 7}", f"post {number}", f"part {number}")
    assert len(made) == MOST
    assert made.find(f"account-{(MOST * 3 - 1) % 7}", f"post {MOST * 3 - 1}") is not None


def test_another_account_sees_none_of_an_accounts_posts() -> None:
    made = MadePosts()
    made.record("account-a", "Open tonight.", "part 1 to x")
    assert made.find("account-b", "Open tonight.") is None
    assert made.find("account-a", "Open tonight.") == "part 1 to x"


def test_a_duplicate_on_another_account_is_not_named_as_this_runs(
    social: Social, monkeypatch: pytest.MonkeyPatch
) -> None:
    with XServer(access_token="5678-other-token") as other:
        # The other account already has the editor's first post, made by no run of ours.
        other.tweets.append(
            {"id": "1", "sent": EDITOR[0], "text": EDITOR[0], "reply_to": None, "media": []}
        )
        monkeypatch.setenv("X_OTHER_ACCESS_TOKEN", other.access_token)
        second = (
            f'\n[destinations.x2]\nchannel = "x"\napi_url = "{other.url}"\n'
            'access_token = "${X_OTHER_ACCESS_TOKEN}"\n'
        )
        social.configure(x=second)
        social.project.add_story("hand.md", STORY)
        result = social.project.run("publish", "--story", "hand", "--to", "x,x2")

    assert result.code == 1, result.out + result.err
    assert "x: sent 2 parts" in result.out
    said = " ".join(result.out.split())
    assert (
        f"x2: failed part 1 of 2: X refused the post as a duplicate: 403 Forbidden: You are not "
        f"allowed to create a Tweet with duplicate content.; the post '{EDITOR[0]}' is "
        "identical to one already on the account, and this run did not make it" in said
    )
    assert "which this run posted" not in said
    assert [tweet["sent"] for tweet in social.x.tweets] == EDITOR
