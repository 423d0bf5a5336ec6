"""`publisher serve` beside a running send: one SQLite file shared by two processes under
load without "database is locked", and the same pages on PostgreSQL."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import datetime, timedelta

import httpx
import pytest
from sqlalchemy import create_engine, text
from web.conftest import ARCHIVE_URL

from support.mail import LoopbackController, Mailbox, email_config
from support.postgres import postgres_url  # noqa: F401  (a fixture)
from support.web import free_port, link_in, spawn_serve, stop, submit

READERS = 300
LOAD_SECONDS = 90  # the load stops when the send is done, or after this at the latest


@pytest.fixture
def slow_smtp():
    mailbox = Mailbox(hold=0.02)  # each copy takes a moment, so the send lasts
    controller = LoopbackController(mailbox)
    controller.start()
    yield mailbox, f"smtp://127.0.0.1:{controller.port}"
    controller.stop()


def _hammer(url: str, done: threading.Event, worker: int, answers: list, failures: list):
    """Sign-ups (each from its own client address, as the proxy says) and page reads."""
    with httpx.Client(base_url=url, timeout=30) as client:
        deadline = time.monotonic() + LOAD_SECONDS
        n = 0
        while not done.is_set() and time.monotonic() < deadline:
            n += 1
            client.headers["X-Forwarded-For"] = f"203.0.{worker}.{n % 250}"
            try:
                page = client.get("/subscribe")
                sent = submit(client, page, email=f"load{worker}-{n}@example.net")
                archive = client.get("/archive")
                answers.extend([page.status_code, sent.status_code, archive.status_code])
            except httpx.HTTPError as error:
                failures.append(repr(error))


def _newsletters(mailbox: Mailbox) -> list:
    with mailbox.lock:
        return [r for r in mailbox.received if not r.message["Subject"].startswith("Confirm")]


@pytest.mark.slow
def test_serve_and_the_scheduler_share_one_sqlite_file_while_a_send_runs(project, slow_smtp):
    mailbox, smtp = slow_smtp
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    project.write_config(
        email_config(smtp, "connections = 4").replace("https://news.example.org", url)
    )
    readers = project.root / "readers.csv"
    readers.write_text("".join(f"reader{n}@example.org\n" for n in range(READERS)))
    assert project.run("subscribers", "import", str(readers)).code == 0
    when = (datetime.now().astimezone() + timedelta(seconds=4)).isoformat(timespec="seconds")
    assert project.run("publish", "--story", "night-market", "--at", when).code == 0

    server = spawn_serve(project, port)
    scheduler = project.spawn("schedule", "run")
    done = threading.Event()
    answers: list[int] = []
    failures: list[str] = []
    workers = [
        threading.Thread(target=_hammer, args=(url, done, w, answers, failures))
        for w in range(1, 4)
    ]
    for worker in workers:
        worker.start()
    try:
        deadline = time.monotonic() + LOAD_SECONDS
        while len(_newsletters(mailbox)) < READERS and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        done.set()
        for worker in workers:
            worker.join(60)
        scheduler_out, scheduler_err = stop(scheduler)
        _, server_err = stop(server)

    newsletter = _newsletters(mailbox)
    assert len(newsletter) == READERS, scheduler_out + scheduler_err
    assert len({r.recipients for r in newsletter}) == READERS, "nobody mailed twice"
    assert failures == []
    assert len(answers) > 30, "the pages were used while the send ran"
    assert set(answers) == {200}, sorted(set(answers))
    for output in (scheduler_err, server_err):
        assert "database is locked" not in output
        assert "Traceback" not in output, output


@pytest.mark.slow
def test_the_pages_work_unchanged_on_postgresql(site, postgres_url):  # noqa: F811
    database = f"web_{uuid.uuid4().hex[:12]}"  # a database of its own: nothing shared
    with create_engine(postgres_url, isolation_level="AUTOCOMMIT").connect() as admin:
        admin.execute(text(f"CREATE DATABASE {database}"))
    site.configure(ARCHIVE_URL, state=postgres_url.rsplit("/", 1)[0] + f"/{database}")
    assert site.project.run("subscribers", "add", "kept@example.net").code == 0
    site.start()
    with site.server.client() as browser:
        page = browser.get("/subscribe")
        assert submit(browser, page, email="pg@example.net").status_code == 200
        [mail] = site.mailbox.to("pg@example.net")
        confirm = browser.get(link_in(mail, "/confirm"))
        assert submit(browser, confirm).status_code == 200
    result = site.project.run("publish", "--story", "night-market", "--to", "newsletter")
    assert result.code == 0, result.err
    newsletter = site.mailbox.to("pg@example.net")[-1]
    unsubscribe = link_in(newsletter, "/unsubscribe")
    answer = httpx.post(
        unsubscribe,
        content=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code == 200
    listed = site.project.run("subscribers", "list").out
    statuses = {line.split()[0]: line.split()[1] for line in listed.splitlines() if "@" in line}
    assert statuses["pg@example.net"] == "unsubscribed", listed
    assert statuses["kept@example.net"] == "active", "only the link's own reader left"
    with site.server.client() as reader:
        assert "Harbour Opens a Night Market" in reader.get("/archive").text
    shown = site.project.run("subscribers", "show", "pg@example.net").out
    assert "confirmed on /confirm" in shown and "unsubscribed (one-click)" in shown
