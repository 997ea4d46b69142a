"""The protocol's golden vectors (tests/vectors/protocol): the files are exactly what the generator
writes, and every expectation in them holds when re-checked from the file alone."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from verifiable import DecodeError, VerificationError
from verifiable.identity import Identity
from verifiable.messages import (
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
from verifiable.protocol import Verifier

HERE = Path(__file__).resolve().parent / "vectors" / "protocol"
_spec = importlib.util.spec_from_file_location("protocol_vectors_generate", HERE / "generate.py")
assert _spec is not None and _spec.loader is not None
generate = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(generate)  # also registers the vectors.words workload

VECTOR_FILES = sorted(p for p in HERE.glob("*.json") if p.name != "keys.json")
TYPES = {cls.__name__: cls for cls in (Job, Commitment, Challenge, SpotCheckProof, Verdict, FraudProof,
                                       EquivocationProof)}
ERRORS = {"DecodeError": DecodeError, "VerificationError": VerificationError}

# Failure categories in the order a verifier checks (docs/PROTOCOL.md, section 7), re-stated here
# independently of the generator.
CATEGORY_WORDS = {
    "decode": ("does not decode",),
    "signature": ("bad signature", "not issued by this verifier"),
    "binding": ("another job", "another commitment", "another challenge", "chunk count", "derive_indices",
                "probe_seed", "beacon_seed"),
    "multiproof": ("proof's tree has", "opens other chunks", "do not match the committed root"),
    "chunk": ("fails its check",),
}


def load(path: Path) -> dict:
    return json.loads(path.read_text())


def test_files_are_what_the_generator_writes():
    wanted = generate.files()
    on_disk = {p.name for p in HERE.glob("*.json")}
    assert on_disk == set(wanted), "run: .venv/bin/python tests/vectors/protocol/generate.py"
    for name, text in wanted.items():
        assert (HERE / name).read_text() == text, f"{name} differs from the generator's output"
    assert generate.files() == wanted  # deterministic


def test_coverage():
    vectors = [load(p) for p in VECTOR_FILES]
    assert len(vectors) >= 50
    kinds = {v["kind"] for v in vectors}
    assert kinds == {"round", "decode", "verdict_signature", "fraud_proof", "equivocation"}
    failures = {v["expected"]["failure"] for v in vectors if v["kind"] == "round"}
    assert failures == {None, *CATEGORY_WORDS}
    assert any(v["kind"] == "fraud_proof" and v["expected"]["convicts"] for v in vectors)
    assert any(v["kind"] == "fraud_proof" and not v["expected"]["convicts"] for v in vectors)


def test_keys():
    for entry in load(HERE / "keys.json").values():
        assert Identity.from_seed(bytes.fromhex(entry["seed"])).public_key.hex() == entry["public_key"]


def _inputs(vector: dict) -> dict:
    return {name: EmbeddedInput(item["kind"], bytes.fromhex(item["hex"])).value()
            for name, item in vector["inputs"].items()}


def _category(reason: str) -> str:
    return next(name for name, words in CATEGORY_WORDS.items() if any(w in reason for w in words))


def _check_round(v: dict) -> None:
    m, e = v["messages"], v["expected"]
    job = Job.from_bytes(bytes.fromhex(m["job"]))
    inputs = _inputs(v)
    verifier = Verifier(Identity.from_seed(bytes.fromhex(v["verify"]["verifier_seed"])))
    raw = [bytes.fromhex(m[k]) for k in ("commitment", "challenge", "proof")]
    result = verifier.verify(job, *raw, inputs=inputs, bad_fraction=v["verify"]["bad_fraction"])
    verdict = result.verdict
    assert verdict.accepted is e["accepted"]
    assert list(verdict.reasons) == e["reasons"]
    assert verdict.detection_probability == e["detection_probability"]
    assert verdict.to_bytes().hex() == e["verdict"]
    verdict.verify_signature()
    if e["accepted"]:
        assert e["failure"] is None and result.fraud_proof is None
        com, ch, pr = Commitment.from_bytes(raw[0]), Challenge.from_bytes(raw[1]), SpotCheckProof.from_bytes(raw[2])
        assert sorted(verify_exchange(job, com, ch, pr)) == list(ch.indices)
    else:
        assert _category(verdict.reasons[0]) == e["failure"]
    if e["fraud_proof"] is None:
        assert result.fraud_proof is None
    else:
        assert e["failure"] == "chunk"
        assert result.fraud_proof.to_bytes().hex() == e["fraud_proof"]
        finding = verify_fraud_proof(FraudProof.from_bytes(bytes.fromhex(e["fraud_proof"])))
        assert finding.index == e["fraud_index"] and finding.job_id == job.job_id


def _check_decode(v: dict) -> None:
    cls, raw, e = TYPES[v["message_type"]], bytes.fromhex(v["bytes"]), v["expected"]
    if e["error"] is None:
        msg = cls.from_bytes(raw)
        assert msg.to_bytes() == raw and msg.digest().hex() == e["digest"]
        assert cls.from_json(msg.to_json()) == msg
    else:
        with pytest.raises(ERRORS[e["error"]], match=e["match"]):
            cls.from_bytes(raw)


def _check_verdict(v: dict) -> None:
    verdict = Verdict.from_bytes(bytes.fromhex(v["verdict"]))
    if v["expected"]["valid"]:
        verdict.verify_signature()
    else:
        with pytest.raises(VerificationError):
            verdict.verify_signature()


def _check_fraud(v: dict) -> None:
    e = v["expected"]
    raw = bytes.fromhex(v["fraud_proof"])
    if e["convicts"]:
        fp = FraudProof.from_bytes(raw)
        finding = verify_fraud_proof(fp)
        assert (finding.index, finding.provider_key.hex(), finding.reason) == (e["index"], e["provider_key"],
                                                                               e["reason"])
        assert verify_fraud_proof(FraudProof.from_json(fp.to_json())) == finding
    else:
        with pytest.raises(ERRORS[e["error"]], match=e["match"]):
            verify_fraud_proof(FraudProof.from_bytes(raw))


def _check_equivocation(v: dict) -> None:
    e = v["expected"]
    raw = bytes.fromhex(v["equivocation_proof"])
    if e["convicts"]:
        assert verify_equivocation(EquivocationProof.from_bytes(raw)).hex() == e["provider_key"]
    else:
        with pytest.raises(ERRORS[e["error"]], match=e["match"]):
            verify_equivocation(EquivocationProof.from_bytes(raw))


CHECKS = {"round": _check_round, "decode": _check_decode, "verdict_signature": _check_verdict,
          "fraud_proof": _check_fraud, "equivocation": _check_equivocation}


@pytest.mark.parametrize("path", VECTOR_FILES, ids=[p.stem for p in VECTOR_FILES])
def test_vector(path):
    vector = load(path)
    assert vector["name"] == path.stem and vector["description"]
    CHECKS[vector["kind"]](vector)
