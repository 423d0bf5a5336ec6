"""The weekly digest end to end, as an operator runs it.

A real `publisher schedule run` process with a one-minute cron sends a digest
to a local SMTP server and a local Mastodon server, is killed with SIGKILL
while a post is in flight, and is started again: the servers end up with
exactly one copy of everything.
"""

from __future__ import annotations

import json
import signal
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from social.servers import MastodonServer

from publisher.scheduler import Scheduler
from publisher.workspace import Workspace
from support.mail import READERS, SIGNING_KEY, LoopbackController, Mailbox
from support.project import SITE, STORY, Project

pytestmark = pytest.mark.slow

BERLIN = ZoneInfo("Europe/Berlin")
HELD_STATUS = 3

CONFIG = """
[delivery]
first_pause = "0s"

[destinations.newsletter]
channel = "email"
from = "Test News <news@example.org>"
smtp = "smtp://127.0.0.1:{smtp_port}"

[destinations.fediverse]
channel = "mastodon"
instance = "{mastodon}"
access_token = "${{MASTODON_ACCESS_TOKEN}}"
thread = "faq"

[schedules.weekly]
cron = "* * * * *"
since = "7d"
to = ["newsletter", "fediverse"]
"""


def wait_for(condition, seconds: float = 60) -> None:
    for _ in range(int(seconds * 10)):
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError("the condition was not met in time")


def stop(process, how: int) -> tuple[str, str]:
    process.send_signal(how)
    try:
        return process.communicate(timeout=30)
    finally:
        process.kill()


@pytest.fixture
def servers():
    mailbox = Mailbox()
    smtp = LoopbackController(mailbox)
    smtp.start()
    try:
        with MastodonServer() as mastodon:
            yield mailbox, smtp.port, mastodon
    finally:
        smtp.stop()


def test_a_killed_scheduler_restarts_and_every_server_has_one_copy(
    project: Project, servers, monkeypatch
) -> None:
    mailbox, smtp_port, mastodon = servers
    monkeypatch.setenv("MASTODON_ACCESS_TOKEN", mastodon.token)
    monkeypatch.setenv("EMAIL_SIGNING_KEY", SIGNING_KEY)
    project.write_config(SITE + CONFIG.format(smtp_port=smtp_port, mastodon=mastodon.url))
    now = datetime.now(BERLIN)
    for days in range(1, 6):
        name = "night-market" if days == 1 else f"story-{days}"
        published = (now - timedelta(days=days)).isoformat(timespec="seconds")
        story = STORY.replace("2026-11-20T18:00:00+01:00", published)
        project.add_story(f"{name}.md", story.replace("Night Market", f"Night Market {days}"))
    for address in READERS:
        assert project.run("subscribers", "add", address).code == 0
    planned = json.loads(project.run("digest", "--dry-run", "--json").out)["destinations"]
    expected_posts = [part["text"] for part in planned["fediverse"]["parts"]]
    assert len(expected_posts) > HELD_STATUS

    with (
        time_machine.travel(now - timedelta(minutes=2)),
        Scheduler(Workspace.open(project.config)) as s,
    ):
        s.reconcile()  # stored with a run due a minute ago: it starts as soon as the process does

    mastodon.fail("POST", "/api/v1/statuses", hold=True, after=True, skip=HELD_STATUS - 1)
    first = project.spawn("schedule", "run")
    try:
        wait_for(mastodon.holding.is_set)
        assert len(mailbox.received) == len(READERS), "the newsletter went out first"
    finally:
        stop(first, signal.SIGKILL)
    mastodon.released.set()
    assert len(mastodon.statuses) == HELD_STATUS, "the held status was made; its answer was lost"

    second = project.spawn("schedule", "run")
    try:
        wait_for(lambda: len(mastodon.statuses) >= len(expected_posts))
    finally:
        out, err = stop(second, signal.SIGTERM)
    assert second.returncode == 0, err
    assert "finishing the digest weekly left undelivered" in out

    for address in READERS:
        [message] = mailbox.to(address)
        assert message["Subject"].startswith("Test News, ")
    assert [status["text"] for status in mastodon.statuses] == expected_posts
    assert mastodon.is_thread()
    status = project.run("status")
    assert status.out.count(" done ") == 2
