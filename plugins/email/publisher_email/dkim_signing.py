"""DKIM signatures (RFC 6376, RFC 8463), one per copy, made after the copy is personalised.

dkimpy selects, canonicalizes and hashes the headers and lays out the
DKIM-Signature field, exactly as its own verifier expects. The private-key
operation is OpenSSL's (through `cryptography`): dkimpy's RSA is pure Python
and costs several milliseconds a copy, OpenSSL's a fraction of one. Headers
are canonicalized `relaxed`, the body `simple` (dkimpy's default): the body is
ours, quoted-printable with CRLF line ends, so nothing on the way rewrites it,
and hashing it as it is costs one SHA-256.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import time
from dataclasses import dataclass
from pathlib import Path

import dkim
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from dkim.canonicalization import CanonicalizationPolicy

# Signed when present, in this order; an absent one is left out of h=.
SIGNED_HEADERS = (
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
)
_SIGNED = tuple(name.lower().encode("ascii") for name in SIGNED_HEADERS)
_POLICY = CanonicalizationPolicy.from_c_value(b"relaxed/simple")
_NAME = b"DKIM-Signature"
_SEED_BYTES = 32  # an Ed25519 private key as dkimpy's dknewkey writes it: base64 of 32 bytes


@dataclass(frozen=True)
class DkimKey:
    """A private key for DKIM: RSA (1024 bits or more) or Ed25519."""

    private: rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey

    @classmethod
    def load(cls, value: str, root: Path) -> DkimKey:
        """From PEM text (PKCS#1 or PKCS#8), or from a file holding it (a path, relative to
        the project folder), or dknewkey's base64 Ed25519 seed. ValueError says what is wrong
        and never repeats the key."""
        text = value.replace("\\n", "\n").strip()
        if "-----BEGIN" not in text and not _looks_like_seed(text):
            path = Path(text).expanduser()
            path = path if path.is_absolute() else root / path
            try:
                text = path.read_text("ascii").strip()
            except (OSError, UnicodeDecodeError) as error:
                reason = getattr(error, "strerror", None) or "not a text file"
                raise ValueError(f"neither a PEM key nor a readable key file ({reason})") from None
        if _looks_like_seed(text):
            seed = base64.b64decode(text)
            return cls(ed25519.Ed25519PrivateKey.from_private_bytes(seed))
        try:
            private = serialization.load_pem_private_key(text.encode("ascii"), password=None)
        except (ValueError, TypeError, UnsupportedAlgorithm):
            raise ValueError(
                "not an unencrypted PEM private key (RSA or Ed25519, PKCS#1 or PKCS#8)"
            ) from None
        if isinstance(private, rsa.RSAPrivateKey):
            if private.key_size < 1024:
                raise ValueError(f"an RSA key of {private.key_size} bits; DKIM needs 1024 or more")
            return cls(private)
        if isinstance(private, ed25519.Ed25519PrivateKey):
            return cls(private)
        raise ValueError("DKIM signs with RSA or Ed25519 keys only")

    @property
    def kind(self) -> str:
        return "rsa" if isinstance(self.private, rsa.RSAPrivateKey) else "ed25519"

    @property
    def algorithm(self) -> bytes:
        return b"rsa-sha256" if self.kind == "rsa" else b"ed25519-sha256"

    def public_value(self) -> str:
        """The p= of the DNS record: SubjectPublicKeyInfo (RSA) or the raw key (Ed25519)."""
        public = self.private.public_key()
        if isinstance(public, rsa.RSAPublicKey):
            data = public.public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        else:
            data = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return base64.b64encode(data).decode("ascii")

    def dns_record(self) -> str:
        """The TXT record to publish at SELECTOR._domainkey.DOMAIN."""
        return f"v=DKIM1; k={self.kind}; p={self.public_value()}"

    def sign_digest(self, digest: bytes) -> bytes:
        if isinstance(self.private, rsa.RSAPrivateKey):
            return self.private.sign(digest, padding.PKCS1v15(), Prehashed(hashes.SHA256()))
        return self.private.sign(digest)  # RFC 8463: Ed25519 over the SHA-256 of the headers


def _looks_like_seed(text: str) -> bool:
    try:
        return len(base64.b64decode(text, validate=True)) == _SEED_BYTES
    except (binascii.Error, ValueError):
        return False


class DkimSigner:
    """Signs copies for one selector and domain with one key."""

    def __init__(self, selector: str, domain: str, key: DkimKey) -> None:
        self.selector = selector
        self.domain = domain
        self.key = key
        self._fixed = [
            (b"v", b"1"),
            (b"a", key.algorithm),
            (b"c", b"relaxed/simple"),
            (b"d", domain.encode("ascii")),
            (b"q", b"dns/txt"),
            (b"s", selector.encode("ascii")),
        ]

    def sign(self, message: bytes, now: float | None = None) -> bytes:
        """The DKIM-Signature header field (ending in CRLF) to put before `message`'s headers.

        `message` has CRLF line ends, as every copy has.
        """
        end = message.index(b"\r\n\r\n") + 4
        headers, _ = dkim.rfc822_parse(message[:end])
        present = {name.lower() for name, _ in headers}
        signed = [name for name in _SIGNED if name in present]
        body_hash = hashlib.sha256(_POLICY.canonicalize_body(message[end:])).digest()
        fields = [
            *self._fixed,
            (b"t", str(int(time.time() if now is None else now)).encode()),
            (b"h", b" : ".join(signed)),  # spaces, so that folding never splits a name
            (b"bh", base64.b64encode(body_hash)),
            (b"b", b"0" * 60),  # stands in for the signature while the header is hashed
        ]
        unsigned = dkim.fold(b"; ".join(b"=".join(f) for f in fields), namelen=len(_NAME))
        hasher = hashlib.sha256()
        dkim.hash_headers(
            hasher,
            _POLICY,
            _POLICY.canonicalize_headers(headers),
            signed,
            (_NAME, b" " + dkim.RE_BTAG.sub(b"\\1", unsigned)),
            None,
        )
        fields[-1] = (b"b", base64.b64encode(self.key.sign_digest(hasher.digest())))
        value = b"; ".join(b"=".join(f) for f in fields) + b"\r\n"
        return _NAME + b": " + dkim.fold(value, namelen=len(_NAME))
