"""Sign-up with double opt-in over HTTP: the form, the confirmation email, the consent record."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import create_engine, text

from support.mail import READERS
from support.web import forms, link_in, parse, submit

NEW = "ada@example.net"
NEWS = "https://news.example.org"  # the site's URL in the tests' configuration


def _sign_up(browser, address: str, name: str = "", **extra):
    page = browser.get("/subscribe", params={"source": "footer"})
    assert page.status_code == 200
    return submit(browser, page, email=address, name=name, **extra)


def _confirmations(site, address: str) -> list:
    return [m for m in site.mailbox.to(address) if m["Subject"].startswith("Confirm")]


def _status(project, address: str) -> str | None:
    for line in project.run("subscribers", "list").out.splitlines():
        if line.startswith(address):
            return line.split()[1]
    return None


def _without_token(page: str) -> str:
    return re.sub(r'name="csrf_token" value="[^"]*"', "", page)


def test_double_opt_in_from_the_form_to_the_list_with_consent_recorded(live):
    with live.server.client() as browser:
        sent = _sign_up(browser, NEW, name="Ada Lovelace")
        assert sent.status_code == 200
        assert "Check your inbox" in sent.text
        assert _status(live.project, NEW) is None, "nobody is subscribed before confirming"

        [mail] = _confirmations(live, NEW)
        assert mail["From"] == "Test News <news@example.org>"
        link = link_in(mail, "/confirm")
        assert NEW not in link
        page = browser.get(link)
        assert page.status_code == 200 and "Confirm your subscription" in page.text
        assert _status(live.project, NEW) is None, "opening the link changes nothing"

        done = submit(browser, page)
        assert done.status_code == 200 and "You are subscribed" in done.text
        again = submit(browser, page)
        assert again.status_code == 200 and "You are subscribed" in again.text

    assert _status(live.project, NEW) == "active"
    shown = live.project.run("subscribers", "show", NEW)
    assert shown.code == 0, shown.err
    lines = shown.out.splitlines()
    assert lines[0] == f"{NEW} on list 'newsletter'"
    assert "  name:     Ada Lovelace" in lines
    assert re.search(r"requested on /subscribe\?source=footer from 127\.0\.0\.1$", shown.out, re.M)
    assert re.search(r"confirmed on /confirm from 127\.0\.0\.1$", shown.out, re.M)
    assert shown.out.count("confirmed") == 1, "confirming twice records it once"


def test_the_answer_is_the_same_for_new_waiting_and_subscribed_addresses(live):
    answers = {}
    with live.server.client() as browser:
        answers["new"] = _sign_up(browser, NEW)
        answers["waiting"] = _sign_up(browser, NEW)
        answers["subscribed"] = _sign_up(browser, READERS[0])
        answers["subscribed again"] = _sign_up(browser, READERS[0])

    bodies = {name: (a.status_code, _without_token(a.text)) for name, a in answers.items()}
    assert len(set(bodies.values())) == 1, "no answer says who is on the list"
    assert len(_confirmations(live, NEW)) == 1, "no second confirmation inside the expiry time"
    assert len(_confirmations(live, READERS[0])) == 1
    assert _status(live.project, READERS[0]) == "active"


def test_an_expired_confirmation_link_is_refused_and_a_new_sign_up_mails_again(live):
    with live.server.client() as browser:
        _sign_up(browser, NEW)
        [mail] = _confirmations(live, NEW)
        database = live.project.root / "state" / "publisher.db"
        with create_engine(f"sqlite:///{database}").begin() as db:
            db.execute(text("UPDATE email_signups SET mailed_at = '2020-01-01 00:00:00'"))

        page = browser.get(link_in(mail, "/confirm"))
        refused = submit(browser, page)
        assert refused.status_code == 400
        assert "This link has expired" in refused.text
        assert _status(live.project, NEW) is None

        _sign_up(browser, NEW)
        assert len(_confirmations(live, NEW)) == 2
        fresh = browser.get(link_in(_confirmations(live, NEW)[1], "/confirm"))
        assert submit(browser, fresh).status_code == 200
    assert _status(live.project, NEW) == "active"


def test_a_form_without_its_csrf_token_is_refused_and_mails_nobody(live):
    with live.server.client() as browser:
        page = browser.get("/subscribe")
        fields = forms(page.text)[0]["fields"]
        missing = browser.post(
            "/subscribe",
            data={k: v for k, v in fields.items() if k != "csrf_token"} | {"email": NEW},
        )
        forged = browser.post("/subscribe", data=fields | {"email": NEW, "csrf_token": "x.y"})
    with live.server.client() as stranger:  # the token, but not the browser's cookie
        stolen = stranger.post("/subscribe", data=fields | {"email": NEW})

    for answer in (missing, forged, stolen):
        assert answer.status_code == 403
        assert "This form has expired" in answer.text
    assert live.mailbox.to(NEW) == []


def test_a_bot_that_fills_the_hidden_field_gets_the_same_page_and_no_mail(live):
    with live.server.client() as browser:
        bot = _sign_up(browser, NEW, website="https://spam.example")
        person = _sign_up(browser, "grace@example.net")

    assert bot.status_code == 200 and "Check your inbox" in bot.text
    assert _without_token(bot.text) == _without_token(person.text)
    assert live.mailbox.to(NEW) == []
    assert len(live.mailbox.to("grace@example.net")) == 1


def test_rate_limits_per_client_and_per_address(live):
    with live.server.client() as browser:
        for _ in range(4):
            assert _sign_up(browser, "victim@example.net").status_code == 200
        answers = [_sign_up(browser, f"reader{n}@example.net").status_code for n in range(8)]

    assert len(live.mailbox.to("victim@example.net")) == 1, "nobody can mail-bomb a stranger"
    assert answers[:6] == [200] * 6
    assert answers[6:] == [429, 429], "ten sign-ups an hour from one client address"


def test_the_form_checks_the_address_without_saying_who_is_listed(live):
    with live.server.client() as browser:
        answer = _sign_up(browser, "not an address", name="Ada")
    assert answer.status_code == 400
    assert "does not look like an email address" in answer.text
    assert 'value="Ada"' in answer.text, "what was typed is kept"


def test_record_ip_false_keeps_no_client_address(site):
    site.configure('record_ip = false\narchive_url = "{site}/archive/{edition}"')
    site.start()
    with site.server.client() as browser:
        _sign_up(browser, NEW)
        page = browser.get(link_in(_confirmations(site, NEW)[0], "/confirm"))
        assert submit(browser, page).status_code == 200
    shown = site.project.run("subscribers", "show", NEW).out
    assert "requested on /subscribe" in shown and "127.0.0.1" not in shown


def test_tampered_confirmation_links_get_a_plain_400(live):
    with live.server.client() as browser:
        _sign_up(browser, NEW)
        link = link_in(_confirmations(live, NEW)[0], "/confirm")
        token = link.split("token=")[1]
        for bad in (token[:-1] + ("A" if token[-1] != "A" else "B"), token[:20], "", "a.b"):
            page = browser.get("/confirm", params={"token": bad})
            assert page.status_code == 400 and "This link is not valid" in page.text
    assert parse(live.mailbox.received[0].message.as_bytes())["To"] == NEW


CONTROLS = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def test_the_form_s_page_field_is_kept_only_as_a_path_of_this_site(live):
    sent_from = {
        "osc@example.net": "/subscribe\x1b]52;c;cm0gLXJmIH4=\x07\r",
        "other@example.net": "//evil.example/subscribe",
        "remote@example.net": "https://evil.example/subscribe",
        "footer@example.net": "/subscribe?source=footer",
    }
    with live.server.client() as browser:
        for address, page in sent_from.items():
            form = forms(browser.get("/subscribe").text)[0]
            fields = {"email": address, "name": "Eve\x1b[2J\u202e Doe\x07", "page": page}
            answer = browser.post(form["action"], data={**form["fields"], **fields})
            assert answer.status_code == 200

    for address in sent_from:
        shown = live.project.run("subscribers", "show", address)
        assert shown.code == 0, shown.err
        assert not CONTROLS.search(shown.out), repr(shown.out)
        assert "  name:     Eve[2J Doe" in shown.out
        where = " on /subscribe?source=footer" if address.startswith("footer") else ""
        assert f"requested (not confirmed yet){where} from 127.0.0.1\n" in shown.out


def test_subscribers_show_of_a_pending_sign_up_shows_its_request(live):
    with live.server.client() as browser:
        assert _sign_up(browser, NEW, name="Ada Lovelace").status_code == 200

    shown = live.project.run("subscribers", "show", NEW)

    assert shown.code == 0, shown.err
    assert "none recorded" not in shown.out
    lines = shown.out.splitlines()
    assert lines[1] == "  status:   not subscribed: waiting for the sign-up to be confirmed"
    assert lines[2] == "  name:     Ada Lovelace"
    assert lines[3].startswith("  waiting:  confirmation mailed ")
    assert lines[4] == "  consent:"
    assert re.fullmatch(
        r"    \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \S+  requested \(not confirmed yet\) "
        r"on /subscribe\?source=footer from 127\.0\.0\.1",
        lines[5],
    )


def test_an_outbox_keeps_every_confirmation_it_was_given(site):
    import time_machine

    from support.mail import email_config

    site.project.write_config(email_config("outbox:outbox").replace(NEWS, site.url))
    site.start()
    start = datetime.now(UTC)
    for hours in (0, 49):  # the second after the first link expired: mailed again
        with (
            time_machine.travel(start + timedelta(hours=hours), tick=True),
            site.server.client() as browser,
        ):
            assert _sign_up(browser, NEW).status_code == 200

    kept = sorted((site.project.root / "outbox" / "confirmations").glob("*.eml"))
    assert len(kept) == 2, kept
    links = {link_in(parse(path.read_bytes()), "/confirm") for path in kept}
    assert len(links) == 2, "two messages, each with its own link"


DKIM_SETTINGS = """
dkim_selector = "news2026"
dkim_domain = "example.org"
dkim_private_key = "${DKIM_KEY}"
"""


def _dkim_lookup(pem: str):
    """dkimpy's DNS lookup, answering for our selector only."""
    from support.deliverability import dns_record

    record = dns_record(pem).encode()

    def lookup(name: bytes, timeout: int = 5) -> bytes | None:
        return record if name == b"news2026._domainkey.example.org." else None

    return lookup


def test_a_confirmation_is_dkim_signed_with_the_list_s_key_as_editions_are(site, monkeypatch):
    import dkim

    from support.deliverability import rsa_key_pem

    pem = rsa_key_pem()
    monkeypatch.setenv("DKIM_KEY", pem)
    site.configure(DKIM_SETTINGS)
    site.start()
    with site.server.client() as browser:
        assert _sign_up(browser, NEW).status_code == 200

    [arrived] = site.mailbox.arrivals(NEW)
    signature = " ".join(arrived.message["DKIM-Signature"].split())
    assert "d=example.org" in signature and "s=news2026" in signature
    assert dkim.verify(arrived.raw, dnsfunc=_dkim_lookup(pem)), "the signature does not verify"
    assert not dkim.verify(arrived.raw.replace(b"Confirm", b"Confirn"), dnsfunc=_dkim_lookup(pem))


def test_a_sign_up_whose_mail_failed_in_any_way_can_be_tried_again(site):
    """Not only an SMTP error: here the project's own confirmation template names a value
    that does not exist. The reader is told to try later; once the template is fixed, the
    same address signs up again and its confirmation goes out."""
    template = site.project.root / "templates" / "email" / "confirm.txt"
    template.parent.mkdir(parents=True, exist_ok=True)
    template.write_text("Confirm here: {{ link }} ({{ no_such_value }})\n")
    site.start()
    with site.server.client() as browser:
        failed = _sign_up(browser, NEW)
        assert failed.status_code == 503
        assert "Please try again later" in failed.text
        assert _confirmations(site, NEW) == []

        template.write_text("Confirm here: {{ link }}\n")
        again = _sign_up(browser, NEW)

    assert again.status_code == 200 and "Check your inbox" in again.text
    [mail] = _confirmations(site, NEW)
    assert "Confirm here: " in mail.get_body(("plain",)).get_content()


def test_a_sign_up_whose_dkim_key_went_missing_can_be_tried_again(site, monkeypatch):
    """The DKIM key file gone (as while a key is rotated): the same, and the confirmation
    that goes out at last is signed."""
    from support.deliverability import rsa_key_pem

    monkeypatch.setenv("DKIM_KEY", "dkim.pem")  # relative to the project folder
    site.configure(DKIM_SETTINGS)
    site.start()
    with site.server.client() as browser:
        assert _sign_up(browser, NEW).status_code == 503
        (site.project.root / "dkim.pem").write_text(rsa_key_pem())
        again = _sign_up(browser, NEW)

    assert again.status_code == 200
    [mail] = _confirmations(site, NEW)
    assert mail["DKIM-Signature"] is not None
