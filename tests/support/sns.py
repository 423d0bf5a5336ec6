"""Amazon SNS as the webhook tests meet it: messages signed as SNS signs them, with a
certificate the test makes, and a stand-in for sns.<region>.amazonaws.com on 127.0.0.1.

The stand-in serves the signing certificates and answers SubscribeURLs over real HTTPS (its
own CA, in a file for OpenSSL's `SSL_CERT_FILE`), and records what it was asked for. SNS's
hosts cannot be reached from a test, nor made to resolve to 127.0.0.1, so `publisher serve`
is told to fetch from this host instead (`PUBLISHER_SNS_HOST`, loopback only): its real fetch
runs, TLS checks included, and nothing of ours is patched.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import ssl
import threading
import uuid
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

TOPIC = "arn:aws:sns:eu-west-1:123456789012:ses-bounces"
# The fields SNS signs, in its order, for each message type.
FIELDS = {
    "Notification": ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"],
    "SubscriptionConfirmation": [
        *("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"),
    ],
}


def _certificate(subject: str, key, issuer_name: str, issuer_key, **extensions) -> x509.Certificate:
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer_name)]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
    )
    for extension, critical in extensions.values():
        builder = builder.add_extension(extension, critical=critical)
    return builder.sign(issuer_key, hashes.SHA256())


def _pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


class Signer:
    """An RSA key and a self-signed certificate, as SNS's signing certificate."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = "sns.amazonaws.com"
        self.pem = _pem(_certificate(name, self.key, name, self.key))
        self.fetched: list[str] = []

    def fetch(self, url: str) -> bytes:
        self.fetched.append(url)
        return self.pem

    def sign(self, message: dict, version: str = "2", cert_url: str = "") -> bytes:
        message = {**message, "SignatureVersion": version, "SigningCertURL": cert_url}
        text = "".join(
            f"{name}\n{message[name]}\n" for name in FIELDS[message["Type"]] if name in message
        )
        algorithm = hashes.SHA1() if version == "1" else hashes.SHA256()
        signature = self.key.sign(text.encode(), padding.PKCS1v15(), algorithm)
        message["Signature"] = base64.b64encode(signature).decode()
        return json.dumps(message).encode()


def notification(ses: dict, message_id: str = "5f6e2c8b-0000-4000-8000-000000000001") -> dict:
    """An SNS notification carrying an SES event, before it is signed."""
    return {
        "Type": "Notification",
        "MessageId": message_id,
        "TopicArn": TOPIC,
        "Message": json.dumps(ses),
        "Timestamp": "2026-11-30T08:00:00.000Z",
    }


def ses_bounce(address: str, feedback: str = "0100018c-feedback-1") -> dict:
    return {
        "notificationType": "Bounce",
        "bounce": {
            "bounceType": "Permanent",
            "bounceSubType": "General",
            "feedbackId": feedback,
            "bouncedRecipients": [
                {"emailAddress": address, "status": "5.1.1", "diagnosticCode": "smtp; 550 unknown"}
            ],
        },
        "mail": {"messageId": "ses-1", "commonHeaders": {"messageId": "<abc@example.org>"}},
    }


def ses_complaint(address: str, feedback: str = "0100018c-feedback-2") -> dict:
    return {
        "notificationType": "Complaint",
        "complaint": {
            "feedbackId": feedback,
            "complaintFeedbackType": "abuse",
            "complainedRecipients": [{"emailAddress": address}],
        },
        "mail": {"messageId": "ses-2"},
    }


class SnsStandIn:
    """An HTTPS server on 127.0.0.1 that hands out signing certificates and takes
    subscription confirmations, as SNS does; `requests` is every path it was asked for.

    `hold()` makes certificate requests wait until `release()`, to show what the server
    under test does meanwhile.
    """

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        ca = _certificate(
            "Test SNS CA",
            ca_key,
            "Test SNS CA",
            ca_key,
            basic=(x509.BasicConstraints(ca=True, path_length=None), True),
        )
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        served = _certificate(
            "127.0.0.1",
            key,
            "Test SNS CA",
            ca_key,
            names=(
                x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                False,
            ),
        )
        self.ca_file = folder / "ca.pem"
        self.ca_file.write_bytes(_pem(ca))
        chain, key_file = folder / "server.pem", folder / "server.key"
        chain.write_bytes(_pem(served))
        key_file.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(chain, key_file)
        self.certificates: dict[str, bytes] = {}
        self.redirects: dict[str, str] = {}  # path -> where it sends the client
        self.requests: list[str] = []
        self.asked = threading.Event()
        self._open = threading.Event()
        self._open.set()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self.host = f"127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> SnsStandIn:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._open.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(10)

    def publish(self, signer: Signer) -> str:
        """Serve `signer`'s certificate at a path of its own; its URL, for SigningCertURL."""
        path = f"/SimpleNotificationService-{uuid.uuid4().hex}.pem"
        self.certificates[path] = signer.pem
        return f"https://{self.host}{path}"

    def subscribe_url(self, token: str) -> str:
        return f"https://{self.host}/?Action=ConfirmSubscription&TopicArn={TOPIC}&Token={token}"

    def hold(self) -> None:
        self._open.clear()

    def release(self) -> None:
        self._open.set()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                stand_in.requests.append(self.path)
                if self.path in stand_in.certificates:
                    stand_in.asked.set()
                    stand_in._open.wait(30)
                    self._answer(200, stand_in.certificates[self.path], "application/x-pem-file")
                elif self.path in stand_in.redirects:
                    self.send_response(302)
                    self.send_header("Location", stand_in.redirects[self.path])
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                elif self.path.startswith("/?Action=ConfirmSubscription&"):
                    self._answer(200, b"<ConfirmSubscriptionResponse/>", "text/xml")
                else:
                    self._answer(404, b"not here", "text/plain")

            def _answer(self, status: int, body: bytes, kind: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        return Handler
