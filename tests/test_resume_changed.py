"""A publication a run left unfinished is finished with the parts it began with, or not at
all: never half a thread of one version and half of another. `publisher abandon` gives up
one for good."""

from __future__ import annotations

import json
import signal
import time

import pytest
from sqlalchemy import create_engine

from publisher.jobs import run_schedule
from publisher.run_history import History
from support.project import SITE, STORY, Project, recorder_config, recorder_table

EDITED = STORY.replace("A cooperative of twelve families.", "A cooperative of fourteen families.")
REFUSED = "log: failed the story, its configuration or templates changed since the unfinished run"


def killed_after_two_parts(project: Project) -> None:
    """A run killed (SIGKILL) with part 3 of 3 in flight."""
    project.write_config(recorder_config(hang_at=3))
    process = project.spawn("publish", "--story", "night-market")
    try:
        ready = project.log.with_suffix(".ready")
        for _ in range(600):
            if ready.exists() or process.poll() is not None:
                break
            time.sleep(0.05)
        assert ready.exists(), process.communicate()
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate()
    project.write_config(recorder_config())
    assert len(project.posts()) == 2


@pytest.mark.slow
def test_a_story_changed_since_the_killed_run_is_refused_not_mixed(project: Project) -> None:
    killed_after_two_parts(project)
    project.add_story("night-market.md", EDITED)

    refused = project.run("publish", "--story", "night-market")

    assert refused.code == 1, refused.err
    assert refused.out.startswith(REFUSED), refused.out
    assert (
        "(part 3 now reads otherwise), which sent 2 of its 3 parts (and may have sent 1 more): "
        "nothing more was sent, so that no thread mixes two versions"
    ) in refused.out
    assert "`publisher abandon story-night-market --destination log`" in refused.out
    assert "`publisher publish --story night-market --to log --force`" in refused.out
    assert len(project.posts()) == 2, "no part of the new version joins the old thread"

    project.add_story("night-market.md", STORY)  # put back as it was: the thread is finished
    resumed = project.run("publish", "--story", "night-market")
    assert resumed.code == 0, resumed.err
    posts = project.posts()
    assert [post["text"] for post in posts][2] == "Who Runs It: A cooperative of twelve families."
    assert posts[2]["reply_to"] == posts[1]["id"]


@pytest.mark.slow
def test_an_abandoned_publication_is_kept_never_resumed_and_sent_anew_only_forced(
    project: Project,
) -> None:
    killed_after_two_parts(project)
    project.add_story("night-market.md", EDITED)
    assert project.run("publish", "--story", "night-market").code == 1

    abandoned = project.run("abandon", "night-market", "--destination", "log")

    assert abandoned.code == 0, abandoned.err
    assert abandoned.out.startswith("log: story-night-market abandoned (it was interrupted)")
    status = project.run("status").out
    assert "abandoned" in status and "2/3" in status and "interrupted" not in status
    again = project.run("abandon", "story-night-market", "--destination", "log")
    assert (again.code, again.out.strip()) == (
        0,
        "log: story-night-market was already abandoned; nothing changed.",
    )
    skipped = project.run("publish", "--story", "night-market")
    assert skipped.code == 0 and "log: skipped abandoned on" in skipped.out, skipped.out
    assert len(project.posts()) == 2

    forced = project.run("publish", "--story", "night-market", "--force")
    assert forced.code == 0, forced.err
    posts = project.posts()[2:]
    assert posts[2]["text"] == "Who Runs It: A cooperative of fourteen families."
    assert posts[0]["reply_to"] is None, "a new thread, not the end of the old one"


def test_abandon_refuses_what_it_cannot_abandon_with_exit_code_2(project: Project) -> None:
    never = project.run("abandon", "night-market", "--destination", "log")
    assert never.code == 2
    assert never.err.strip() == "error: log: story-night-market has never been published there"
    assert project.run("publish", "--story", "night-market").code == 0
    done = project.run("abandon", "night-market", "--destination", "log")
    assert done.code == 2
    assert "log: story-night-market was delivered in full: nothing to abandon" in done.err
    missing = project.run("abandon", "night-market")
    assert missing.code == 2 and "--destination" in missing.err


FERRY = STORY.replace("Harbour Opens a Night Market", "The Night Ferry Returns").replace(
    "2026-11-20T18:00", "2026-11-21T18:00"
)


def test_one_destinations_digest_that_cannot_be_made_leaves_the_others_to_go_out(
    project: Project,
) -> None:
    project.write_config(recorder_config(fail_at=2))
    assert project.run("digest", "--since", "3650d").code == 1  # log's digest left half-sent
    (project.root / "stories" / "night-market.md").unlink()  # and one of its stories is gone
    project.add_story("ferry.md", FERRY)
    project.write_config(SITE + recorder_table("log") + recorder_table("other"))

    result = project.run("digest", "--since", "3650d")

    assert result.code == 1, result.err
    assert "other: sent 3 parts" in result.out
    assert "log: failed the unfinished digest digest-" in result.out
    assert "includes 'night-market', which is no longer in" in result.out
    assert "error: 1 destination failed: log" in result.err
    other = (project.root / "remote" / "other.jsonl").read_text().splitlines()
    assert json.loads(other[0])["text"] == "The Night Ferry Returns"
    assert len(project.posts()) == 1, "nothing more of the broken digest"

    alone = project.run("digest", "--since", "3650d", "--to", "log")
    assert alone.code == 2
    assert "error: log: the unfinished digest digest-" in alone.err
    assert alone.err.strip().endswith("error: no digest could be made for log")


def test_a_scheduled_digest_records_the_destination_it_could_not_make_and_sends_the_rest(
    project: Project,
) -> None:
    schedule = '\n[schedules.weekly]\ncron = "0 8 * * mon"\nsince = "3650d"\n'
    project.write_config(recorder_config(fail_at=2) + schedule)
    run_schedule(str(project.config), str(project.root), "weekly")
    (project.root / "stories" / "night-market.md").unlink()
    project.add_story("ferry.md", FERRY)
    project.write_config(SITE + recorder_table("log") + recorder_table("other") + schedule)

    run_schedule(str(project.config), str(project.root), "weekly")

    engine = create_engine(f"sqlite:///{project.root / 'state' / 'publisher.db'}")
    last = History(engine).last()["schedule:weekly"]
    engine.dispose()
    assert last["outcome"] == "failed"
    assert "log: failed the unfinished digest digest-" in last["message"]
    assert "other: sent 3 parts" in last["message"]
    other = (project.root / "remote" / "other.jsonl").read_text().splitlines()
    assert json.loads(other[0])["text"] == "The Night Ferry Returns"


def test_a_part_the_server_refused_is_replaced_by_the_corrected_story(project: Project) -> None:
    # The usual fix for a refused post: edit the story, run again. Parts 1 and 2 went out and
    # read the same; part 3 reached nobody, so its new version finishes the thread.
    project.write_config(recorder_config(fail_at=3))
    assert project.run("publish", "--story", "night-market").code == 1
    assert len(project.posts()) == 2
    project.write_config(recorder_config())
    project.add_story("night-market.md", EDITED)

    corrected = project.run("publish", "--story", "night-market")

    assert corrected.code == 0, corrected.out + corrected.err
    posts = project.posts()
    assert [post["text"] for post in posts][2] == "Who Runs It: A cooperative of fourteen families."
    assert posts[2]["reply_to"] == posts[1]["id"]
    assert len(posts) == 3


def test_a_part_that_may_have_arrived_still_ties_the_thread_to_its_version(
    project: Project,
) -> None:
    # Part 3 was posted but its answer lost, five times over: it may be out there, so an
    # edited part 3 is refused rather than posted beside it.
    project.write_config(
        recorder_config(lose_answer_at=3, honour_keys=False)
        + '\n[delivery]\nfirst_pause = "0s"\nattempts = 1\n'
    )
    assert project.run("publish", "--story", "night-market").code == 1
    project.write_config(recorder_config())
    project.add_story("night-market.md", EDITED)

    refused = project.run("publish", "--story", "night-market")

    assert refused.code == 1
    assert refused.out.startswith(REFUSED), refused.out
    assert "which sent 2 of its 3 parts (and may have sent 1 more)" in refused.out
    assert len(project.posts()) == 3, "only the copy that may have arrived"
