"""Two runs resuming one email send: every subscriber gets exactly one copy.

End to end: a send to 300 subscribers is stopped by SIGTERM, then two real
`publish` processes resume it at the same instant. The instant is made with
the database itself: the test holds a lock on the publication's row until
PostgreSQL shows both processes waiting for it, then lets go. Then, below the
core's lock: two sends of one delivery run at once in threads, and still no
recipient is sent two copies.
"""

from __future__ import annotations

import signal
import threading
import time

import pytest
from sqlalchemy import create_engine, text

from publisher_email.channel import EmailChannel
from support.databases import fresh_postgres
from support.mail import DirectSend, email_config
from support.postgres import postgres_url  # noqa: F401  (a fixture)

READERS = 300
ADDRESSES = [f"reader{n:03d}@example.org" for n in range(READERS)]
SIGNING_KEY = "a-long-random-signing-key-for-two-runs-0123456789"


def wait_for(condition, what: str, processes=(), seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        for process in processes:
            assert process.poll() is None, (what, process.communicate())
        assert time.monotonic() < deadline, f"{what}: not in time"
        time.sleep(0.01)


@pytest.fixture
def newsletter_on_postgres(project, smtp_server, request, monkeypatch):
    """The project with its state on PostgreSQL and 300 subscribers; and its database URL."""
    monkeypatch.setenv("EMAIL_SIGNING_KEY", SIGNING_KEY)
    server = request.getfixturevalue("postgres_url")
    url = fresh_postgres(server, f"two_runs_{request.node.name}")
    config = email_config(smtp_server.url(), "connections = 4").replace(
        'timezone = "Europe/Berlin"\n', f'timezone = "Europe/Berlin"\nstate = "{url}"\n', 1
    )
    project.write_config(config)
    csv = project.root / "readers.csv"
    csv.write_text("email\n" + "\n".join(ADDRESSES) + "\n", encoding="utf-8")
    assert project.run("subscribers", "import", str(csv)).code == 0
    return project, url


def _waiting_for_locks(engine) -> int:
    with engine.connect() as db:
        return db.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        )


@pytest.mark.slow
def test_two_runs_resuming_one_send_deliver_each_copy_once(newsletter_on_postgres, smtp_server):
    project, url = newsletter_on_postgres
    mailbox = smtp_server.mailbox
    mailbox.hold = 0.05
    publish = ("publish", "--story", "night-market", "--to", "newsletter")
    first = project.spawn(*publish)
    wait_for(lambda: mailbox.count() >= READERS // 3, "the first send", [first])
    first.send_signal(signal.SIGTERM)
    _, stopped = first.communicate(timeout=60)
    assert first.returncode == 143, stopped
    assert mailbox.count() < READERS
    mailbox.hold = 0

    engine = create_engine(url)
    try:
        with engine.connect() as db, db.begin():
            held = db.scalar(
                text(
                    "SELECT status FROM publications "
                    "WHERE edition_id = 'story-night-market' FOR UPDATE"
                )
            )
            assert held == "stopped"
            runs = [project.spawn(*publish), project.spawn(*publish)]
            wait_for(lambda: _waiting_for_locks(engine) == 2, "both runs at the lock", runs)
        said = [run.communicate(timeout=120) for run in runs]
    finally:
        engine.dispose()

    codes = [run.returncode for run in runs]
    assert sorted(codes) == [0, 1], said
    winner, loser = said[codes.index(0)], said[codes.index(1)]
    assert "newsletter: sent" in winner[0]
    assert "newsletter: busy story-night-market is being delivered by another run" in loser[0]
    assert "error: 1 destination left to another run: newsletter" in loser[1]
    copies = {address: len(mailbox.to(address)) for address in ADDRESSES}
    assert {address: n for address, n in copies.items() if n != 1} == {}


@pytest.mark.slow
def test_two_sends_of_one_delivery_at_once_never_reach_a_recipient_twice(
    tmp_path, smtp_server, monkeypatch
):
    """Below the core's lock, the recipients' own claims keep two sends apart."""
    monkeypatch.setenv("EMAIL_SIGNING_KEY", SIGNING_KEY)
    send = DirectSend.to(tmp_path, smtp_server.url(), ADDRESSES)
    edition, destination, context = send.edition, send.destination, send.context()
    together = threading.Barrier(2)
    errors: list[BaseException] = []

    def send() -> None:
        channel = EmailChannel()
        part = channel.render(edition, destination).parts[0]
        try:
            together.wait(timeout=30)
            channel.deliver(part, context)
        except BaseException as error:
            errors.append(error)
        finally:
            channel.close()

    sends = [threading.Thread(target=send) for _ in range(2)]
    for thread in sends:
        thread.start()
    for thread in sends:
        thread.join(timeout=120)
    assert errors == []
    copies = {address: len(smtp_server.mailbox.to(address)) for address in ADDRESSES}
    assert {address: n for address, n in copies.items() if n != 1} == {}
