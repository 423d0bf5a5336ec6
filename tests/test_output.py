"""What the command line prints is safe and honest.

Story text is shown as written, never read as console markup; with
`--log-format json` every line on stderr is a JSON object; `check` says which
destinations are dry runs.
"""

from __future__ import annotations

import email
import json
from email import policy

import pytest

from support.project import SITE, STORY, Project, recorder_config, recorder_table

MARKUP = "[/bold] Harbour [red]Opens[/red] a [link=https://evil.example]Night Market[/link]"
NEWSLETTER = """
[destinations.newsletter]
channel = "email"
from = "Test News <news@example.org>"
smtp = "outbox:outbox"
"""


def test_story_text_is_printed_literally_never_as_markup(project: Project) -> None:
    path = project.add_story(
        "night-market.md", STORY.replace("Harbour Opens a Night Market", f"'{MARKUP}'")
    )
    project.write_config(recorder_config() + NEWSLETTER)
    project.run("subscribers", "add", "ada@example.org")

    shown = project.run("story", str(path))
    dry_run = project.run("publish", "--story", "night-market", "--dry-run")
    sent = project.run("publish", "--story", "night-market")

    assert shown.code == 0, shown.err
    assert MARKUP in shown.out
    assert dry_run.code == 0, dry_run.err
    assert f"Subject: {MARKUP}\n" in dry_run.out
    assert f"\n{MARKUP}\n" in dry_run.out  # the recorder's first part
    assert sent.code == 0, sent.err
    [eml] = (project.root / "outbox").glob("*/*.eml")
    message = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert message["Subject"] == MARKUP, "the dry run showed the subject that was sent"


def test_error_messages_quoting_files_are_printed_literally(project: Project) -> None:
    project.write_config(recorder_config())
    bad = project.add_story("bad.json", '{"headline": "[/bold]", "published": "[red]soon"}')

    result = project.run("story", str(bad))

    assert result.code == 2
    assert result.err.startswith(f"error: {bad}")
    assert "[red]soon" in result.err and "Traceback" not in result.err


def test_schedule_hint_keeps_its_brackets(project: Project) -> None:
    result = project.run("schedule", "list")

    assert result.out == "Nothing is scheduled: add [schedules.NAME] to the configuration.\n"


def test_check_says_which_destinations_are_dry_runs(project: Project) -> None:
    project.write_config(
        SITE
        + recorder_table("log")
        + recorder_table("rehearsal", dry_run=True)
        + """
[destinations.fediverse]
channel = "mastodon"
instance = "https://mastodon.example"
access_token = "${MASTODON_ACCESS_TOKEN}"
dry_run = true
"""
    )

    result = project.run("check")

    assert result.code == 0, result.out + result.err
    lines = result.out.splitlines()[2:]
    assert lines == [
        "ok log (recorder): nothing to check",
        "dry run rehearsal (recorder): nothing to check (dry_run = true: nothing is sent)",
        "dry run fediverse (mastodon): environment variable MASTODON_ACCESS_TOKEN is not set "
        "(dry_run = true: nothing is sent)",
    ]


# --log-format json: every line on stderr is one JSON object.


def _events(err: str) -> list[dict]:
    events = [json.loads(line) for line in err.splitlines()]
    assert all(isinstance(event, dict) and event["message"] for event in events)
    return events


def test_every_stderr_line_is_json(project: Project) -> None:
    project.write_config(
        SITE.replace("https://", "http://")  # an http site: the dry run warns about the link
        + recorder_table("log", fail_at=2)
        + NEWSLETTER
        + '\n[delivery]\nfirst_pause = "0s"\n'
    )
    readers = project.root / "readers.csv"
    readers.write_text("email\nada@example.org\nnot-an-address\ngrace@example.org\n")
    json_run = ["--log-format", "json"]

    runs = {
        "import": project.run(*json_run, "subscribers", "import", str(readers)),
        "dry-run": project.run(*json_run, "publish", "--story", "night-market", "--dry-run"),
        "publish": project.run(*json_run, "publish", "--story", "night-market"),
        "digest": project.run(*json_run, "digest", "--since", "3650d"),
        "again": project.run(*json_run, "digest", "--since", "3650d", "--to", "newsletter"),
        "check": project.run(*json_run, "check"),
        "status": project.run(*json_run, "status"),
        "usage": project.run(*json_run, "publish"),
        "unknown": project.run(*json_run, "publish", "--story", "no-such-story"),
    }

    events = {name: _events(run.err) for name, run in runs.items()}
    assert [runs[name].code for name in runs] == [2, 0, 1, 1, 0, 0, 0, 2, 2]
    [refused] = [e for e in events["import"] if e["logger"] != "publisher.migrate"][:1]
    assert refused["message"] == f"{readers}:3: 'not-an-address': " + (
        "An email address must have an @-sign."
    )
    assert events["import"][-1]["level"] == "error"
    assert events["import"][-1]["event"] == "error" and events["import"][-1]["exit_code"] == 2
    [warning] = [e for e in events["dry-run"] if e.get("event") == "rendition_warning"]
    assert warning["level"] == "warning" and warning["destination"] == "newsletter"
    assert "not HTTPS" in warning["message"]
    progress = [e for e in events["publish"] if e.get("event") == "progress"]
    assert progress[-1] | {"time": None} == {
        "time": None,
        "level": "info",
        "logger": "publisher",
        "message": "newsletter: 2/2",
        "event": "progress",
        "destination": "newsletter",
        "done": 2,
        "total": 2,
    }
    assert events["publish"][-1]["message"].startswith("1 destination failed: log")
    assert events["publish"][-1]["level"] == "error"
    [idle] = [e for e in events["again"] if e.get("event") == "nothing_to_send"]
    assert idle["destination"] == "newsletter"
    assert idle["message"] == "newsletter: no new stories in the last 3650d; nothing to send"
    assert events["usage"][-1]["message"] == "Missing option '--story'."
    assert events["usage"][-1]["exit_code"] == 2
    assert "no story with id 'no-such-story'" in events["unknown"][-1]["message"]
    assert "\x1b" not in "".join(run.err for run in runs.values()), "no progress bars"


@pytest.mark.slow
def test_json_logs_from_a_real_process(project: Project) -> None:
    project.write_config(recorder_config(fail_at=1) + '\n[delivery]\nfirst_pause = "0s"\n')

    process = project.spawn("--log-format", "json", "publish", "--story", "night-market")
    out, err = process.communicate(timeout=60)

    assert process.returncode == 1
    events = _events(err)
    assert events[-1]["event"] == "error"
    assert events[-1]["message"].startswith("1 destination failed: log")
    assert "log: failed" in out


def test_the_embedded_defaults_notice_is_json_too(tmp_path, monkeypatch, capsys) -> None:
    from publisher.cli import main

    monkeypatch.chdir(tmp_path)
    assert main(["--log-format", "json", "status"]) == 0

    said = _events(capsys.readouterr().err)
    [notice] = [e for e in said if e.get("event") == "embedded_defaults"]
    assert notice["level"] == "warning"
    assert {e["logger"] for e in said if e is not notice} <= {"publisher.migrate"}
    assert notice["state"] == f"{tmp_path}/state/publisher.db"
