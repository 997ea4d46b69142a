"""Ed25519 identities: RFC 8032 known answers, domain separation, strict verification, key files."""

from __future__ import annotations

import os
import pickle
import stat

import nacl.signing
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from verifiable.exceptions import InvalidInputError, VerificationError
from verifiable.identity import (
    KEY_FILE_MAGIC,
    Identity,
    fingerprint,
    signing_input,
    verify_signature,
)

# RFC 8032 section 7.1, TEST 1 and TEST 2 (secret key, public key, message, signature).
RFC8032 = [
    (
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        "",
        (
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
            "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
        ),
    ),
    (
        "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        "72",
        (
            "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
            "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"
        ),
    ),
]

# Order of the Ed25519 base point (RFC 8032 section 5.1), little-endian in signatures.
L = 2**252 + 27742317777372353535851937790883648493
DOMAIN = b"commitment/v1"


@pytest.mark.parametrize(("sk", "pk", "msg", "sig"), RFC8032)
def test_rfc8032_public_keys_and_raw_signatures(sk: str, pk: str, msg: str, sig: str) -> None:
    ident = Identity.from_seed(bytes.fromhex(sk))
    assert ident.public_key == bytes.fromhex(pk)
    # The RFC signature is over the raw message; ours are over the signing input, so the
    # RFC signature must verify with libsodium directly but never through any domain.
    nacl.signing.VerifyKey(ident.public_key).verify(bytes.fromhex(msg), bytes.fromhex(sig))
    with pytest.raises(VerificationError):
        verify_signature(ident.public_key, DOMAIN, bytes.fromhex(msg), bytes.fromhex(sig))


def test_signing_input_layout() -> None:
    assert signing_input(b"commitment/v1", b"abc") == b"verifiable/commitment/v1\x00abc"
    assert signing_input(b"x", b"") == b"verifiable/x\x00"
    assert signing_input(b"a", bytearray(b"\x00\xff")) == b"verifiable/a\x00\x00\xff"
    assert signing_input(b"a" * 64, b"") == b"verifiable/" + b"a" * 64 + b"\x00"


def test_signature_is_plain_ed25519_over_signing_input() -> None:
    ident = Identity.from_seed(bytes(range(32)))
    sig = ident.sign(DOMAIN, b"abc")
    assert len(sig) == 64
    nacl.signing.VerifyKey(ident.public_key).verify(b"verifiable/commitment/v1\x00abc", sig)
    # Ed25519 is deterministic: a fixed vector for other implementations.
    expected = nacl.signing.SigningKey(bytes(range(32))).sign(b"verifiable/commitment/v1\x00abc")
    assert sig == expected.signature
    verify_signature(ident.public_key, DOMAIN, b"abc", sig)


def test_fingerprint() -> None:
    import hashlib

    ident = Identity.from_seed(bytes(32))
    want = hashlib.sha256(b"verifiable/fingerprint/v1" + ident.public_key).hexdigest()[:16]
    assert ident.fingerprint == want == fingerprint(ident.public_key)
    assert len(want) == 16


@pytest.mark.parametrize(
    "domain",
    [b"", b"a" * 65, b"a\x00b", b"with space", b"tab\t", b"\x7f", "commitment/v1".encode("utf-16"),
     b"caf\xc3\xa9"],
)
def test_bad_domains_refused(domain: bytes) -> None:
    with pytest.raises(InvalidInputError, match="domain"):
        signing_input(domain, b"")
    with pytest.raises(InvalidInputError, match="domain"):
        Identity.from_seed(bytes(32)).sign(domain, b"")


def test_domain_must_be_bytes() -> None:
    with pytest.raises(InvalidInputError, match="domain must be bytes"):
        signing_input("commitment/v1", b"")  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="message"):
        signing_input(b"x", "text")


def test_domains_separate() -> None:
    ident = Identity.from_seed(bytes(32))
    sig = ident.sign(b"commitment/v1", b"payload")
    for domain, message in [
        (b"commitment/v2", b"payload"),
        (b"commitment", b"v1\x00payload"),  # cannot shift bytes between domain and message
        (b"commitment/v1", b"payloaD"),
        (b"commitment/v1", b"payload\x00"),
    ]:
        with pytest.raises(VerificationError):
            verify_signature(ident.public_key, domain, message, sig)
    other = Identity.from_seed(bytes([1]) * 32)
    with pytest.raises(VerificationError):
        verify_signature(other.public_key, b"commitment/v1", b"payload", sig)


def test_every_single_bit_flip_is_rejected() -> None:
    ident = Identity.from_seed(bytes(range(32)))
    msg = b"spot check"
    sig = ident.sign(DOMAIN, msg)
    for bit in range(512):
        bad = bytearray(sig)
        bad[bit // 8] ^= 1 << (bit % 8)
        with pytest.raises(VerificationError):
            verify_signature(ident.public_key, DOMAIN, msg, bytes(bad))
    for bit in range(256):
        bad_pk = bytearray(ident.public_key)
        bad_pk[bit // 8] ^= 1 << (bit % 8)
        with pytest.raises(VerificationError):
            verify_signature(bytes(bad_pk), DOMAIN, msg, sig)


def test_non_canonical_s_is_rejected() -> None:
    """S + L verifies under a lax verifier (same point equation); libsodium refuses it."""
    ident = Identity.from_seed(bytes(range(32)))
    sig = ident.sign(DOMAIN, b"m")
    s = int.from_bytes(sig[32:], "little")
    assert s < L
    for bumped in (s + L, s + 2 * L, s + 7 * L):
        if bumped >= 2**256:
            continue
        forged = sig[:32] + bumped.to_bytes(32, "little")
        with pytest.raises(VerificationError):
            verify_signature(ident.public_key, DOMAIN, b"m", forged)


@pytest.mark.parametrize(
    "pk_hex",
    [
        "01" + "00" * 31,  # the neutral point (order 1)
        "00" * 32,  # y = 0: a point of order 4
        "ec" + "ff" * 30 + "7f",  # y = p - 1: the point of order 2
        "ed" + "ff" * 30 + "7f",  # y = p: a non-canonical encoding of y = 0
        "ee" + "ff" * 30 + "7f",  # y = p + 1: a non-canonical encoding of the neutral point
    ],
)
def test_small_order_and_non_canonical_keys_are_rejected(pk_hex: str) -> None:
    """With A of small order, R = neutral point and S = 0 satisfy [S]B = R + [k]A for many
    messages; a strict verifier refuses such keys outright."""
    pk = bytes.fromhex(pk_hex)
    neutral_r = bytes.fromhex("01" + "00" * 31)
    for sig in (neutral_r + bytes(32), bytes(64)):
        for msg in (b"", b"anything", b"x" * 100):
            with pytest.raises(VerificationError):
                verify_signature(pk, DOMAIN, msg, sig)


@pytest.mark.parametrize(
    ("pk", "sig", "match"),
    [
        (b"\x00" * 31, b"\x00" * 64, "public_key must be 32 bytes"),
        (b"\x00" * 33, b"\x00" * 64, "public_key must be 32 bytes"),
        ("00" * 32, b"\x00" * 64, "public_key must be bytes"),
        (None, b"\x00" * 64, "public_key must be bytes"),
        (b"\x00" * 32, b"\x00" * 63, "signature must be 64 bytes"),
        (b"\x00" * 32, b"\x00" * 65, "signature must be 64 bytes"),
        (b"\x00" * 32, "00" * 64, "signature must be bytes"),
        (b"\x00" * 32, 12, "signature must be bytes"),
    ],
)
def test_verify_bad_input(pk: object, sig: object, match: str) -> None:
    with pytest.raises(InvalidInputError, match=match):
        verify_signature(pk, DOMAIN, b"", sig)


def test_from_seed_bad_input() -> None:
    for seed in (b"", bytes(31), bytes(33), "00" * 32, 5, None):
        with pytest.raises(InvalidInputError, match="seed"):
            Identity.from_seed(seed)
    with pytest.raises(InvalidInputError):
        Identity(b"\x00" * 32)  # type: ignore[arg-type]


@settings(max_examples=50, deadline=None)
@given(
    seed=st.binary(min_size=32, max_size=32),
    domain=st.binary(min_size=1, max_size=64).filter(lambda d: all(0x21 <= c <= 0x7E for c in d)),
    message=st.binary(max_size=300),
)
def test_sign_verify_roundtrip(seed: bytes, domain: bytes, message: bytes) -> None:
    ident = Identity.from_seed(seed)
    sig = ident.sign(domain, message)
    verify_signature(ident.public_key, domain, message, sig)
    verify_signature(bytearray(ident.public_key), domain, memoryview(message), bytearray(sig))
    with pytest.raises(VerificationError):
        verify_signature(ident.public_key, domain, message + b"\x00", sig)


def test_generate_is_random_and_secret_not_shown() -> None:
    a, b = Identity.generate(), Identity.generate()
    assert a.public_key != b.public_key
    assert a != b and a == Identity.from_seed(a._signing_key.encode())
    seed_hex = bytes(a._signing_key).hex()
    for text in (repr(a), str(a), f"{a}"):
        assert seed_hex not in text
        assert a.fingerprint in text
    with pytest.raises(TypeError):
        pickle.dumps(a)


# ---- key files ----


def test_save_load_roundtrip(tmp_path: os.PathLike[str]) -> None:
    ident = Identity.from_seed(bytes(range(32)))
    path = os.path.join(tmp_path, "provider.key")
    ident.save(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    with open(path, encoding="ascii") as f:
        text = f.read()
    assert text == (
        f"{KEY_FILE_MAGIC}\nseed {bytes(range(32)).hex()}\npublic-key {ident.public_key.hex()}\n"
    )
    loaded = Identity.load(path)
    assert loaded == ident and loaded.public_key == ident.public_key
    assert loaded.sign(DOMAIN, b"x") == ident.sign(DOMAIN, b"x")


def test_save_refuses_to_overwrite(tmp_path: os.PathLike[str]) -> None:
    path = os.path.join(tmp_path, "k")
    first, second = Identity.generate(), Identity.generate()
    first.save(path)
    with pytest.raises(FileExistsError):
        second.save(path)
    assert Identity.load(path) == first
    second.save(path, overwrite=True)
    assert Identity.load(path) == second
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert sorted(os.listdir(tmp_path)) == ["k"]  # no temporary file left behind


def test_save_is_0600_whatever_the_umask(tmp_path: os.PathLike[str]) -> None:
    old = os.umask(0)
    try:
        path = os.path.join(tmp_path, "k")
        Identity.generate().save(path)
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        Identity.generate().save(path, overwrite=True)
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    finally:
        os.umask(old)


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o620, 0o602, 0o660, 0o666, 0o700 | 0o004])
def test_load_refuses_loose_permissions(tmp_path: os.PathLike[str], mode: int) -> None:
    path = os.path.join(tmp_path, "k")
    Identity.generate().save(path)
    os.chmod(path, mode)
    with pytest.raises(InvalidInputError) as info:
        Identity.load(path)
    message = str(info.value)
    assert path in message and f"{mode:04o}" in message and "chmod 600" in message
    os.chmod(path, 0o600)
    Identity.load(path)
    os.chmod(path, 0o400)
    Identity.load(path)


def _write(path: str, data: bytes) -> None:
    fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


GOOD_SEED = bytes(range(32))
GOOD_PK = Identity.from_seed(GOOD_SEED).public_key


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (b"", "missing final newline"),
        (f"{KEY_FILE_MAGIC}\nseed {GOOD_SEED.hex()}\npublic-key {GOOD_PK.hex()}".encode(),
         "final newline"),
        (f"{KEY_FILE_MAGIC}\nseed {GOOD_SEED.hex()}\n".encode(), "3 lines"),
        (f"{KEY_FILE_MAGIC}\nseed {GOOD_SEED.hex()}\npublic-key {GOOD_PK.hex()}\n\n".encode(),
         "3 lines"),
        (f"verifiable-ed25519-identity-v2\nseed {GOOD_SEED.hex()}\npublic-key {GOOD_PK.hex()}\n"
         .encode(), "first line"),
        (f"{KEY_FILE_MAGIC}\nseed {GOOD_SEED.hex().upper()}\npublic-key {GOOD_PK.hex()}\n"
         .encode(), "lowercase hex"),
        (f"{KEY_FILE_MAGIC}\nseed {GOOD_SEED.hex()[:-2]}\npublic-key {GOOD_PK.hex()}\n"
         .encode(), "64 lowercase hex"),
        (f"{KEY_FILE_MAGIC}\nseed  {GOOD_SEED.hex()}\npublic-key {GOOD_PK.hex()}\n".encode(),
         "64 lowercase hex"),
        (f"{KEY_FILE_MAGIC}\npublic-key {GOOD_PK.hex()}\nseed {GOOD_SEED.hex()}\n".encode(),
         "'seed '"),
        (f"{KEY_FILE_MAGIC}\nseed {bytes(32).hex()}\npublic-key {GOOD_PK.hex()}\n".encode(),
         "does not match"),
        (f"{KEY_FILE_MAGIC}\r\nseed {GOOD_SEED.hex()}\r\npublic-key {GOOD_PK.hex()}\r\n".encode(),
         "first line"),
        (b"\xff" * 10 + b"\n", "not ASCII"),
        (b"a" * 5000, "too large"),
    ],
)
def test_load_refuses_malformed_files(tmp_path: os.PathLike[str], content: bytes, match: str) -> None:
    path = os.path.join(tmp_path, "k")
    _write(path, content)
    with pytest.raises(InvalidInputError, match=match):
        Identity.load(path)


def test_load_refuses_non_regular_and_missing(tmp_path: os.PathLike[str]) -> None:
    directory = os.path.join(tmp_path, "d")
    os.mkdir(directory, 0o700)
    with pytest.raises((InvalidInputError, IsADirectoryError)):
        Identity.load(directory)
    with pytest.raises(FileNotFoundError):
        Identity.load(os.path.join(tmp_path, "absent"))
