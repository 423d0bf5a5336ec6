"""What DKIM and VERP add to each copy of a newsletter, against the unsigned copy.

    .venv/bin/python bench/dkim_cost.py

Prints the cost per copy of: the unsigned copy (the baseline), the copy
signed with RSA-2048 and with Ed25519 as Publisher signs it (dkimpy's
canonicalization, OpenSSL's key operation), the copy signed by dkimpy's own
`dkim.sign` (its pure-Python RSA: what OpenSSL saves), and a VERP return path.
Figures vary with the machine; the ratios are what BENCHMARKS.md records.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import dkim
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from publisher import Secret
from publisher.edition import single
from publisher.testing import hard_stories, make_destination
from publisher_email.channel import EmailChannel
from publisher_email.dkim_signing import SIGNED_HEADERS, DkimKey, DkimSigner
from publisher_email.letter import Letter, message_id
from publisher_email.recipients import Recipient
from publisher_email.render import render_email
from publisher_email.tokens import SigningKey
from publisher_email.verp import ReturnPaths, Verp

COPIES = 200
REPEATS = 5


def best(work: Callable[[], object], repeats: int = REPEATS) -> float:
    """The fastest of several runs, in seconds: the least disturbed by the rest of the machine."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def pem(private: rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey) -> str:
    return private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        measure(Path(folder))


def measure(folder: Path) -> None:
    settings = {"channel": "email", "from": "News <news@example.org>", "smtp": "outbox:out"}
    destination = make_destination(EmailChannel, settings, folder)
    part, _ = render_email(single(hard_stories()["long-answer"]), destination)
    addresses = [f"reader{n}@example.org" for n in range(COPIES)]
    rsa_pem = pem(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    signers = {
        "RSA-2048": DkimSigner("news", "example.org", DkimKey.load(rsa_pem, Path())),
        "Ed25519": DkimSigner(
            "news", "example.org", DkimKey.load(pem(ed25519.Ed25519PrivateKey.generate()), Path())
        ),
    }

    def copies(signer: DkimSigner | None) -> Callable[[], None]:
        def run() -> None:
            letter = Letter(part, seed="bench", signer=signer)
            for address in addresses:
                letter.copy(address, message_id("bench", address, letter.sender), "token")

        return run

    unsigned_letter = Letter(part, seed="bench")
    unsigned_copies = [
        unsigned_letter.copy(a, message_id("bench", a, "news@example.org"), "t") for a in addresses
    ]
    headers = [name.encode() for name in SIGNED_HEADERS]

    def dkimpy_sign() -> None:
        for copy in unsigned_copies[:20]:
            dkim.sign(copy, b"news", b"example.org", rsa_pem.encode(), include_headers=headers)

    verp = Verp("bounces@example.org", SigningKey(Secret("bench-signing-key")), "newsletter")
    paths = ReturnPaths(verp, send_id=7)
    recipients = [Recipient(a, "t", n) for n, a in enumerate(addresses, 1)]

    def return_paths() -> None:
        for recipient in recipients:  # each carries its subscriber's number, as a send's do
            paths.for_address(recipient)

    baseline = best(copies(None)) / COPIES
    size = len(unsigned_copies[0]) // 1000
    print(f"per copy of a {size} KB newsletter ({COPIES} copies, best of {REPEATS}):")
    print(f"{'unsigned copy (baseline)':<36} {baseline * 1e3:8.3f} ms")
    for name, signer in signers.items():
        cost = best(copies(signer)) / COPIES
        print(
            f"{'signed, ' + name:<36} {cost * 1e3:8.3f} ms   "
            f"{cost / baseline:5.1f}x the unsigned copy, +{(cost - baseline) * 1e3:.3f} ms"
        )
    ours = best(copies(signers["RSA-2048"])) / COPIES
    pure = best(dkimpy_sign, 2) / 20 + baseline
    print(
        f"{'signed, RSA-2048 by dkim.sign alone':<36} {pure * 1e3:8.3f} ms   "
        f"{pure / ours:5.1f}x ours"
    )
    lookup = best(return_paths) / COPIES
    print(f"{'VERP return path':<36} {lookup * 1e3:8.3f} ms")


if __name__ == "__main__":
    main()
