"""A run killed while a request is in flight resumes the thread with nothing posted twice.

The publishing run is a real process. The local server holds one request open,
the test kills the process with SIGKILL while it waits, and a second run
finishes the thread.
"""

from __future__ import annotations

import pytest

from social.conftest import EXAMPLES, Social
from social.servers import Service
from support.project import Result

pytestmark = pytest.mark.slow

STORY = EXAMPLES / "night-trains-return.md"
HELD_PART = 3
STATUSES = "/api/v1/statuses"
TIMELINE = "/api/v1/accounts/1/statuses"


def kill_while_held(social: Social, server: Service, destination: str) -> None:
    """Start `publish`, wait until `server` holds its request, then kill -9 the process."""
    process = social.project.spawn("publish", "--story", str(STORY), "--to", destination)
    try:
        held = False
        for _ in range(600):  # up to a minute, in tenths of a second
            held = server.holding.wait(0.1)
            if held or process.poll() is not None:
                break
        assert held, f"the run ended without reaching the server: {process.communicate()}"
    finally:
        process.kill()
        process.communicate(timeout=30)
    assert process.returncode == -9
    server.released.set()  # the held request is dropped, unanswered


def resume(social: Social, destination: str) -> Result:
    result = social.project.run("publish", "--story", str(STORY), "--to", destination)
    assert result.code == 0, result.out + result.err
    assert f"{destination}: sent" in result.out
    return result


@pytest.mark.parametrize("made", [True, False], ids=["post-made", "post-not-made"])
def test_mastodon_resumes_after_its_keys_expired_without_posting_twice(
    social: Social, made: bool
) -> None:
    parts = social.parts(STORY, "fediverse")
    held = parts[HELD_PART - 1]["text"]
    server = social.mastodon
    server.fail("POST", STATUSES, hold=True, after=made, skip=HELD_PART - 1)
    kill_while_held(social, server, "fediverse")
    assert len(server.statuses) == HELD_PART - (not made)
    server.forget_keys()  # the run resumes more than an hour later

    resume(social, "fediverse")
    assert [s["text"] for s in server.statuses] == [part["text"] for part in parts]
    assert server.is_thread()
    assert len(server.requests("GET", TIMELINE)) == 1  # one look, for the part in flight
    posts = [post for post in server.requests("POST", STATUSES) if post.body["status"] == held]
    assert len(posts) == 1 + (not made)
    assert len({post.headers["idempotency-key"] for post in posts}) == 1


@pytest.mark.parametrize("whole", [True, False], ids=["same-text-elsewhere", "same-start-here"])
def test_mastodon_does_not_take_a_status_like_its_part_for_it(social: Social, whole: bool) -> None:
    parts = social.parts(STORY, "fediverse")
    held = parts[HELD_PART - 1]["text"]
    server = social.mastodon
    server.fail("POST", STATUSES, hold=True, skip=HELD_PART - 1)
    kill_while_held(social, server, "fediverse")
    ours = [status["id"] for status in server.statuses]
    # Posted by hand since: the same text answering the root instead of part 2, or the
    # part's first sentence answering part 2 (a part that fits is never posted in pieces).
    look_alike = held if whole else held.split(". ")[0] + "."
    other = server.add_status(look_alike, in_reply_to_id=ours[0] if whole else ours[-1])
    server.forget_keys()

    resume(social, "fediverse")
    assert len(server.requests("GET", TIMELINE)) == 1
    made = [status for status in server.statuses if status["text"] == held]
    assert [status["id"] for status in made] == [other["id"]] * whole + [str(len(ours) + 2)]
    assert made[-1]["in_reply_to_id"] == ours[-1]
    thread = [status for status in server.statuses if status is not other]
    assert [status["text"] for status in thread] == [part["text"] for part in parts]


@pytest.mark.parametrize("pieces_made", [1, 3], ids=["cut-short", "all-pieces"])
def test_mastodon_knows_a_part_it_had_split_by_its_first_piece(
    social: Social, pieces_made: int
) -> None:
    social.configure(mastodon="max_characters = 500")  # so the resumed run renders the same parts
    server = social.mastodon
    server.max_characters = 250  # part 1 goes out in two pieces, part 3 in three
    parts = social.parts(STORY, "fediverse")
    # Before part 3's pieces: part 1 refused whole, its two pieces, part 2, part 3 refused whole.
    server.fail("POST", STATUSES, hold=True, after=True, skip=5 + pieces_made - 1)
    kill_while_held(social, server, "fediverse")
    before = [status["text"] for status in server.statuses]
    assert len(before) == 3 + pieces_made
    server.forget_keys()

    result = resume(social, "fediverse")
    texts = [status["text"] for status in server.statuses]
    assert len(set(texts)) == len(texts)  # nothing twice
    assert server.is_thread()
    assert texts[: len(before)] == before
    # What part 3's run had not posted yet is left out, and said so; the rest of the thread follows.
    held = parts[HELD_PART - 1]["text"]
    missing = held.removeprefix(before[-1]) if pieces_made < 3 else ""
    everything = " ".join(part["text"] for part in parts)
    assert " ".join(texts).split() == everything.replace(missing, "").split()
    assert ("part 3 was posted in pieces" in result.err) == bool(missing)


@pytest.mark.parametrize("made", [True, False], ids=["post-made", "post-not-made"])
def test_x_resumes_after_looking_for_the_part_in_flight(social: Social, made: bool) -> None:
    parts = social.parts(STORY, "x")
    server = social.x
    server.fail("POST", "/2/tweets", hold=True, after=made, skip=HELD_PART - 1)
    kill_while_held(social, server, "x")
    assert len(server.tweets) == HELD_PART - (not made)

    resume(social, "x")
    tweets = server.tweets
    assert [t["sent"] for t in tweets] == [part["text"] for part in parts]
    assert server.is_thread()
    assert len(server.requests("GET", "/2/users/1234/tweets")) == 1  # one look, for part 3
    sent = [post.body["text"] for post in server.requests("POST", "/2/tweets")]
    assert sent.count(parts[HELD_PART - 1]["text"]) == 1 + (not made)
