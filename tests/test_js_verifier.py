"""The JavaScript verifier (verifiers/js, Node.js standard library only) agrees with ours.

It is run when ``node`` is on PATH; otherwise these tests are skipped and say why. The JS side
computes every verdict, error class and fraud proof itself; these tests compare its answers with
the golden vectors' expectations and with freshly generated Python rounds (honest, cheating and
tampered), decodings and fraud/equivocation proofs.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import random
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from verifiable import DecodeError, MerkleTree, MultiProof, VerificationError, verify_multiproof
from verifiable.challenge import beacon_seed, derive_indices, probe_seed
from verifiable.identity import Identity, verify_signature
from verifiable.messages import (
    Challenge,
    Commitment,
    EquivocationProof,
    FraudProof,
    Job,
    SpotCheckProof,
    Verdict,
    verify_equivocation,
    verify_fraud_proof,
)
from verifiable.protocol import Provider, ProviderRun, Verifier
from verifiable.soundness import describe, detection_probability

ROOT = Path(__file__).resolve().parent.parent
JS = ROOT / "verifiers" / "js" / "verify.mjs"
NODE = shutil.which("node")
L_ORDER = 2**252 + 27742317777372353535851937790883648493  # the order of Ed25519's base point
pytestmark = pytest.mark.skipif(NODE is None, reason="node is not on PATH: the JavaScript verifier was not run")


def run_js(command: str, payload: object, tmp_path: Path) -> list[dict[str, object]]:
    path = tmp_path / "cases.json"
    path.write_text(json.dumps(payload))
    done = subprocess.run([str(NODE), str(JS), command, str(path)], capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def ours(case: dict[str, object]) -> bool:
    proof = MultiProof.from_bytes(bytes.fromhex(str(case["proof"])))
    leaves = [bytes.fromhex(h) for h in case["leaf_hashes"]]  # type: ignore[attr-defined]
    try:
        verify_multiproof(proof=proof, leaf_hashes=dict(zip(proof.indices, leaves)),
                          root=bytes.fromhex(str(case["root"])), tree_size=int(case["trusted_size"]),  # type: ignore[call-overload]
                          mode=str(case["mode"]))
    except VerificationError:
        return False
    return True


def test_multiproofs_agree_with_python(tmp_path: Path) -> None:
    rng = random.Random(6962)
    cases = []
    for n in [1, 2, 3, 5, 8, 13, 64, 100, 257, 1000]:
        for mode in ("rfc6962", "merkletools"):
            tree = MerkleTree([rng.randbytes(rng.randrange(0, 40)) for _ in range(n)], mode=mode)
            idx = sorted(rng.sample(range(n), rng.randint(1, min(n, 12))))
            proof = tree.multiproof(idx)
            good = {"proof": proof.to_bytes().hex(), "trusted_size": n, "mode": mode, "root": tree.root.hex(),
                    "leaf_hashes": [tree.leaf_hash(i).hex() for i in idx]}
            cases.append(good)
            # tampered: every sibling flipped once, a leaf, the root, the trusted size
            for j in range(len(proof.siblings)):
                sibs = list(proof.siblings)
                sibs[j] = bytes([sibs[j][0] ^ 1]) + sibs[j][1:]
                cases.append({**good, "proof": MultiProof(n, proof.indices, tuple(sibs)).to_bytes().hex()})
            cases.append({**good, "leaf_hashes": ["00" * 32] + good["leaf_hashes"][1:]})
            cases.append({**good, "root": ("ff" + good["root"][2:]) if good["root"][:2] != "ff" else "00" + good["root"][2:]})
            cases.append({**good, "trusted_size": n + 1})
            cases.append({**good, "proof": good["proof"] + "00"})
    verdicts = run_js("multiproofs", cases, tmp_path)
    assert len(verdicts) == len(cases)
    for case, verdict in zip(cases, verdicts):
        try:
            expected = ours(case)
        except Exception:  # noqa: BLE001 - our decoder refused it: the JS one must too
            expected = False
        assert verdict["ok"] is expected, (case, verdict)
    assert sum(bool(v["ok"]) for v in verdicts) == 20


# ---- the protocol: golden vectors ----------------------------------------------------------

VECTORS = ROOT / "tests" / "vectors" / "protocol"
_spec = importlib.util.spec_from_file_location("protocol_vectors_generate_js", VECTORS / "generate.py")
assert _spec is not None and _spec.loader is not None
generate = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(generate)  # also registers the vectors.words workload


def run_cli(*args: str, expect: int | None = 0) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([str(NODE), str(JS), *args], capture_output=True, text=True, timeout=120, check=False)
    if expect is not None:
        assert done.returncode == expect, (done.returncode, done.stderr, done.stdout[-2000:])
    return done


def run_vectors(directory: Path, expect: int | None = 0) -> dict[str, dict[str, Any]]:
    done = run_cli("vectors", str(directory), expect=expect)
    results = [json.loads(line) for line in done.stdout.splitlines()]
    return {r["name"]: r for r in results}


def agrees(kind: str, expected: dict[str, Any], got: dict[str, Any]) -> bool:
    """The categories a verifier must reach: verdict and failure, error class, conviction."""
    if kind == "round":
        return (got["accepted"], got["failure"], got["fraud_index"]) == (
            expected["accepted"], expected["failure"], expected["fraud_index"])
    if kind == "decode":
        return got["error"] == expected["error"] and (got["error"] is not None or got["digest"] == expected["digest"])
    if kind == "verdict_signature":
        return bool(got["valid"] == expected["valid"])
    if expected["convicts"]:
        return got["convicts"] is True and got["provider_key"] == expected["provider_key"] and (
            kind == "equivocation" or got["index"] == expected["index"])
    return got["convicts"] is False and got["error"] == expected["error"]


def test_every_golden_vector() -> None:
    files = sorted(p for p in VECTORS.glob("*.json") if p.name != "keys.json")
    results = run_vectors(VECTORS)
    assert set(results) == {p.stem for p in files}
    for path in files:
        vector = json.loads(path.read_text())
        result = results[path.stem]
        assert result["ok"], (path.stem, result["problems"])
        assert agrees(vector["kind"], vector["expected"], result["got"]), (path.stem, result["got"])
    rounds = [r for r in results.values() if r["kind"] == "round"]
    assert {r["got"]["failure"] for r in rounds} == {None, "decode", "signature", "binding", "multiproof", "chunk"}
    # the soundness words of every verdict are reproduced from its probability
    assert all(r["got"]["words_identical"] for r in rounds)


def test_the_checker_reports_disagreement(tmp_path: Path) -> None:
    """Expectations edited in a copy of the vectors are reported, so agreement means something."""
    edits = {
        "round-honest-n5": lambda e: e.update(accepted=False, failure="chunk"),
        "round-proof-sibling-altered": lambda e: e.update(failure="binding"),
        "round-cheat-caught-one-chunk": lambda e: e.update(fraud_index=8),
        "round-honest-n64-samples4": lambda e: e.update(detection_probability=e["detection_probability"] * 1.001),
        "decode-job-non-minimal-int": lambda e: e.update(error=None),
        "decode-commitment-valid": lambda e: e.update(digest="00" * 32),
        "fraud-moved-to-honest-chunk": lambda e: e.update(convicts=True, index=8),
        "equivocation-valid": lambda e: e.update(provider_key="11" * 32),
        "verdict-signature-flipped": lambda e: e.update(valid=True),
    }
    for name, edit in edits.items():
        vector = json.loads((VECTORS / f"{name}.json").read_text())
        edit(vector["expected"])
        (tmp_path / f"{name}.json").write_text(json.dumps(vector))
    results = run_vectors(tmp_path, expect=1)
    assert {name for name, r in results.items() if not r["ok"]} == set(edits)


# ---- the protocol: fresh rounds from Python ------------------------------------------------


def _vector_inputs(inputs: dict[str, Any]) -> dict[str, Any]:
    return generate.input_json(inputs)


def _round(name: str, job: Job, inputs: dict[str, Any], verifier: Identity, com: bytes, ch: bytes, pr: bytes,
           bad_fraction: float) -> dict[str, Any]:
    result = Verifier(verifier).verify(job, com, ch, pr, inputs=inputs, bad_fraction=bad_fraction)
    v = result.verdict
    fp = result.fraud_proof
    return {
        "name": name, "kind": "round", "description": "fresh", "inputs": _vector_inputs(inputs),
        "verify": {"verifier_seed": verifier_seeds[verifier.public_key].hex(), "bad_fraction": bad_fraction},
        "messages": {"job": job.to_bytes().hex(), "commitment": com.hex(), "challenge": ch.hex(), "proof": pr.hex()},
        "expected": {
            "accepted": v.accepted, "failure": generate.category(v.reasons[0]) if v.reasons else None,
            "reasons": list(v.reasons), "detection_probability": v.detection_probability, "verdict": v.to_bytes().hex(),
            "fraud_proof": None if fp is None else fp.to_bytes().hex(), "fraud_index": None if fp is None else fp.index,
        },
    }


verifier_seeds: dict[bytes, bytes] = {}


def _identity(rng: random.Random) -> Identity:
    seed = rng.randbytes(32)
    ident = Identity.from_seed(seed)
    verifier_seeds[ident.public_key] = seed
    return ident


def _flip(raw: bytes, rng: random.Random) -> bytes:
    pos = rng.randrange(len(raw))
    return raw[:pos] + bytes([raw[pos] ^ (1 << rng.randrange(8))]) + raw[pos + 1:]


def fresh_rounds(seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    provider, verifier, stranger = _identity(rng), _identity(rng), _identity(rng)
    vectors: list[dict[str, Any]] = []
    plans: list[tuple[str, int, int | None, bool]] = [
        # (workload, chunks, samples or None for the default, beacon)
        ("chunk_digest", 1, None, False), ("chunk_digest", 37, 9, False), ("chunk_digest", 300, None, False),
        ("chunk_digest", 64, 12, True), ("vectors.words", 50, 20, False), ("vectors.words", 70, 11, True),
        # more than 2,048 samples: the Euler-Maclaurin branch of the miss probability
        ("chunk_digest", 5000, 2500, False),
        # an input of about a megabyte (its hex in the round's JSON is two)
        ("chunk_digest", 2**17, 8, False),
    ]
    for k, (workload, n, samples, beacon) in enumerate(plans):
        if workload == "chunk_digest":
            size = rng.randrange(1, 9)
            job, inputs = generate.digest_job(n * size - rng.randrange(size), size, f"js-{seed}-{k}")
        else:
            job, inputs = generate.words_job(n, rng.randrange(2**32))
        outputs = job.get_workload().compute(dict(job.params), inputs, threads=1)
        bad = sorted(rng.sample(range(n), min(n, rng.choice([1, 3]))))
        for label, wrong in (("honest", []), ("cheat", bad)):
            outs = list(outputs)
            for i in wrong:
                outs[i] = rng.randbytes(32) if rng.random() < 0.8 else outs[i][:31]
            tree = MerkleTree(outs, threads=1)
            run = ProviderRun(job, outs, tree, Commitment.create(provider, job, tree.root))
            ch = Verifier(verifier).challenge(job, run.commitment, samples=samples, rng=rng.randbytes,
                                              beacon=rng.randbytes(rng.randrange(1, 40)) if beacon else None)
            pr = Provider(provider, threads=1).respond(run, ch)
            com_b, ch_b, pr_b = run.commitment.to_bytes(), ch.to_bytes(), pr.to_bytes()
            fraction = rng.choice([0.01, 0.05, 0.25, 1.0])
            base = f"fresh-{seed}-{k}-{label}"
            vectors.append(_round(base, job, inputs, verifier, com_b, ch_b, pr_b, fraction))
            if label == "cheat" or n > 1000:
                continue
            # tampered: a flipped bit anywhere, a byte more or less, another key, a replayed challenge
            for t in range(4):
                which = rng.randrange(3)
                msgs = [com_b, ch_b, pr_b]
                msgs[which] = _flip(msgs[which], rng)
                vectors.append(_round(f"{base}-flip{t}", job, inputs, verifier, *msgs, fraction))
            vectors.append(_round(f"{base}-short", job, inputs, verifier, com_b, ch_b, pr_b[:-1], fraction))
            vectors.append(_round(f"{base}-stranger", job, inputs, verifier, com_b, ch_b, pr.signed(stranger).to_bytes(),
                                  fraction))
            other = Verifier(verifier).challenge(job, run.commitment, samples=samples, rng=rng.randbytes)
            vectors.append(_round(f"{base}-replay", job, inputs, verifier, com_b, other.to_bytes(), pr_b, fraction))
            foreign = Verifier(stranger).challenge(job, run.commitment, samples=samples, rng=rng.randbytes)
            foreign_pr = Provider(provider, threads=1).respond(run, foreign)
            vectors.append(_round(f"{base}-foreign", job, inputs, verifier, com_b, foreign.to_bytes(),
                                  foreign_pr.to_bytes(), fraction))
    # an array input (PROTOCOL.md section 6): hashed with its header, chunked as its raw elements
    arr = np.arange(35, dtype="<i4").reshape(5, 7) * 7919
    job = Job.create("chunk_digest", {"chunk_size": 12}, {"data": arr})
    outs = job.get_workload().compute(dict(job.params), {"data": arr}, threads=1)
    outs[4] = bytes(32)
    tree = MerkleTree(outs, threads=1)
    run = ProviderRun(job, outs, tree, Commitment.create(provider, job, tree.root))
    for beacon in (None, b"array beacon"):
        ch = Verifier(verifier).challenge(job, run.commitment, samples=job.n_chunks, rng=rng.randbytes, beacon=beacon)
        pr = Provider(provider, threads=1).respond(run, ch)
        vectors.append(_round(f"fresh-{seed}-array-{beacon is None}", job, {"data": arr}, verifier,
                              run.commitment.to_bytes(), ch.to_bytes(), pr.to_bytes(), 0.05))
    return vectors


def test_fresh_rounds_agree_with_python(tmp_path: Path) -> None:
    vectors = fresh_rounds(20240501)
    for v in vectors:
        (tmp_path / f"{v['name']}.json").write_text(json.dumps(v))
    results = run_vectors(tmp_path)
    assert len(results) == len(vectors)
    for v in vectors:
        got = results[v["name"]]
        assert got["ok"], (v["name"], got["problems"], v["expected"]["reasons"])
        assert agrees("round", v["expected"], got["got"])
    failures = {v["expected"]["failure"] for v in vectors}
    assert {None, "decode", "signature", "binding", "chunk"} <= failures


# ---- the protocol: strict decoding and proofs, mutated -------------------------------------

TYPES = {cls.__name__: cls for cls in (Job, Commitment, Challenge, SpotCheckProof, Verdict, FraudProof,
                                       EquivocationProof)}


def _python_decode(type_name: str, raw: bytes) -> dict[str, Any]:
    try:
        msg = TYPES[type_name].from_bytes(raw)
    except DecodeError:
        return {"error": "DecodeError"}
    return {"error": None, "digest": msg.digest().hex()}


def _mutants(raw: bytes, rng: random.Random, budget: int) -> list[bytes]:
    positions = range(len(raw)) if len(raw) <= budget else sorted(rng.sample(range(len(raw)), budget))
    out = [raw, raw + b"\x00", raw[:-1], raw[: len(raw) // 2], b""]
    for pos in positions:
        out.append(raw[:pos] + bytes([raw[pos] ^ 0x01]) + raw[pos + 1:])
        out.append(raw[:pos] + bytes([raw[pos] ^ 0xFF]) + raw[pos + 1:])
    return out


def _sample_messages() -> dict[str, bytes]:
    job, inputs = generate.digest_job(20 * 8, 8, "cheat20")
    run = generate.cheating_run(job, inputs, {7: b"\x00" * 32})
    _, ch, pr = generate.honest(job, inputs, "cheat20", samples=20, run=run)
    result = Verifier(generate.VERIFIER).verify(job, run.commitment, ch, pr, inputs=inputs)
    _, bch, _ = generate.honest(job, inputs, "js-beacon", samples=3, beacon=b"round 1", run=run)
    params = Job("vectors.words", {"count": 3, "multiplier": 5, "z": -300, "s": "h\u00e9", "b": b"\x00\x01"}, {}, 3)
    other = generate.cheating_run(job, inputs, {2: b"\x05" * 32})
    fraud = FraudProof.create(job, run.commitment, ch, pr, ch.indices[0], inputs)
    return {
        "Job": job.to_bytes(), "Job ": params.to_bytes(), "Commitment": run.commitment.to_bytes(),
        "Challenge": ch.to_bytes(), "Challenge ": bch.to_bytes(), "SpotCheckProof": pr.to_bytes(),
        "Verdict": result.verdict.to_bytes(), "FraudProof": fraud.to_bytes(),
        "EquivocationProof": EquivocationProof(run.commitment, other.commitment).to_bytes(),
    }


def test_strict_decoding_agrees_with_python(tmp_path: Path) -> None:
    """Every message type, each byte flipped (or a sample of positions), truncated, extended:
    the JS decoder accepts exactly what ours accepts, with the same digest."""
    rng = random.Random(4)
    cases = []
    for key, raw in _sample_messages().items():
        type_name = key.strip()
        for mutant in _mutants(raw, rng, 400):
            cases.append({"type": type_name, "hex": mutant.hex()})
        # every type's valid bytes offered as every other type
        for other in TYPES:
            cases.append({"type": other, "hex": raw.hex()})
    verdicts = run_js("decode", cases, tmp_path)
    assert len(verdicts) == len(cases)
    accepted = 0
    for case, got in zip(cases, verdicts):
        want = _python_decode(case["type"], bytes.fromhex(case["hex"]))
        assert got["error"] == want["error"], (case["type"], case["hex"][:200], got)
        if want["error"] is None:
            accepted += 1
            assert got["digest"] == want["digest"]
    assert accepted >= 9


def test_fraud_and_equivocation_proofs_mutated(tmp_path: Path) -> None:
    """Fraud and equivocation proofs with bytes flipped in their nested messages and inputs: the
    JS verifier convicts exactly when ours does and names the same error class otherwise."""
    rng = random.Random(5)
    messages = _sample_messages()
    fraud_raw = dataclasses.replace(FraudProof.from_bytes(messages["FraudProof"]), index=7).to_bytes()
    assert verify_fraud_proof(FraudProof.from_bytes(fraud_raw)).index == 7
    vectors = []
    for k, mutant in enumerate(_mutants(fraud_raw, rng, 150)):
        try:
            finding = verify_fraud_proof(FraudProof.from_bytes(mutant))
            expected = {"convicts": True, "index": finding.index, "provider_key": finding.provider_key.hex()}
        except (DecodeError, VerificationError) as exc:
            expected = {"convicts": False, "error": type(exc).__name__, "message": str(exc)}
        vectors.append({"name": f"fraud-{k}", "kind": "fraud_proof", "fraud_proof": mutant.hex(), "expected": expected})
    for k, mutant in enumerate(_mutants(messages["EquivocationProof"], rng, 120)):
        try:
            key = verify_equivocation(EquivocationProof.from_bytes(mutant))
            expected = {"convicts": True, "provider_key": key.hex()}
        except (DecodeError, VerificationError) as exc:
            expected = {"convicts": False, "error": type(exc).__name__}
        vectors.append({"name": f"equivocation-{k}", "kind": "equivocation", "equivocation_proof": mutant.hex(),
                        "expected": expected})
    for v in vectors:
        (tmp_path / f"{v['name']}.json").write_text(json.dumps(v))
    results = run_vectors(tmp_path, expect=None)
    convicted = 0
    for v in vectors:
        got = results[v["name"]]["got"]
        if v["kind"] == "fraud_proof" and got.get("error") == "Unsupported":
            # a flipped workload name: ours knows no such workload either and does not convict
            assert "no workload named" in v["expected"]["message"], (v["name"], got)
            continue
        assert agrees(v["kind"], v["expected"], got), (v["name"], v["expected"], got)
        convicted += bool(got["convicts"])
    assert convicted == 2  # the two originals: every other byte is bound by a signature, digest or derivation


# ---- the single-message commands --------------------------------------------------------------


def test_cli_fraud_proof_equivocation_and_round(tmp_path: Path) -> None:
    fraud = json.loads((VECTORS / "fraud-valid-chunk-digest.json").read_text())["fraud_proof"]
    (tmp_path / "fp.bin").write_bytes(bytes.fromhex(fraud))
    (tmp_path / "fp.hex").write_text(fraud + "\n")
    for name in ("fp.bin", "fp.hex"):
        out = json.loads(run_cli("fraud-proof", str(tmp_path / name)).stdout)
        assert out["convicts"] is True and out["index"] == 7
    framed = json.loads((VECTORS / "fraud-framing-honest-provider.json").read_text())["fraud_proof"]
    (tmp_path / "framed.hex").write_text(framed)
    assert json.loads(run_cli("fraud-proof", str(tmp_path / "framed.hex"), expect=1).stdout)["convicts"] is False
    ep = json.loads((VECTORS / "equivocation-valid.json").read_text())["equivocation_proof"]
    (tmp_path / "ep.bin").write_bytes(bytes.fromhex(ep))
    assert json.loads(run_cli("equivocation", str(tmp_path / "ep.bin")).stdout)["convicts"] is True
    rnd = json.loads((VECTORS / "round-honest-n5.json").read_text())
    (tmp_path / "round.json").write_text(json.dumps(rnd))
    out = json.loads(run_cli("round", str(tmp_path / "round.json")).stdout)
    assert out["accepted"] is True and out["verdict"] == rnd["expected"]["verdict"]
    cheat = json.loads((VECTORS / "round-cheat-caught-one-chunk.json").read_text())
    (tmp_path / "cheat.json").write_text(json.dumps(cheat))
    out = json.loads(run_cli("round", str(tmp_path / "cheat.json"), expect=1).stdout)
    assert out["failure"] == "chunk" and out["fraud_proof"] == cheat["expected"]["fraud_proof"]
    # bad usage: exit status 2 and a message, never a stack trace
    for args in (("vectors", str(tmp_path / "missing")), ("nonsense", "x"), ("fraud-proof",)):
        done = run_cli(*args, expect=2)
        assert "Error:" not in done.stderr and "at " not in done.stderr


def test_workload_name_is_checked_as_the_spec_says(tmp_path: Path) -> None:
    """PROTOCOL.md 2.1: the workload name matches [a-z][a-z0-9_.-]{0,63}, nothing after it."""
    base = b"VFPR\x01\x01"
    tail = b"\x00\x00\x00\x00" + (4).to_bytes(8, "big")
    names = [b"chunk_digest", b"a" * 64, b"a" * 65, b"Chunk", b"9lives", b"chunk_digest\n", b"", b"ch\xc3\xa9"]
    cases = [{"type": "Job", "hex": (base + bytes([len(n)]) + n + tail).hex()} for n in names]
    got = [r["error"] for r in run_js("decode", cases, tmp_path)]
    assert got == [None, None] + ["DecodeError"] * 6


# ---- the primitives, against ours ------------------------------------------------------------


def test_selftest_known_answers_of_the_spec() -> None:
    assert json.loads(run_cli("selftest", "-").stdout) == {"ok": True}


def test_challenge_derivation_agrees_with_python(tmp_path: Path) -> None:
    rng = random.Random(11)
    cases: list[dict[str, Any]] = []
    for _ in range(40):
        n = rng.choice([1, 2, 3, 7, 1000, 2**20, 2**32 + 15, 2**63 + 1, 2**64 - 1, rng.randrange(1, 2**64)])
        s = rng.randint(1, min(n, 300))
        if rng.random() < 0.3:
            cases.append({"beacon": rng.randbytes(rng.randint(1, 64)).hex(), "commitment_digest": rng.randbytes(32).hex(),
                          "n": str(n), "s": str(s)})
        else:
            cases.append({"seed": rng.randbytes(32).hex(), "n": str(n), "s": str(s)})
    for got, case in zip(run_js("derive", cases, tmp_path), cases):
        n, s = int(case["n"]), int(case["s"])
        seed = (beacon_seed(bytes.fromhex(case["beacon"]), bytes.fromhex(case["commitment_digest"]))
                if "beacon" in case else bytes.fromhex(case["seed"]))
        indices = derive_indices(seed, n, s)
        assert got["seed"] == seed.hex()
        assert got["indices"] == [str(i) for i in indices]
        assert got["check_seeds"] == [probe_seed(seed, i).hex() for i in indices]


def test_soundness_agrees_with_python(tmp_path: Path) -> None:
    """Detection probabilities (direct products, Euler-Maclaurin, the false-accept sum) to 1e-12
    relative, and the verdict's words for them."""
    rng = random.Random(12)
    cases: list[dict[str, Any]] = []
    for _ in range(150):
        n = rng.choice([rng.randint(1, 5000), rng.randint(1, 2**30), 2**40 + rng.randrange(2**20), 2**64 - 1])
        b = rng.choice([0, 1, rng.randint(0, n), min(n, rng.randint(1, 10**6))])
        s = rng.choice([1, rng.randint(0, min(n, 5000)), rng.randint(0, n), min(n, rng.randint(2049, 10**6))])
        eps = rng.choice([0.0, 0.0, 0.875, 0.5, 1e-9, 1.0])
        if b * s > 1000 * n:  # E[J] above 1000: the false-accept sum takes seconds (in Python too)
            eps = rng.choice([0.0, 1.0])
        cases.append({"n": str(n), "b": str(b), "s": str(s), "eps": eps})
    identical = 0
    for got, case in zip(run_js("soundness", cases, tmp_path), cases):
        want = detection_probability(int(case["n"]), int(case["b"]), int(case["s"]), case["eps"])
        p = got["detection_probability"]
        assert p == pytest.approx(want, rel=1e-12, abs=1e-300), case
        identical += p == want
        if p == want:
            assert got["words"] == describe(want), case
    assert identical >= len(cases) * 0.9  # the same formulas, rounded the same way, mostly to the bit


def test_signatures_are_as_strict_as_libsodium(tmp_path: Path) -> None:
    rng = random.Random(13)
    ident = Identity.from_seed(rng.randbytes(32))
    domain = "commitment/v1"
    cases: list[dict[str, str]] = []

    def add(pk: bytes, message: bytes, sig: bytes, dom: str = domain) -> None:
        cases.append({"public_key": pk.hex(), "domain": dom, "message": message.hex(), "signature": sig.hex()})

    for k in range(5):
        msg = rng.randbytes(k * 17)
        sig = ident.sign(domain.encode(), msg)
        add(ident.public_key, msg, sig)
        add(ident.public_key, msg, sig, "verdict/v1")  # another domain
        add(ident.public_key, msg + b"\x00", sig)
        add(ident.public_key, msg, sig[:k] + bytes([sig[k] ^ 1]) + sig[k + 1:])
        s = int.from_bytes(sig[32:], "little")
        add(ident.public_key, msg, sig[:32] + (s + L_ORDER).to_bytes(32, "little"))  # S + L: same equation
    small_order = ["01" + "00" * 31, "00" * 32, "ec" + "ff" * 30 + "7f", "ed" + "ff" * 30 + "7f", "ee" + "ff" * 30 + "7f",
                   "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
                   "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
                   "0100000000000000000000000000000000000000000000000000000000000080"]
    for pk in small_order:
        for sig in (bytes.fromhex("01" + "00" * 31) + bytes(32), bytes(64)):
            add(bytes.fromhex(pk), b"anything", sig)
    add(b"\xff" * 32, b"", ident.sign(domain.encode(), b""))  # not a canonical point encoding
    got = [r["valid"] for r in run_js("signatures", cases, tmp_path)]
    want = []
    for c in cases:
        try:
            verify_signature(bytes.fromhex(c["public_key"]), c["domain"].encode(), bytes.fromhex(c["message"]),
                             bytes.fromhex(c["signature"]))
            want.append(True)
        except VerificationError:
            want.append(False)
    assert got == want
    assert sum(want) == 5


def test_embedded_arrays_decode_as_ours(tmp_path: Path) -> None:
    """A fraud proof's array inputs: numpy's canonical little-endian type strings of kinds b, i,
    u, f, c are accepted (but for the platform-dependent <f16 and <c32), anything else refused, and the shape must account for every byte."""
    job, inputs = generate.digest_job(20 * 8, 8, "cheat20")
    run = generate.cheating_run(job, inputs, {7: b"\x00" * 32})
    _, ch, pr = generate.honest(job, inputs, "cheat20", samples=20, run=run)
    prefix = FraudProof(job, run.commitment, ch, pr, 7, {}).to_bytes()[:-2]

    def fraud_with(payload: bytes) -> str:
        entry = b"\x00\x01\x04data\x02" + len(payload).to_bytes(8, "big") + payload
        return (prefix + entry).hex()

    def array(code: bytes, shape: tuple[int, ...], nbytes: int) -> bytes:
        dims = b"".join(d.to_bytes(8, "big") for d in shape)
        return b"VFAR\x01" + bytes([len(code)]) + code + bytes([len(shape)]) + dims + bytes(nbytes)

    codes = [b"|b1", b"|i1", b"|u1", b"<i2", b"<u2", b"<i4", b"<u4", b"<i8", b"<u8", b"<f2", b"<f4", b"<f8",
             b"<f16", b"<c8", b"<c16", b"<c32", b"<b1", b"<u1", b"i4", b">i4", b"<i16", b"<U4", b"|S3", b"<M8[s]",
             b"|V4", b"|O", b"<g", b"f8", b"float64", b"", b"(", b"<f8\x00", b"\xff"]
    payloads = []
    for code in codes:
        size = int(code[2:]) if code[:1] in b"<|" and code[2:].isdigit() else 4
        payloads += [array(code, (2, 3), 6 * size), array(code, (), size), array(code, (2, 3), 6 * size + 1)]
    payloads += [array(b"<i4", (0,), 0), array(b"<i4", (1,) * 32, 4), array(b"<i4", (1,) * 33, 4),
                 array(b"<i4", (2**63, 2), 0), b"VFAR\x02\x03<i4\x00" + bytes(4), b"VFAR", b""]
    cases = [{"type": "FraudProof", "hex": fraud_with(p)} for p in payloads]
    got = run_js("decode", cases, tmp_path)
    accepted = 0
    for case, result in zip(cases, got):
        want = _python_decode("FraudProof", bytes.fromhex(case["hex"]))
        assert result["error"] == want["error"], (case["hex"][len(prefix) * 2:][:80], result)
        accepted += want["error"] is None
    assert accepted == 2 * 14 + 2  # 14 portable dtypes (no <f16, <c32), and two shapes of <i4


def test_false_accept_sum_with_a_distant_mode_agrees_with_python() -> None:
    """The JS false-accept sum is linear too (it was quadratic: 50,000 rescalings of a growing
    list for the first case) and gives Python's log miss probability."""
    from verifiable.soundness import log_miss_probability

    cases = [(1099512294097, 802422, 138992296528, 0.5), (6000, 1500, 2000, 0.5), (6000, 1500, 2000, 0.875),
             (10**9, 10**7, 10**5, 0.5), (1000, 10, 100, 0.5)]
    module = (ROOT / "verifiers" / "js" / "soundness.mjs").as_uri()
    script = (f"import({json.dumps(module)}).then((m) => {{ for (const [n, b, s, e] of {json.dumps(cases)}) "
              "console.log(String(m.logMissProbability(BigInt(n), BigInt(b), BigInt(s), e))); });")
    done = subprocess.run([str(NODE), "--input-type=module", "-e", script], capture_output=True, text=True,
                          timeout=120, check=True)
    got = [float(line) for line in done.stdout.split()]
    assert len(got) == len(cases)
    for value, (n, b, s, e) in zip(got, cases):
        assert value == pytest.approx(log_miss_probability(n, b, s, e), rel=1e-12), (n, b, s, e)
