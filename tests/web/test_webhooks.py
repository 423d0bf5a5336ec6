"""Bounce and complaint webhooks of SES (through SNS), Mailgun and Postmark, over real HTTP.

`publisher serve` answers on 127.0.0.1 as the services would reach it; the SNS messages
are signed with a certificate the test makes, which the server fetches for real, over
HTTPS, from a stand-in for sns.<region>.amazonaws.com (support/sns.py says why it must be
one). What a user sees is checked: the answer's status, and `publisher subscribers list`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import text
from web.conftest import ARCHIVE_URL

from publisher.workspace import Workspace
from support import sns
from support.mail import READERS
from support.sns import TOPIC, Signer, SnsStandIn, notification
from support.web import free_port

MAILGUN_KEY = "mailgun-signing-key-0123456789"
POSTMARK_LOGIN = ("postmark", "hook-secret-4242")
WEBHOOKS = f"""{ARCHIVE_URL}
ses_topic_arns = ["{TOPIC}"]
mailgun_signing_key = "${{MAILGUN_WEBHOOK_KEY}}"
postmark_webhook_auth = "${{POSTMARK_WEBHOOK_AUTH}}"
{{more}}
[destinations.letters]
channel = "email"
from = "Letters <letters@example.org>"
smtp = "outbox:letters"
"""
LIMIT = 1_000_000  # bytes a webhook may send (a form: 64 KB)


@pytest.fixture
def stand_in(tmp_path, monkeypatch) -> Iterator[SnsStandIn]:
    """SNS's certificate host, on 127.0.0.1 over HTTPS, as the server is told to trust it."""
    server = SnsStandIn(tmp_path / "sns").start()
    monkeypatch.setenv("PUBLISHER_SNS_HOST", server.host)
    monkeypatch.setenv("SSL_CERT_FILE", str(server.ca_file))
    yield server
    server.stop()


@pytest.fixture
def hooks(site, stand_in, monkeypatch):
    return serve(site, monkeypatch)


def serve(site, monkeypatch, more: str = ""):
    monkeypatch.setenv("MAILGUN_WEBHOOK_KEY", MAILGUN_KEY)
    monkeypatch.setenv("POSTMARK_WEBHOOK_AUTH", ":".join(POSTMARK_LOGIN))
    site.configure(WEBHOOKS.replace("{more}", more))
    return site.start()


def listed(project, status: str) -> list[str]:
    result = project.run("subscribers", "list", "--to", "newsletter", "--status", status)
    assert result.code == 0, result.err
    return [line.split()[0] for line in result.out.splitlines()]


def post(site, path: str, body: bytes, **headers: str) -> httpx.Response:
    with site.server.client() as service:
        return service.post(path, content=body, headers=headers)


# Amazon SES, through SNS -----------------------------------------------------------------


def sns_post(site, body: bytes, kind: str = "Notification") -> httpx.Response:
    """As SNS posts: text/plain JSON, the message type in a header, no cookie."""
    return post(
        site,
        "/webhooks/ses/newsletter",
        body,
        **{"Content-Type": "text/plain; charset=UTF-8", "x-amz-sns-message-type": kind},
    )


def test_a_signed_ses_bounce_stops_mail_to_the_address(hooks, stand_in):
    signer = Signer()
    cert_url = stand_in.publish(signer)
    body = signer.sign(notification(sns.ses_bounce(READERS[0])), cert_url=cert_url)

    answer = sns_post(hooks, body)

    assert answer.status_code == 200, answer.text
    assert answer.text == "recorded: 1 new, 0 repeated, 0 not on the list\n"
    assert stand_in.requests == [cert_url.removeprefix(f"https://{stand_in.host}")]
    assert listed(hooks.project, "bounced") == [READERS[0]]
    assert listed(hooks.project, "active") == READERS[1:]


def test_a_signed_ses_complaint_makes_the_reader_complained(hooks, stand_in):
    signer = Signer()
    body = signer.sign(
        notification(sns.ses_complaint(READERS[1])), version="1", cert_url=stand_in.publish(signer)
    )

    assert sns_post(hooks, body).status_code == 200
    assert listed(hooks.project, "complained") == [READERS[1]]


def test_a_replayed_ses_notification_changes_nothing(site, stand_in, monkeypatch):
    hooks = serve(site, monkeypatch, "hard_bounce_limit = 2")
    signer = Signer()
    cert_url = stand_in.publish(signer)
    first = signer.sign(notification(sns.ses_bounce(READERS[0])), cert_url=cert_url)

    assert sns_post(hooks, first).text.startswith("recorded: 1 new, 0 repeated")
    replayed = sns_post(hooks, first)

    assert replayed.status_code == 200
    assert replayed.text.startswith("recorded: 0 new, 1 repeated")
    assert READERS[0] in listed(hooks.project, "active"), "the same bounce counts once"
    second = notification(sns.ses_bounce(READERS[0], feedback="feedback-2"), message_id="m-2")
    assert sns_post(hooks, signer.sign(second, cert_url=cert_url)).status_code == 200
    assert listed(hooks.project, "bounced") == [READERS[0]], "a second bounce does count"


@pytest.mark.parametrize(
    "forge",
    [
        lambda body: body.replace(READERS[0].encode(), READERS[2].encode()),
        lambda body: body.replace(TOPIC.encode(), TOPIC.replace("123456789012", "666").encode()),
    ],
    ids=["altered-recipient", "someone-elses-topic"],
)
def test_a_forged_sns_message_is_refused_and_changes_nothing(hooks, stand_in, forge):
    signer = Signer()
    body = forge(
        signer.sign(notification(sns.ses_bounce(READERS[0])), cert_url=stand_in.publish(signer))
    )

    answer = sns_post(hooks, body)

    assert answer.status_code == 403
    assert "Traceback" not in answer.text
    assert listed(hooks.project, "bounced") == []
    assert listed(hooks.project, "active") == READERS


def test_a_message_signed_with_a_key_that_is_not_snss_is_refused(hooks, stand_in):
    served = stand_in.publish(Signer())  # the certificate SNS serves
    body = Signer().sign(notification(sns.ses_bounce(READERS[0])), cert_url=served)

    assert sns_post(hooks, body).status_code == 403
    assert listed(hooks.project, "bounced") == []


def test_a_certificate_sns_does_not_have_is_refused(hooks, stand_in):
    signer = Signer()
    missing = stand_in.publish(signer).replace(".pem", "-gone.pem")
    body = signer.sign(notification(sns.ses_bounce(READERS[0])), cert_url=missing)

    assert sns_post(hooks, body).status_code == 403
    assert listed(hooks.project, "active") == READERS


def test_a_certificate_elsewhere_than_sns_is_never_fetched(hooks, stand_in):
    elsewhere = SnsStandIn(stand_in.ca_file.parent / "elsewhere").start()
    try:
        signer = Signer()
        body = signer.sign(
            notification(sns.ses_bounce(READERS[0])), cert_url=elsewhere.publish(signer)
        )

        answer = sns_post(hooks, body)
    finally:
        elsewhere.stop()
    assert answer.status_code == 403
    assert elsewhere.requests == [] and stand_in.requests == []


def test_a_redirect_from_sns_is_not_followed(hooks, stand_in):
    elsewhere = SnsStandIn(stand_in.ca_file.parent / "elsewhere").start()
    try:
        signer = Signer()
        stand_in.redirects["/moved.pem"] = elsewhere.publish(signer)
        cert_url = f"https://{stand_in.host}/moved.pem"
        body = signer.sign(notification(sns.ses_bounce(READERS[0])), cert_url=cert_url)

        answer = sns_post(hooks, body)
    finally:
        elsewhere.stop()
    assert answer.status_code == 403
    assert stand_in.requests == ["/moved.pem"] and elsewhere.requests == []


def test_a_subscription_is_confirmed_by_visiting_its_subscribe_url(hooks, stand_in):
    signer = Signer()
    confirm = {
        "Type": "SubscriptionConfirmation",
        "MessageId": "165545c9-2a5c-472c-8df2-7ff2be2b3b1b",
        "Token": "2336412f37fb687f5d51e6e2425f004aed",
        "TopicArn": TOPIC,
        "Message": f"You have chosen to subscribe to the topic {TOPIC}.",
        "SubscribeURL": stand_in.subscribe_url("2336412f37fb687f5d51e6e2425f004aed"),
        "Timestamp": "2026-11-30T08:00:00.000Z",
    }
    cert_url = stand_in.publish(signer)

    answer = sns_post(hooks, signer.sign(confirm, cert_url=cert_url), "SubscriptionConfirmation")

    assert (answer.status_code, answer.text) == (200, "subscription confirmed\n")
    host = f"https://{stand_in.host}"
    assert stand_in.requests == [
        cert_url.removeprefix(host),
        confirm["SubscribeURL"].removeprefix(host),
    ]


def test_a_subscribe_url_elsewhere_than_sns_is_never_visited(hooks, stand_in):
    elsewhere = SnsStandIn(stand_in.ca_file.parent / "elsewhere").start()
    signer = Signer()
    confirm = {
        "Type": "SubscriptionConfirmation",
        "MessageId": "m-4",
        "Token": "t0k3n",
        "TopicArn": TOPIC,
        "Message": "You have chosen to subscribe.",
        "SubscribeURL": elsewhere.subscribe_url("t0k3n"),
        "Timestamp": "2026-11-30T08:00:00.000Z",
    }
    try:
        answer = sns_post(
            hooks,
            signer.sign(confirm, cert_url=stand_in.publish(signer)),
            "SubscriptionConfirmation",
        )
    finally:
        elsewhere.stop()
    assert answer.status_code == 403
    assert elsewhere.requests == []


def test_fetching_the_certificate_does_not_hold_up_other_pages(hooks, stand_in):
    signer = Signer()
    body = signer.sign(notification(sns.ses_bounce(READERS[0])), cert_url=stand_in.publish(signer))
    stand_in.hold()
    answers: list[httpx.Response] = []
    webhook = threading.Thread(target=lambda: answers.append(sns_post(hooks, body)))
    webhook.start()
    try:
        assert stand_in.asked.wait(30), "the server asked for the certificate"
        with hooks.server.client() as proxy:
            meanwhile = proxy.get("/healthz", timeout=10)
        assert meanwhile.status_code == 200, "answered while the certificate is on its way"
        assert answers == []
    finally:
        stand_in.release()
        webhook.join(30)
    assert answers[0].status_code == 200
    assert listed(hooks.project, "bounced") == [READERS[0]]


def test_sns_out_of_reach_is_answered_503_so_sns_sends_again(site, stand_in, monkeypatch):
    hooks = serve(site, monkeypatch)
    closed = f"127.0.0.1:{free_port()}"
    monkeypatch.setenv("PUBLISHER_SNS_HOST", closed)
    signer = Signer()
    body = signer.sign(notification(sns.ses_bounce(READERS[0])), cert_url=f"https://{closed}/c.pem")

    answer = sns_post(hooks, body)

    assert answer.status_code == 503
    assert "Traceback" not in answer.text
    assert listed(hooks.project, "active") == READERS


@pytest.mark.parametrize("body", [b"", b"not json", b"[]", b'{"Type": ' * 50_000])
def test_an_unreadable_body_is_answered_400(hooks, body):
    answer = sns_post(hooks, body)

    assert answer.status_code == 400
    assert "Traceback" not in answer.text


def test_a_webhook_takes_what_sns_sends_and_no_more(hooks, stand_in):
    signer = Signer()
    many = sns.ses_bounce(READERS[0])
    # A bounce with its original headers and a long diagnostic: SNS carries up to 256 KiB.
    many["mail"]["headers"] = [{"name": f"X-Header-{n}", "value": "v" * 200} for n in range(1100)]
    body = signer.sign(notification(many), cert_url=stand_in.publish(signer))
    assert 256 * 1024 < len(body) < LIMIT

    assert sns_post(hooks, body).status_code == 200
    assert sns_post(hooks, b"{" + b" " * LIMIT + b"}").status_code == 413
    with hooks.server.client() as browser:  # the forms keep the site's 64 KB
        page = browser.get("/subscribe")
        token = page.cookies.get("publisher_csrf")
        form = browser.post("/subscribe", data={"csrf_token": token, "email": "a" * 70_000})
    assert form.status_code == 413


# Mailgun ------------------------------------------------------------------------------


def mailgun_body(event: dict, key: str = MAILGUN_KEY, when: float | None = None) -> bytes:
    timestamp = str(int(time.time() if when is None else when))
    token = secrets.token_hex(25)
    signature = hmac.new(key.encode(), (timestamp + token).encode(), hashlib.sha256).hexdigest()
    return json.dumps(
        {
            "signature": {"timestamp": timestamp, "token": token, "signature": signature},
            "event-data": event,
        }
    ).encode()


def mailgun_failure(address: str, event_id: str = "mg-event-1") -> dict:
    return {
        "id": event_id,
        "event": "failed",
        "severity": "permanent",
        "recipient": address,
        "delivery-status": {"code": 550, "message": "5.1.1 user unknown"},
    }


def mailgun_post(site, body: bytes) -> httpx.Response:
    return post(site, "/webhooks/mailgun/newsletter", body, **{"Content-Type": "application/json"})


def test_a_signed_mailgun_failure_and_complaint_stop_mail(hooks):
    failed = mailgun_post(hooks, mailgun_body(mailgun_failure(READERS[0])))
    complained = mailgun_post(
        hooks, mailgun_body({"id": "mg-2", "event": "complained", "recipient": READERS[1]})
    )

    assert (failed.status_code, complained.status_code) == (200, 200)
    assert listed(hooks.project, "bounced") == [READERS[0]]
    assert listed(hooks.project, "complained") == [READERS[1]]


@pytest.mark.parametrize(
    "body",
    [
        mailgun_body(mailgun_failure(READERS[0]), key="someone-elses-key"),
        mailgun_body(mailgun_failure(READERS[0]), when=time.time() - 3600),
    ],
    ids=["forged", "stale-timestamp"],
)
def test_a_forged_or_stale_mailgun_request_is_refused(hooks, body):
    answer = mailgun_post(hooks, body)

    assert answer.status_code == 403
    assert listed(hooks.project, "active") == READERS


def _mailgun_signed_as(signature: dict) -> bytes:
    return json.dumps({"signature": signature, "event-data": mailgun_failure(READERS[0])}).encode()


@pytest.mark.parametrize(
    "signature",
    [
        {"timestamp": "1", "token": "t", "signature": "é" * 64},
        {"timestamp": "1", "token": "\ud800", "signature": "0" * 64},
        {"timestamp": "1", "token": "t", "signature": "\udcff"},
    ],
    ids=["non-ascii-signature", "lone-surrogate-token", "lone-surrogate-signature"],
)
def test_a_mailgun_signature_that_is_not_ascii_is_refused_cleanly(hooks, signature):
    answer = mailgun_post(hooks, _mailgun_signed_as(signature))

    assert answer.status_code == 403
    assert "Traceback" not in answer.text
    assert listed(hooks.project, "active") == READERS


def test_a_replayed_mailgun_request_changes_nothing(site, stand_in, monkeypatch):
    hooks = serve(site, monkeypatch, "hard_bounce_limit = 2")
    captured = mailgun_body(mailgun_failure(READERS[0]))
    assert mailgun_post(hooks, captured).status_code == 200

    again = mailgun_post(hooks, captured)
    altered = mailgun_post(hooks, captured.replace(b"mg-event-1", b"mg-event-9"))
    retried = mailgun_post(hooks, mailgun_body(mailgun_failure(READERS[0])))  # signed anew

    assert (again.status_code, altered.status_code) == (403, 403), "its token was used"
    assert retried.status_code == 200
    assert retried.text.startswith("recorded: 0 new, 1 repeated"), "the same event id"
    assert READERS[0] in listed(hooks.project, "active")


# Postmark -----------------------------------------------------------------------------


def postmark_post(site, record: dict, login: tuple[str, str] | None = POSTMARK_LOGIN):
    """As Postmark posts to https://user:password@host/...: basic auth from the URL."""
    userinfo = f"{login[0]}:{login[1]}@" if login else ""
    url = site.url.replace("http://", f"http://{userinfo}") + "/webhooks/postmark/newsletter"
    return httpx.post(url, content=json.dumps(record).encode(), timeout=30)


def bounce_record(address: str, record_id: int = 42) -> dict:
    return {
        "RecordType": "Bounce",
        "ID": record_id,
        "Type": "HardBounce",
        "TypeCode": 1,
        "Email": address,
        "Description": "The server was unable to deliver your message.",
        "MessageStream": "broadcast",
    }


def test_postmark_with_its_login_stops_mail(hooks):
    bounced = postmark_post(hooks, bounce_record(READERS[0]))
    spam = {"RecordType": "SpamComplaint", "ID": 43, "Type": "SpamComplaint", "Email": READERS[1]}
    complained = postmark_post(hooks, spam)
    replayed = postmark_post(hooks, bounce_record(READERS[0]))

    assert (bounced.status_code, complained.status_code, replayed.status_code) == (200, 200, 200)
    assert replayed.text.startswith("recorded: 0 new, 1 repeated")
    assert listed(hooks.project, "bounced") == [READERS[0]]
    assert listed(hooks.project, "complained") == [READERS[1]]


def test_a_webhook_s_details_are_kept_as_one_inert_line(hooks):
    record = bounce_record(READERS[0])
    record["Description"] = "mailbox gone\x1b]52;c;cm0gLXJmIH4=\x07\r\n\x1b[2J for good"

    assert postmark_post(hooks, record).status_code == 200

    engine = Workspace.open(hooks.project.config).state.engine
    with engine.begin() as db:
        details = db.scalars(text("SELECT detail FROM email_bounces")).all()
    assert details == ["HardBounce: mailbox gone]52;c;cm0gLXJmIH4= [2J for good"]


def test_postmark_without_the_right_login_is_refused(hooks):
    guessed = postmark_post(hooks, bounce_record(READERS[0]), ("postmark", "guess"))
    anonymous = postmark_post(hooks, bounce_record(READERS[0]), None)

    assert guessed.status_code == 403
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"].startswith("Basic ")
    assert listed(hooks.project, "active") == READERS


# Addresses ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/webhooks/ses/nosuch",
        "/webhooks/mailgun/letters",  # an email list that set up no webhooks
        "/webhooks/postmark/letters",
        "/webhooks/sendgrid/newsletter",
    ],
)
def test_a_webhook_nobody_set_up_is_like_any_unknown_page(hooks, path):
    with hooks.server.client() as stranger:
        unknown = stranger.post("/nowhere", content=b"{}")
        answer = stranger.post(path, content=b"{}", auth=POSTMARK_LOGIN)

    assert answer.status_code == 404
    assert answer.text == unknown.text


def test_a_webhook_answers_only_posts(hooks):
    with hooks.server.client() as browser:
        answer = browser.get("/webhooks/ses/newsletter")
    assert answer.status_code == 405
    assert "Traceback" not in answer.text
