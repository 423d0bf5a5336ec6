"""Webhooks of email services: SES through SNS, Mailgun, Postmark; valid and forged requests.

The SNS messages are signed as AWS signs them, with a certificate the test
makes; the certificate "fetcher" hands it out for the URL the message names
and records every URL asked for, so a test can show that nothing is fetched
from a host that is not SNS's.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import pytest

from publisher_email.webhooks import (
    MAX_AGE,
    RecentTokens,
    WebhookRefused,
    WebhookUnreadable,
    confirm_subscription,
    land,
    mailgun_event,
    postmark_event,
    ses_notification,
)
from support import sns
from support.mail import READERS
from support.sns import TOPIC, notification

CERT_URL = "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-0123.pem"
BOUNCE = sns.ses_bounce(READERS[0])
COMPLAINT = sns.ses_complaint(READERS[1])


class Signer(sns.Signer):
    """SNS's signing key, its certificate served at CERT_URL (on SNS's own host)."""

    def sign(self, message: dict, version: str = "2", cert_url: str = CERT_URL) -> bytes:
        return super().sign(message, version, cert_url)


@pytest.fixture
def signer() -> Signer:
    return Signer()


@pytest.mark.parametrize("version", ["1", "2"])
def test_a_signed_ses_bounce_lands_with_the_same_rules_as_imap(newsletter, signer, version):
    body = signer.sign(notification(BOUNCE), version)

    read = ses_notification(body, topic_arns=[TOPIC], fetch=signer.fetch)

    assert signer.fetched == [CERT_URL]
    [event] = read.events
    assert (event.address, event.kind, event.source) == (READERS[0], "hard", "ses")
    destination = _destination(newsletter)
    recorded = land(destination, read.events)
    assert recorded.stopped == {READERS[0]: "bounced"}
    assert land(destination, read.events).repeated == 1  # SNS delivers twice: counted once
    assert newsletter.run("subscribers", "list", "--status", "bounced").out.split()[0] == READERS[0]


def test_a_signed_ses_complaint_makes_the_reader_complained(newsletter, signer):
    read = ses_notification(
        signer.sign(notification(COMPLAINT)), topic_arns=[TOPIC], fetch=signer.fetch
    )

    assert land(_destination(newsletter), read.events).stopped == {READERS[1]: "complained"}


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda body: body.replace(READERS[0].encode(), READERS[2].encode()), "does not match"),
        (
            lambda body: body.replace(b'"TopicArn": "arn', b'"TopicArn": "xarn'),
            "not in ses_topic_arns",
        ),
        (
            lambda body: body.replace(b'"SignatureVersion": "2"', b'"SignatureVersion": "3"'),
            "SignatureVersion",
        ),
    ],
    ids=["altered-recipient", "unknown-topic", "unknown-version"],
)
def test_a_forged_or_altered_sns_message_is_refused(signer, change, reason):
    body = change(signer.sign(notification(BOUNCE)))

    with pytest.raises(WebhookRefused, match=reason):
        ses_notification(body, topic_arns=[TOPIC], fetch=signer.fetch)


def test_a_message_signed_with_another_key_is_refused(signer):
    body = Signer().sign(notification(BOUNCE))  # a valid signature, by someone else's key

    with pytest.raises(WebhookRefused, match="does not match"):
        ses_notification(body, topic_arns=[TOPIC], fetch=signer.fetch)


@pytest.mark.parametrize(
    "url",
    [
        "http://sns.eu-west-1.amazonaws.com/cert.pem",
        "https://sns.eu-west-1.amazonaws.com.evil.example/cert.pem",
        "https://evil.example/sns.eu-west-1.amazonaws.com/cert.pem",
        "https://sns.eu-west-1.amazonaws.com:8443/cert.pem",
        "https://user@sns.eu-west-1.amazonaws.com/cert.pem",
    ],
)
def test_a_certificate_is_never_fetched_from_anywhere_but_sns(signer, url):
    body = signer.sign(notification(BOUNCE)).replace(CERT_URL.encode(), url.encode())

    with pytest.raises(WebhookRefused, match="not on https://sns"):
        ses_notification(body, topic_arns=[TOPIC], fetch=signer.fetch)
    assert signer.fetched == []


def test_a_subscription_is_confirmed_only_on_sns(signer):
    confirm = {
        "Type": "SubscriptionConfirmation",
        "MessageId": "m-3",
        "Token": "t0k3n",
        "TopicArn": TOPIC,
        "Message": "You have chosen to subscribe.",
        "SubscribeURL": "https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&Token=t",
        "Timestamp": "2026-11-30T08:00:00.000Z",
    }

    read = ses_notification(signer.sign(confirm), topic_arns=[TOPIC], fetch=signer.fetch)
    confirm_subscription(read.subscribe_url, fetch=signer.fetch)

    assert read.events == ()
    assert signer.fetched == [CERT_URL, confirm["SubscribeURL"]]
    with pytest.raises(WebhookRefused):
        confirm_subscription("https://evil.example/?Action=ConfirmSubscription", signer.fetch)


MAILGUN_KEY = "key-0123456789abcdef"


def mailgun_body(event: dict, key: str = MAILGUN_KEY, when: float | None = None) -> bytes:
    timestamp = str(int(time.time() if when is None else when))
    token = "f" * 50
    signature = hmac.new(key.encode(), (timestamp + token).encode(), hashlib.sha256).hexdigest()
    return json.dumps(
        {
            "signature": {"timestamp": timestamp, "token": token, "signature": signature},
            "event-data": event,
        }
    ).encode()


FAILED = {
    "id": "mg-event-1",
    "event": "failed",
    "severity": "permanent",
    "recipient": READERS[2],
    "delivery-status": {"code": 550, "message": "5.1.1 user unknown"},
    "message": {"headers": {"message-id": "abc@example.org"}},
}


def test_a_signed_mailgun_failure_is_a_hard_bounce(newsletter):
    [event] = mailgun_event(mailgun_body(FAILED), signing_key=MAILGUN_KEY)

    assert (event.address, event.kind, event.detail) == (
        READERS[2],
        "hard",
        "550 5.1.1 user unknown",
    )
    assert event.message_id == "<abc@example.org>"
    assert land(_destination(newsletter), [event]).stopped == {READERS[2]: "bounced"}
    complaint = {"id": "mg-2", "event": "complained", "recipient": READERS[1]}
    [event] = mailgun_event(mailgun_body(complaint), signing_key=MAILGUN_KEY)
    assert event.kind == "complaint"
    assert (
        mailgun_event(
            mailgun_body({"event": "delivered", "recipient": READERS[1]}), signing_key=MAILGUN_KEY
        )
        == []
    )


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (mailgun_body(FAILED, key="someone-elses-key"), "does not match"),
        (mailgun_body(FAILED, when=time.time() - 3600), "too old"),
        (mailgun_body(FAILED).replace(READERS[2].encode(), READERS[0].encode()), None),
    ],
    ids=["wrong-key", "replayed", "altered-recipient"],
)
def test_a_forged_mailgun_request_is_refused_or_changes_nothing(newsletter, body, reason):
    if reason is None:  # Mailgun signs only timestamp and token: the route must trust the key
        [event] = mailgun_event(body, signing_key=MAILGUN_KEY)
        assert event.address == READERS[0]
        return
    with pytest.raises(WebhookRefused, match=reason):
        mailgun_event(body, signing_key=MAILGUN_KEY)


def test_postmark_needs_its_login_and_reads_bounces_and_complaints(newsletter):
    login = "Basic " + base64.b64encode(b"publisher:hook-secret").decode()
    bounce = json.dumps(
        {
            "RecordType": "Bounce",
            "ID": 42,
            "Type": "HardBounce",
            "Email": READERS[0].upper(),
            "Description": "Unknown user",
        }
    ).encode()
    spam = json.dumps(
        {"RecordType": "SpamComplaint", "ID": 43, "Type": "SpamComplaint", "Email": READERS[1]}
    ).encode()

    with pytest.raises(WebhookRefused, match="login"):
        postmark_event(
            bounce,
            "Basic " + base64.b64encode(b"publisher:guess").decode(),
            credentials="publisher:hook-secret",
        )
    with pytest.raises(WebhookRefused, match="login"):
        postmark_event(bounce, None, credentials="publisher:hook-secret")
    events = postmark_event(bounce, login, credentials="publisher:hook-secret") + postmark_event(
        spam, login, credentials="publisher:hook-secret"
    )

    assert [(e.address, e.kind) for e in events] == [
        (READERS[0], "hard"),
        (READERS[1], "complaint"),
    ]
    assert land(_destination(newsletter), events).stopped == {
        READERS[0]: "bounced",
        READERS[1]: "complained",
    }


def _destination(project):
    from publisher.workspace import Workspace

    [destination] = [
        d for d in Workspace.open(project.config).destinations() if d.channel == "email"
    ]
    return destination


@pytest.mark.parametrize(
    "body", [b"not json", b"[1, 2]", b'{"a": ' * 100_000, "caf\xe9".encode("latin-1")]
)
def test_a_body_that_is_not_a_json_object_is_unreadable_not_forged(body):
    for read in (
        lambda: ses_notification(body, topic_arns=[TOPIC], fetch=Signer().fetch),
        lambda: mailgun_event(body, signing_key=MAILGUN_KEY),
    ):
        with pytest.raises(WebhookUnreadable):
            read()


def test_a_signed_sns_message_without_an_ses_notification_is_unreadable(signer):
    body = signer.sign(notification(BOUNCE) | {"Message": "plain words, not JSON"})

    with pytest.raises(WebhookUnreadable, match="does not carry an SES notification"):
        ses_notification(body, topic_arns=[TOPIC], fetch=signer.fetch)


def test_a_mailgun_token_is_accepted_once(newsletter):
    seen = RecentTokens()
    body = mailgun_body(FAILED)
    altered = body.replace(READERS[2].encode(), READERS[0].encode())  # the same signature

    mailgun_event(body, signing_key=MAILGUN_KEY, seen=seen)

    with pytest.raises(WebhookRefused, match="used already"):
        mailgun_event(altered, signing_key=MAILGUN_KEY, seen=seen)
    later = time.time() + MAX_AGE + 60  # its timestamp refuses it by then; the memory forgets it
    assert seen.first("another-token", later) and seen.first("f" * 50, later)


@pytest.mark.parametrize("value", ["evil.example:443", "10.0.0.1:8443", "127.0.0.1", "::1:x"])
def test_the_sns_stand_in_for_tests_can_only_be_on_this_machine(signer, monkeypatch, value):
    monkeypatch.setenv("PUBLISHER_SNS_HOST", value)
    body = signer.sign(notification(BOUNCE), cert_url="https://evil.example:443/cert.pem")

    with pytest.raises(WebhookRefused, match="must be a host on this machine"):
        ses_notification(body, topic_arns=[TOPIC], fetch=signer.fetch)
    assert signer.fetched == []
