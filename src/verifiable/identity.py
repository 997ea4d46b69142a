"""Ed25519 identities of schedulers and providers, and domain-separated signatures.

Every signature in the protocol is an Ed25519 signature (RFC 8032, pure
Ed25519, as implemented by libsodium through PyNaCl) over a *signing input*
that names what is being signed::

    signing_input(domain, message) = b"verifiable/" || domain || 0x00 || message

``domain`` is 1 to 64 bytes of visible ASCII (0x21 to 0x7E, so no NUL, no
space, no control byte), conventionally ``<what>/v<version>``, for example
``b"commitment/v1"``. Since the domain holds no NUL, the first NUL of a signing
input ends the domain: two different (domain, message) pairs never give the
same signing input, so a signature made for one kind of message can never be
presented as a signature of another kind.

Keys are plain ``bytes``: a public key is the 32-byte Ed25519 encoding; a
signature is the 64-byte ``R || S`` encoding. :func:`verify_signature` relies on
libsodium's strict verification, which refuses a non-canonical ``S``
(``S >= L``), a small-order or non-canonical public key and a small-order
``R``.

The key file written by :meth:`Identity.save` is three ASCII lines::

    verifiable-ed25519-identity-v1
    seed <64 lowercase hex digits: the 32-byte Ed25519 secret seed>
    public-key <64 lowercase hex digits: the public key derived from the seed>

each ended by ``\\n``. :meth:`Identity.load` refuses anything else (and a
public key that does not match the seed), and refuses a file that the group or
others may read or write.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import stat
from collections.abc import Callable
from typing import Any

import nacl.exceptions
import nacl.signing

from ._buffers import as_bytes
from .exceptions import InvalidInputError, VerificationError

__all__ = [
    "FINGERPRINT_PREFIX",
    "KEY_FILE_MAGIC",
    "PUBLIC_KEY_SIZE",
    "SEED_SIZE",
    "SIGNATURE_SIZE",
    "SIGNING_PREFIX",
    "Identity",
    "fingerprint",
    "signing_input",
    "verify_signature",
]

PUBLIC_KEY_SIZE = 32
SEED_SIZE = 32
SIGNATURE_SIZE = 64
SIGNING_PREFIX = b"verifiable/"
FINGERPRINT_PREFIX = b"verifiable/fingerprint/v1"
KEY_FILE_MAGIC = "verifiable-ed25519-identity-v1"
MAX_DOMAIN_SIZE = 64
_MAX_KEY_FILE_SIZE = 4096


def _check_domain(domain: Any) -> bytes:
    if not isinstance(domain, bytes):
        raise InvalidInputError(f"domain must be bytes, not {type(domain).__name__}")
    if not 1 <= len(domain) <= MAX_DOMAIN_SIZE:
        raise InvalidInputError(f"domain must be 1 to {MAX_DOMAIN_SIZE} bytes, got {len(domain)}")
    bad = [b for b in domain if not 0x21 <= b <= 0x7E]
    if bad:
        raise InvalidInputError(
            f"domain must be visible ASCII (0x21-0x7E, no NUL, space or control byte), "
            f"found byte 0x{bad[0]:02x} in {domain!r}"
        )
    return domain


def signing_input(domain: bytes, message: Any) -> bytes:
    """The bytes that are signed: ``b"verifiable/" + domain + b"\\x00" + message``.

    ``domain`` is 1 to 64 bytes of visible ASCII (0x21-0x7E), e.g.
    ``b"commitment/v1"``; ``message`` is any bytes-like object.
    """
    dom = _check_domain(domain)
    msg = as_bytes(message, "message")
    return SIGNING_PREFIX + dom + b"\x00" + msg


def fingerprint(public_key: Any) -> str:
    """A short name for a public key: the first 16 hex digits (64 bits) of
    ``SHA-256(b"verifiable/fingerprint/v1" || public_key)``.

    For display and logs only; compare full public keys when it matters.
    """
    pk = _check_public_key(public_key)
    return hashlib.sha256(FINGERPRINT_PREFIX + pk).hexdigest()[:16]


def _check_public_key(public_key: Any) -> bytes:
    if isinstance(public_key, str) or not isinstance(public_key, (bytes, bytearray, memoryview)):
        raise InvalidInputError(f"public_key must be bytes, not {type(public_key).__name__}")
    pk = as_bytes(public_key, "public_key")
    if len(pk) != PUBLIC_KEY_SIZE:
        raise InvalidInputError(f"public_key must be {PUBLIC_KEY_SIZE} bytes, got {len(pk)}")
    return pk


def verify_signature(public_key: Any, domain: bytes, message: Any, signature: Any) -> None:
    """Check an Ed25519 signature over ``signing_input(domain, message)``.

    Returns ``None`` when the signature is valid; raises
    :class:`~verifiable.exceptions.VerificationError` when it is not (wrong key,
    domain or message; tampered, non-canonical or small-order values), and
    :class:`~verifiable.exceptions.InvalidInputError` when an argument has the
    wrong type or length.
    """
    pk = _check_public_key(public_key)
    if isinstance(signature, str) or not isinstance(signature, (bytes, bytearray, memoryview)):
        raise InvalidInputError(f"signature must be bytes, not {type(signature).__name__}")
    sig = as_bytes(signature, "signature")
    if len(sig) != SIGNATURE_SIZE:
        raise InvalidInputError(f"signature must be {SIGNATURE_SIZE} bytes, got {len(sig)}")
    data = signing_input(domain, message)
    try:
        nacl.signing.VerifyKey(pk).verify(data, sig)
    except nacl.exceptions.BadSignatureError:
        raise VerificationError(
            f"bad Ed25519 signature for domain {domain.decode('ascii')!r} "
            f"by key {fingerprint(pk)}"
        ) from None


class Identity:
    """An Ed25519 key pair: signs protocol messages under a domain.

    Make one with :meth:`generate` (fresh randomness), :meth:`from_seed`
    (deterministic, for test vectors) or :meth:`load` (a key file written by
    :meth:`save`). The secret seed never appears in ``repr`` or ``str``.
    """

    __slots__ = ("_public_key", "_signing_key")

    def __init__(self, signing_key: nacl.signing.SigningKey) -> None:
        if not isinstance(signing_key, nacl.signing.SigningKey):
            raise InvalidInputError(
                "Identity takes a nacl.signing.SigningKey; use Identity.generate(), "
                "Identity.from_seed() or Identity.load()"
            )
        self._signing_key = signing_key
        self._public_key = bytes(signing_key.verify_key)

    @classmethod
    def generate(cls) -> Identity:
        """A new identity from 32 bytes of operating-system randomness."""
        return cls(nacl.signing.SigningKey(secrets.token_bytes(SEED_SIZE)))

    @classmethod
    def from_seed(cls, seed: Any) -> Identity:
        """The identity whose RFC 8032 secret key is the 32-byte ``seed``."""
        if isinstance(seed, str) or not isinstance(seed, (bytes, bytearray, memoryview)):
            raise InvalidInputError(f"seed must be bytes, not {type(seed).__name__}")
        raw = as_bytes(seed, "seed")
        if len(raw) != SEED_SIZE:
            raise InvalidInputError(f"seed must be {SEED_SIZE} bytes, got {len(raw)}")
        return cls(nacl.signing.SigningKey(raw))

    @property
    def public_key(self) -> bytes:
        """The 32-byte Ed25519 public key."""
        return self._public_key

    @property
    def fingerprint(self) -> str:
        """16 hex digits naming the public key (see :func:`fingerprint`)."""
        return fingerprint(self._public_key)

    def sign(self, domain: bytes, message: Any) -> bytes:
        """The 64-byte Ed25519 signature of ``signing_input(domain, message)``."""
        data = signing_input(domain, message)
        return bytes(self._signing_key.sign(data).signature)

    def __repr__(self) -> str:
        return f"Identity(fingerprint={self.fingerprint!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Identity):
            return NotImplemented
        return secrets.compare_digest(bytes(self._signing_key), bytes(other._signing_key))

    def __hash__(self) -> int:
        return hash(self._public_key)

    def __reduce__(self) -> Any:
        raise TypeError("an Identity holds a secret key and is not pickled; use save()/load()")

    # ---- key files ----

    def _file_text(self) -> bytes:
        seed = bytes(self._signing_key)
        return (
            f"{KEY_FILE_MAGIC}\nseed {seed.hex()}\npublic-key {self._public_key.hex()}\n"
        ).encode("ascii")

    def save(self, path: str | os.PathLike[str], *, overwrite: bool = False) -> None:
        """Write the key file at ``path``, readable and writable by its owner only (0600).

        Without ``overwrite`` the file is created with ``O_CREAT | O_EXCL`` and
        an existing file is never touched (``FileExistsError``). With
        ``overwrite=True`` the key goes to a new 0600 file in the same
        directory, which then replaces ``path`` in one rename. The file never
        exists with wider permissions, whatever the umask.
        """
        target = os.fspath(path)
        data = self._file_text()
        flags = os.O_CREAT | os.O_EXCL | os.O_WRONLY | getattr(os, "O_NOFOLLOW", 0)
        if not overwrite:
            _write_new(target, data, flags)
            return
        directory = os.path.dirname(os.path.abspath(target))
        temp = os.path.join(directory, f".{os.path.basename(target)}.{secrets.token_hex(8)}.tmp")
        _write_new(temp, data, flags)
        try:
            os.replace(temp, target)
        except BaseException:
            os.unlink(temp)
            raise

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Identity:
        """Read a key file written by :meth:`save`.

        Refuses (``InvalidInputError``) a file that the group or others may
        read or write, anything but a regular file, and a malformed file.
        """
        target = os.fspath(path)
        fd = os.open(target, os.O_RDONLY)
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                raise InvalidInputError(f"key file {target!r} is not a regular file")
            if os.name == "posix" and st.st_mode & 0o077:
                raise InvalidInputError(
                    f"key file {target!r} has mode {stat.S_IMODE(st.st_mode):04o}, which lets "
                    f"the group or others read or write it; refusing to use it. Restrict it "
                    f"with `chmod 600 {target}` (and consider the key compromised if others "
                    f"could read it)"
                )
            chunks = []
            size = 0
            while True:
                chunk = os.read(fd, _MAX_KEY_FILE_SIZE + 1 - size)
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
                if size > _MAX_KEY_FILE_SIZE:
                    raise InvalidInputError(f"key file {target!r} is too large to be a key file")
        finally:
            os.close(fd)
        return cls._parse(b"".join(chunks), target)

    @classmethod
    def _parse(cls, raw: bytes, where: str) -> Identity:
        def bad(why: str) -> InvalidInputError:
            return InvalidInputError(f"key file {where!r} is malformed: {why}")

        try:
            text = raw.decode("ascii")
        except UnicodeDecodeError:
            raise bad("not ASCII") from None
        if not text.endswith("\n"):
            raise bad("missing final newline")
        lines = text[:-1].split("\n")
        if len(lines) != 3:
            raise bad(f"expected 3 lines, found {len(lines)}")
        if lines[0] != KEY_FILE_MAGIC:
            raise bad(f"first line must be {KEY_FILE_MAGIC!r}")
        seed = _hex_field(lines[1], "seed", bad)
        public = _hex_field(lines[2], "public-key", bad)
        identity = cls(nacl.signing.SigningKey(seed))
        if not secrets.compare_digest(identity.public_key, public):
            raise bad("public-key does not match the seed")
        return identity


def _hex_field(line: str, name: str, bad: Callable[[str], InvalidInputError]) -> bytes:
    prefix = name + " "
    if not line.startswith(prefix):
        raise bad(f"expected a line starting with {prefix!r}")
    digits = line[len(prefix) :]
    if len(digits) != 64 or any(c not in "0123456789abcdef" for c in digits):
        raise bad(f"{name} must be 64 lowercase hex digits")
    return bytes.fromhex(digits)


def _write_new(path: str, data: bytes, flags: int) -> None:
    fd = os.open(path, flags, 0o600)
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, 0o600)  # the umask can only have removed bits; make it exactly 0600
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        os.unlink(path)
        raise
    os.close(fd)
