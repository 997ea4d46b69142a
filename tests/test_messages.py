"""Protocol messages: exact round trips, canonical and bounded decoding, tamper evidence."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import struct

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _identities import OTHER_PROVIDER, PROVIDER, VERIFIER, drbg
from verifiable import DecodeError, InvalidInputError, MerkleTree, VerificationError
from verifiable.identity import verify_signature
from verifiable.messages import (
    DOMAINS,
    MAGIC,
    MAX_CHUNK_OUTPUT,
    MAX_OPENED,
    Challenge,
    Commitment,
    EmbeddedInput,
    EquivocationProof,
    FraudProof,
    Job,
    SpotCheckProof,
    Verdict,
    verify_equivocation,
    verify_exchange,
    verify_fraud_proof,
)
from verifiable.protocol import Provider, ProviderRun, Verifier
from verifiable.workloads import array_digest

DATA = bytes((7 * i + 3) % 251 for i in range(16 * 16 - 5))  # 16 chunks of 16 bytes, the last short
INPUTS = {"data": DATA}


@pytest.fixture(scope="module")
def exchange():
    """One honest spot check and one caught cheat, with every message kept."""
    job = Job.create("chunk_digest", {"chunk_size": 16}, INPUTS)
    provider, verifier = Provider(PROVIDER, threads=1), Verifier(VERIFIER)
    run = provider.run(job, INPUTS)
    challenge = verifier.challenge(job, run.commitment, samples=5, rng=drbg("honest"))
    proof = provider.respond(run, challenge)
    result = verifier.verify(job, run.commitment, challenge, proof, inputs=INPUTS)
    assert result.accepted

    # a cheat on exactly one chunk, which the challenge opens
    bad_index = challenge.indices[2]
    outputs = list(run.outputs)
    outputs[bad_index] = b"\x00" * 32
    tree = MerkleTree(outputs)
    bad_run = ProviderRun(job, outputs, tree, Commitment.create(PROVIDER, job, tree.root))
    bad_challenge = verifier.challenge(job, bad_run.commitment, samples=16, rng=drbg("cheat"))
    bad_proof = provider.respond(bad_run, bad_challenge)
    caught = verifier.verify(job, bad_run.commitment, bad_challenge, bad_proof, inputs=INPUTS)
    assert not caught.accepted and caught.fraud_proof is not None
    equivocation = EquivocationProof(run.commitment, bad_run.commitment)
    return {
        "job": job, "run": run, "commitment": run.commitment, "challenge": challenge, "proof": proof,
        "verdict": result.verdict, "rejected_verdict": caught.verdict, "fraud_proof": caught.fraud_proof,
        "equivocation": equivocation, "bad_index": bad_index,
    }


MESSAGE_NAMES = ["job", "commitment", "challenge", "proof", "verdict", "rejected_verdict", "fraud_proof",
                 "equivocation"]


# ---- exact round trips -------------------------------------------------------------------


@pytest.mark.parametrize("cls", [Job, Commitment, Challenge, SpotCheckProof, Verdict, FraudProof, EquivocationProof])
def test_field_table_covers_every_field(cls):
    # FIELDS (the encoding order) drives checks, bytes and JSON: it must name every dataclass
    # field once, and a signed message's signature last (the body is everything before it).
    table = [name for name, _ in cls.FIELDS]
    assert sorted(table) == sorted(f.name for f in dataclasses.fields(cls))
    assert len(set(table)) == len(table)
    if "signature" in table:
        assert table[-1] == "signature"


def test_unhashable_enum_value_is_an_input_error(exchange):
    with pytest.raises(InvalidInputError, match="tree_mode must be one of"):
        dataclasses.replace(exchange["commitment"], tree_mode=["rfc6962"])
    with pytest.raises(InvalidInputError, match="method must be one of"):
        dataclasses.replace(exchange["challenge"], method={})


@pytest.mark.parametrize("name", MESSAGE_NAMES)
def test_round_trip_bytes_and_json(exchange, name):
    msg = exchange[name]
    cls = type(msg)
    raw = msg.to_bytes()
    assert raw.startswith(MAGIC)
    back = cls.from_bytes(raw)
    assert back == msg and back.to_bytes() == raw and back.digest() == hashlib.sha256(raw).digest()
    text = msg.to_json()
    assert json.loads(text)["type"] == json.loads(back.to_json())["type"]
    again = cls.from_json(text)
    assert again == msg and again.to_bytes() == raw and again.to_json() == text
    assert cls.from_json(text.encode()) == msg
    assert cls.from_bytes(bytearray(raw)) == msg and cls.from_bytes(memoryview(raw)) == msg


params_values = st.one_of(
    st.integers(min_value=-(2**256) + 1, max_value=2**256 - 1),
    st.text(max_size=40),
    st.binary(max_size=40),
)
names = st.text(min_size=1, max_size=20)


@settings(max_examples=150, deadline=None)
@given(
    workload=st.from_regex(r"\A[a-z][a-z0-9_.-]{0,20}\Z"),
    params=st.dictionaries(names, params_values, max_size=8),
    inputs=st.dictionaries(names, st.binary(min_size=32, max_size=32), max_size=5),
    n=st.integers(min_value=1, max_value=2**64 - 1),
)
def test_job_round_trips(workload, params, inputs, n):
    job = Job(workload, params, inputs, n)
    for back in (Job.from_bytes(job.to_bytes()), Job.from_json(job.to_json())):
        assert back == job and back.to_bytes() == job.to_bytes() and back.job_id == job.job_id
        assert list(back.params) == sorted(params) and list(back.input_digests) == sorted(inputs)
        assert all(type(back.params[k]) is type(v) for k, v in job.params.items())
    assert hash(job) == hash(Job.from_bytes(job.to_bytes()))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(min_value=1, max_value=300),
    data=st.data(),
    beacon=st.one_of(st.none(), st.binary(min_size=1, max_size=64)),
    leaf_size=st.integers(min_value=0, max_value=40),
)
def test_commitment_challenge_proof_round_trip(n, data, beacon, leaf_size):
    leaves = [hashlib.sha256(i.to_bytes(4, "big")).digest()[: leaf_size % 33] * (1 + leaf_size // 33)
              for i in range(n)]
    tree = MerkleTree(leaves)
    job = Job("test.any", {}, {}, n)
    commitment = Commitment.create(PROVIDER, job, tree.root)
    samples = data.draw(st.integers(min_value=1, max_value=n))
    seed = data.draw(st.binary(min_size=32, max_size=32))
    nonce = data.draw(st.binary(min_size=32, max_size=32))
    if beacon is None:
        challenge = Challenge.create(VERIFIER, commitment, samples=samples, nonce=nonce, seed=seed)
    else:
        challenge = Challenge.create(VERIFIER, commitment, samples=samples, nonce=nonce, beacon=beacon)
    proof = SpotCheckProof.create(
        PROVIDER, challenge, [leaves[i] for i in challenge.indices], tree.multiproof(challenge.indices)
    )
    for msg in (commitment, challenge, proof):
        cls = type(msg)
        assert cls.from_bytes(msg.to_bytes()) == msg
        assert cls.from_json(msg.to_json()).to_bytes() == msg.to_bytes()
    assert set(verify_exchange(job, commitment, challenge, proof)) == set(challenge.indices)


@settings(max_examples=100, deadline=None)
@given(
    accepted=st.booleans(),
    reasons=st.lists(st.text(max_size=50), min_size=1, max_size=5),
    fraction=st.floats(min_value=0.0, max_value=1.0),
    probability=st.floats(min_value=0.0, max_value=1.0),
    words=st.text(max_size=80),
    digests=st.lists(st.binary(min_size=32, max_size=32), min_size=4, max_size=4),
)
def test_verdict_round_trips(accepted, reasons, fraction, probability, words, digests):
    verdict = Verdict(accepted, () if accepted else tuple(reasons), fraction, probability, words, *digests,
                      VERIFIER.public_key, bytes(64)).signed(VERIFIER)
    verdict.verify_signature()
    for back in (Verdict.from_bytes(verdict.to_bytes()), Verdict.from_json(verdict.to_json())):
        assert back == verdict and back.to_bytes() == verdict.to_bytes()
        assert struct.pack(">d", back.detection_probability) == struct.pack(">d", verdict.detection_probability)


# ---- tamper evidence ---------------------------------------------------------------------


def _rejected(exchange, name: str, tampered: bytes) -> bool:
    """Whether ``tampered`` (the encoding of message ``name`` with one byte changed) is refused:
    it does not decode, or what it decodes to fails its checks in the honest exchange."""
    msg = exchange[name]
    try:
        other = type(msg).from_bytes(tampered)
    except DecodeError:
        return True
    # canonical encoding: whatever decodes re-encodes to exactly the bytes it came from
    assert other.to_bytes() == tampered
    job, com, ch, pr = (exchange[k] for k in ("job", "commitment", "challenge", "proof"))
    try:
        if name == "job":
            verify_exchange(other, com, ch, pr)
        elif name == "commitment":
            verify_exchange(job, other, ch, pr)
        elif name == "challenge":
            verify_exchange(job, com, other, pr)
        elif name == "proof":
            verify_exchange(job, com, ch, other)
        elif name in ("verdict", "rejected_verdict"):
            other.verify_signature()
            return other.verifier_key != msg.verifier_key
        elif name == "fraud_proof":
            verify_fraud_proof(other)
        elif name == "equivocation":
            verify_equivocation(other)
    except VerificationError:
        return True
    return False


@pytest.mark.parametrize("name", MESSAGE_NAMES)
def test_every_single_byte_tamper_is_rejected(exchange, name):
    raw = exchange[name].to_bytes()
    for pos in range(len(raw)):
        for mask in (0x01, 0x80):
            tampered = raw[:pos] + bytes([raw[pos] ^ mask]) + raw[pos + 1 :]
            assert _rejected(exchange, name, tampered), f"{name}: byte {pos} ^ {mask:#x} went unnoticed"


@pytest.mark.parametrize("name", MESSAGE_NAMES)
def test_truncation_and_trailing_bytes_refused(exchange, name):
    msg = exchange[name]
    cls, raw = type(msg), msg.to_bytes()
    step = max(1, len(raw) // 300)
    for cut in range(0, len(raw), step):
        with pytest.raises(DecodeError):
            cls.from_bytes(raw[:cut])
    with pytest.raises(DecodeError, match="trailing"):
        cls.from_bytes(raw + b"\x00")


@pytest.mark.parametrize("name", MESSAGE_NAMES)
def test_header_version_and_type_checked(exchange, name):
    msg = exchange[name]
    cls, raw = type(msg), msg.to_bytes()
    with pytest.raises(DecodeError, match="unknown version 2"):
        cls.from_bytes(raw[:5] + b"\x02" + raw[6:])
    with pytest.raises(DecodeError, match="magic"):
        cls.from_bytes(b"VFPS" + raw[4:])
    for other in MESSAGE_NAMES:
        if type(exchange[other]) is not cls:
            with pytest.raises(DecodeError, match=f"encode a {type(exchange[other]).__name__}"):
                cls.from_bytes(exchange[other].to_bytes())
    with pytest.raises(DecodeError):
        cls.from_bytes("not bytes")


# ---- canonical forms ---------------------------------------------------------------------


def _job_bytes(params: list[bytes], inputs: list[bytes] = (), n: int = 5) -> bytes:
    name = b"chunk_digest"
    out = MAGIC + b"\x01\x01" + bytes([len(name)]) + name + struct.pack(">H", len(params)) + b"".join(params)
    return out + struct.pack(">H", len(inputs)) + b"".join(inputs) + struct.pack(">Q", n)


def _pint(key: bytes, value: int, raw: bytes | None = None) -> bytes:
    mag = value.to_bytes((value.bit_length() + 7) // 8, "big") if raw is None else raw
    return bytes([len(key)]) + key + b"\x01" + bytes([len(mag)]) + mag


def test_job_encoding_is_canonical():
    good = _job_bytes([_pint(b"a", 1), _pint(b"b", 300)])
    assert Job.from_bytes(good).params == {"a": 1, "b": 300}
    with pytest.raises(DecodeError, match="strictly increasing"):
        Job.from_bytes(_job_bytes([_pint(b"b", 1), _pint(b"a", 1)]))
    with pytest.raises(DecodeError, match="strictly increasing"):
        Job.from_bytes(_job_bytes([_pint(b"a", 1), _pint(b"a", 2)]))
    with pytest.raises(DecodeError, match="non-minimal"):
        Job.from_bytes(_job_bytes([_pint(b"a", 0, b"\x00\x01")]))
    with pytest.raises(DecodeError, match="negative zero"):
        Job.from_bytes(_job_bytes([b"\x01a\x02\x00"]))
    with pytest.raises(DecodeError, match="unknown type tag"):
        Job.from_bytes(_job_bytes([b"\x01a\x09\x00"]))
    with pytest.raises(DecodeError, match="limit 32"):
        Job.from_bytes(_job_bytes([_pint(b"a", 0, b"\x01" * 33)]))
    with pytest.raises(DecodeError, match="UTF-8"):
        Job.from_bytes(_job_bytes([b"\x01a\x03" + struct.pack(">I", 2) + b"\xc0\xaf"]))
    with pytest.raises(DecodeError, match="n_chunks"):
        Job.from_bytes(_job_bytes([], n=0))
    digest = b"\x11" * 32
    with pytest.raises(DecodeError, match="strictly increasing"):
        Job.from_bytes(_job_bytes([], [b"\x01b" + digest, b"\x01a" + digest]))
    with pytest.raises(DecodeError, match="empty input name"):
        Job.from_bytes(_job_bytes([], [b"\x00" + digest]))
    with pytest.raises(DecodeError, match="count 257 exceeds"):
        Job.from_bytes(_job_bytes([]).replace(b"\x00\x00\x00\x00", b"\x01\x01\x00\x00", 1))


def test_job_arguments():
    job = Job.create("chunk_digest", {"chunk_size": np.int64(16)}, INPUTS)
    assert job.params == {"chunk_size": 16} and type(job.params["chunk_size"]) is int
    assert job.input_digests == {"data": hashlib.sha256(DATA).digest()} and job.n_chunks == 16
    assert Job("w", {"b": 1, "a": b"x"}, {}, 1) == Job("w", {"a": b"x", "b": 1}, {}, 1)
    with pytest.raises(InvalidInputError, match="bool"):
        Job("w", {"a": True}, {}, 1)
    with pytest.raises(InvalidInputError, match="int, str or bytes"):
        Job("w", {"a": 1.5}, {}, 1)
    with pytest.raises(InvalidInputError, match="2\\^256"):
        Job("w", {"a": 2**256}, {}, 1)
    with pytest.raises(InvalidInputError, match="workload name"):
        Job("Bad Name", {}, {}, 1)
    with pytest.raises(InvalidInputError, match="32 bytes"):
        Job("w", {}, {"x": b"short"}, 1)
    with pytest.raises(InvalidInputError, match="UTF-8"):
        Job("w", {"\ud800": 1}, {}, 1)
    with pytest.raises(InvalidInputError, match="no workload named"):
        Job.create("no-such-workload", {}, {})
    with pytest.raises(InvalidInputError):
        Job.create("chunk_digest", {"chunk_size": 0}, INPUTS)
    with pytest.raises(InvalidInputError, match="n_chunks"):
        Job.create("chunk_digest", {"chunk_size": 16}, {"data": b""})
    job.check_inputs(INPUTS)
    with pytest.raises(InvalidInputError, match="does not match"):
        job.check_inputs({"data": DATA + b"x"})
    with pytest.raises(InvalidInputError, match="named"):
        job.check_inputs({"other": DATA})


def test_json_is_strict(exchange):
    text = exchange["commitment"].to_json()
    obj = json.loads(text)
    with pytest.raises(DecodeError, match="duplicate"):
        Commitment.from_json(text[:-1] + ',"root":"' + obj["root"] + '"}')
    with pytest.raises(DecodeError, match="unexpected"):
        Commitment.from_json(json.dumps({**obj, "extra": 1}))
    with pytest.raises(DecodeError, match="missing"):
        Commitment.from_json(json.dumps({k: v for k, v in obj.items() if k != "root"}))
    with pytest.raises(DecodeError, match="type"):
        Challenge.from_json(text)
    with pytest.raises(DecodeError, match="version"):
        Commitment.from_json(json.dumps({**obj, "version": 2}))
    with pytest.raises(DecodeError, match="integer"):
        Commitment.from_json(json.dumps({**obj, "n_chunks": True}))
    with pytest.raises(DecodeError, match="hex"):
        Commitment.from_json(json.dumps({**obj, "root": obj["root"].upper()}))
    with pytest.raises(DecodeError, match="invalid JSON"):
        Commitment.from_json(text[:-1])
    verdict = json.loads(exchange["verdict"].to_json())
    with pytest.raises(DecodeError, match="NaN"):
        Verdict.from_json(json.dumps({**verdict, "bad_fraction": float("nan")}))
    with pytest.raises(DecodeError, match="fraction or exponent"):
        Verdict.from_json(json.dumps({**verdict, "bad_fraction": 0}))
    job = json.loads(exchange["job"].to_json())
    for bad in ("01", "-0", "1.0", " 1", 1):
        with pytest.raises(DecodeError, match="decimal"):
            Job.from_json(json.dumps({**job, "params": {"chunk_size": {"int": bad}}}))


def test_decoding_limits_refused_before_allocation(exchange):
    ch = exchange["challenge"].to_bytes()
    # the index count sits right after the header, ids, n_chunks, method, beacon, seed, nonce, key
    at = 6 + 32 + 32 + 8 + 1 + 2 + 0 + 32 + 32 + 32
    assert struct.unpack(">I", ch[at : at + 4])[0] == len(exchange["challenge"].indices)
    with pytest.raises(DecodeError, match=f"exceeds the limit {MAX_OPENED}"):
        Challenge.from_bytes(ch[:at] + struct.pack(">I", MAX_OPENED + 1) + ch[at + 4 :])
    with pytest.raises(DecodeError, match="truncated"):
        Challenge.from_bytes(ch[:at] + struct.pack(">I", MAX_OPENED) + ch[at + 4 :])
    pr = exchange["proof"].to_bytes()
    at = 6 + 32
    with pytest.raises(DecodeError, match="exceeds the limit"):
        SpotCheckProof.from_bytes(pr[:at] + struct.pack(">I", 2**32 - 1) + pr[at + 4 :])
    first = at + 4
    with pytest.raises(DecodeError, match=f"exceeds the limit {MAX_CHUNK_OUTPUT}"):
        SpotCheckProof.from_bytes(pr[:first] + struct.pack(">I", MAX_CHUNK_OUTPUT + 1) + pr[first + 4 :])


def test_verdict_floats_and_flags_canonical(exchange):
    v = exchange["verdict"]
    raw = v.to_bytes()
    at = 6 + 1 + 4 * 32  # bad_fraction
    assert struct.unpack(">d", raw[at : at + 8])[0] == v.bad_fraction
    for bad in (-0.0, float("nan"), 1.5, -1.0, float("inf")):
        with pytest.raises(DecodeError, match="probability"):
            Verdict.from_bytes(raw[:at] + struct.pack(">d", bad) + raw[at + 8 :])
    with pytest.raises(DecodeError, match="0 or 1"):
        Verdict.from_bytes(raw[:6] + b"\x02" + raw[7:])
    with pytest.raises(InvalidInputError, match="reasons"):
        dataclasses.replace(v, accepted=False)
    with pytest.raises(InvalidInputError, match="reasons"):
        dataclasses.replace(v, reasons=("x",))
    assert dataclasses.replace(v, bad_fraction=-0.0).bad_fraction.hex() == "0x0.0p+0"


def test_challenge_structure_checked(exchange):
    ch = exchange["challenge"]
    with pytest.raises(InvalidInputError, match="strictly increasing"):
        dataclasses.replace(ch, indices=tuple(reversed(ch.indices)))
    with pytest.raises(InvalidInputError, match="out of range"):
        dataclasses.replace(ch, indices=(*ch.indices[:-1], ch.n_chunks))
    with pytest.raises(InvalidInputError, match="check seeds"):
        dataclasses.replace(ch, check_seeds=ch.check_seeds[:-1])
    with pytest.raises(InvalidInputError, match="no beacon"):
        dataclasses.replace(ch, beacon=b"x")
    with pytest.raises(InvalidInputError, match="beacon of"):
        dataclasses.replace(ch, method="beacon")
    with pytest.raises(InvalidInputError, match="exactly one"):
        Challenge.create(VERIFIER, exchange["commitment"], samples=1, nonce=bytes(32))
    with pytest.raises(InvalidInputError, match="samples"):
        Challenge.create(VERIFIER, exchange["commitment"], samples=17, nonce=bytes(32), seed=bytes(32))


# ---- signatures and domains --------------------------------------------------------------


def test_signatures_are_domain_separated(exchange):
    com, ch, pr, v = (exchange[k] for k in ("commitment", "challenge", "proof", "verdict"))
    assert len(set(DOMAINS.values())) == len(DOMAINS)
    verify_signature(PROVIDER.public_key, b"commitment/v1", com.body(), com.signature)
    for domain in DOMAINS.values():
        if domain != Commitment.DOMAIN:
            with pytest.raises(VerificationError):
                verify_signature(PROVIDER.public_key, domain, com.body(), com.signature)
    # the verifier's signature over a challenge body, but made under the verdict domain
    replayed = dataclasses.replace(ch, signature=VERIFIER.sign(Verdict.DOMAIN, ch.body()))
    with pytest.raises(VerificationError, match="Challenge: bad signature"):
        replayed.verify_signature()
    # a proof signed by someone other than the committed provider
    with pytest.raises(VerificationError, match="bad signature"):
        pr.signed(OTHER_PROVIDER).verify_signature(com.provider_key)
    v.verify_signature()
    with pytest.raises(VerificationError):
        dataclasses.replace(v, verifier_key=OTHER_PROVIDER.public_key).verify_signature()


def test_signed_messages_are_deterministic(exchange):
    com = exchange["commitment"]
    again = Commitment.create(PROVIDER, exchange["job"], com.root)
    assert again.to_bytes() == com.to_bytes()
    assert com.body() + com.signature == com.to_bytes()


# ---- embedded inputs ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [np.arange(12, dtype=np.float64).reshape(3, 4), np.arange(5, dtype=">i4"), np.zeros((0, 3), np.uint8),
     np.array(3.5), np.arange(6, dtype=np.complex64).reshape(2, 3)[:, ::2], b"raw bytes", bytearray(b"")],
)
def test_embedded_input_digest_is_the_job_digest(value):
    item = EmbeddedInput.of(value)
    assert hashlib.sha256(item.data).digest() == array_digest(value if not isinstance(value, np.ndarray)
                                                              else np.ascontiguousarray(value))
    back = item.value()
    assert array_digest(back) == array_digest(value)
    assert EmbeddedInput(item.kind, item.data) == item


def test_embedded_input_refuses_bad_arrays():
    good = EmbeddedInput.of(np.arange(4, dtype=np.int32)).data
    with pytest.raises(InvalidInputError, match="cannot embed"):
        EmbeddedInput.of(np.array([object()], dtype=object))
    with pytest.raises(DecodeError, match="needs 16 bytes"):
        EmbeddedInput("array", good + b"\x00")
    with pytest.raises(DecodeError, match="canonical"):
        EmbeddedInput("array", good.replace(b"<i4", b">i4"))
    with pytest.raises(DecodeError, match="dtype"):
        EmbeddedInput("array", good.replace(b"<i4", b"|O8"))
    with pytest.raises(InvalidInputError, match="kind"):
        EmbeddedInput("file", b"")


# ---- fraud and equivocation proofs as messages --------------------------------------------


def test_fraud_proof_embeds_inputs(exchange):
    fp = exchange["fraud_proof"]
    assert fp.index == exchange["bad_index"]
    assert fp.input_values() == {"data": DATA}
    assert len(fp.to_bytes()) > len(DATA)
    finding = verify_fraud_proof(FraudProof.from_bytes(fp.to_bytes()))
    assert finding.provider_key == PROVIDER.public_key and finding.index == fp.index
    with pytest.raises(InvalidInputError, match="missing"):
        FraudProof.create(fp.job, fp.commitment, fp.challenge, fp.proof, fp.index, {})


def test_equivocation_pair_is_canonical(exchange):
    ep = exchange["equivocation"]
    swapped = EquivocationProof(ep.second, ep.first)
    assert swapped == ep and swapped.to_bytes() == ep.to_bytes()
    raw = ep.to_bytes()
    a, b = ep.first.to_bytes(), ep.second.to_bytes()
    unsorted = raw[:6] + struct.pack(">I", len(b)) + b + struct.pack(">I", len(a)) + a
    with pytest.raises(DecodeError, match="increasing byte order"):
        EquivocationProof.from_bytes(unsorted)
    with pytest.raises(InvalidInputError, match="two different"):
        EquivocationProof(ep.first, ep.first)
    assert verify_equivocation(ep) == PROVIDER.public_key
