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
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from publisher_email.webhooks import (
    WebhookRefused,
    confirm_subscription,
    land,
    mailgun_event,
    postmark_event,
    ses_notification,
)
from support.mail import READERS

TOPIC = "arn:aws:sns:eu-west-1:123456789012:ses-bounces"
CERT_URL = "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-0123.pem"
FIELDS = {
    "Notification": ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"],
    "SubscriptionConfirmation": [
        *("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"),
    ],
}


class Signer:
    """An RSA key and a self-signed certificate, as SNS's signing certificate."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")])
        now = datetime.now(UTC)
        self.pem = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=1))
            .sign(self.key, hashes.SHA256())
            .public_bytes(serialization.Encoding.PEM)
        )
        self.fetched: list[str] = []

    def fetch(self, url: str) -> bytes:
        self.fetched.append(url)
        return self.pem

    def sign(self, message: dict, version: str = "2") -> bytes:
        message = {**message, "SignatureVersion": version, "SigningCertURL": CERT_URL}
        text = "".join(
            f"{name}\n{message[name]}\n" for name in FIELDS[message["Type"]] if name in message
        )
        algorithm = hashes.SHA1() if version == "1" else hashes.SHA256()
        signature = self.key.sign(text.encode(), padding.PKCS1v15(), algorithm)
        message["Signature"] = base64.b64encode(signature).decode()
        return json.dumps(message).encode()


def notification(ses: dict, **changes) -> dict:
    return {
        "Type": "Notification",
        "MessageId": "5f6e2c8b-0000-4000-8000-000000000001",
        "TopicArn": TOPIC,
        "Message": json.dumps(ses),
        "Timestamp": "2026-11-30T08:00:00.000Z",
        **changes,
    }


BOUNCE = {
    "notificationType": "Bounce",
    "bounce": {
        "bounceType": "Permanent",
        "bounceSubType": "General",
        "feedbackId": "0100018c-feedback-1",
        "bouncedRecipients": [
            {"emailAddress": READERS[0], "status": "5.1.1", "diagnosticCode": "smtp; 550 unknown"}
        ],
    },
    "mail": {"messageId": "ses-1", "commonHeaders": {"messageId": "<abc@example.org>"}},
}
COMPLAINT = {
    "notificationType": "Complaint",
    "complaint": {
        "feedbackId": "0100018c-feedback-2",
        "complaintFeedbackType": "abuse",
        "complainedRecipients": [{"emailAddress": READERS[1]}],
    },
    "mail": {"messageId": "ses-2"},
}


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
