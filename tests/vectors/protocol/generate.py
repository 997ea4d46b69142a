"""Generate the protocol's golden vectors (tests/vectors/protocol/*.json).

    .venv/bin/python tests/vectors/protocol/generate.py          # (re)write every file
    .venv/bin/python tests/vectors/protocol/generate.py --check  # exit 1 if a file would change

Deterministic: fixed Ed25519 keys (``Identity.from_seed``), fixed data, and a counter-mode
SHA-256 stream in place of the CSPRNG for nonces and interactive seeds, so re-running writes
identical files. tests/test_protocol_vectors.py rebuilds every vector in memory, compares it
with the file, and re-checks every expectation from the file alone. README.md in this
directory describes the format and the ``vectors.words`` workload.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import struct
import sys
from pathlib import Path
from typing import Any

from verifiable import MerkleTree
from verifiable.exceptions import DecodeError, InvalidInputError, VerificationError
from verifiable.identity import Identity
from verifiable.messages import (
    MAGIC,
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
    verify_fraud_proof,
)
from verifiable.protocol import Provider, ProviderRun, Verifier
from verifiable.workloads import CheckReport, Workload, register_workload

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))  # tests/, where the fixed keys live, when run as a script

from _identities import KEYS, PROVIDER, SEEDS, VERIFIER, drbg

# ---- the tiny vectors workload -------------------------------------------------------------


class Words(Workload):
    """``vectors.words``: no inputs; chunk i is eight 32-bit big-endian words
    ``w_j = (multiplier * (8 i + j) + 0x9E3779B9) mod 2^32``; the check looks at one word only,
    ``j = check_seed[0] mod 8``, so it passes a wrong chunk with probability up to 7/8."""

    name = "vectors.words"

    def normalize_params(self, params: Any) -> dict[str, int | str | bytes]:
        if set(params) != {"count", "multiplier"}:
            raise InvalidInputError("vectors.words takes exactly count and multiplier")
        count, mult = params["count"], params["multiplier"]
        if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 2**20:
            raise InvalidInputError("count must be an int in [1, 2^20]")
        if isinstance(mult, bool) or not isinstance(mult, int) or not 0 <= mult < 2**32:
            raise InvalidInputError("multiplier must be an int in [0, 2^32)")
        return {"count": count, "multiplier": mult}

    def chunk_count(self, params: Any, inputs: Any) -> int:
        return int(params["count"])

    def compute_chunk(self, params: Any, inputs: Any, index: int) -> bytes:
        m = int(params["multiplier"])
        return b"".join(struct.pack(">I", (m * (8 * index + j) + 0x9E3779B9) % 2**32) for j in range(8))

    def check(self, params: Any, inputs: Any, index: int, output: bytes, *, seed: bytes) -> CheckReport:
        if len(output) != 32:
            raise VerificationError(f"vectors.words: chunk {index} is {len(output)} bytes, not 32")
        j = seed[0] % 8
        if output[4 * j : 4 * j + 4] != self.compute_chunk(params, inputs, index)[4 * j : 4 * j + 4]:
            raise VerificationError(f"vectors.words: chunk {index}, word {j} is wrong")
        return CheckReport(index, "one word of eight", 7 / 8)


register_workload(Words(), replace=True)


# ---- deterministic helpers -----------------------------------------------------------------


def data(label: str, size: int) -> bytes:
    return drbg("data/" + label)(size)


def flip(raw: bytes, pos: int, mask: int = 0x01) -> bytes:
    return raw[:pos] + bytes([raw[pos] ^ mask]) + raw[pos + 1 :]


def with_version(raw: bytes, version: int) -> bytes:
    return raw[:5] + bytes([version]) + raw[6:]


def cheating_run(job: Job, inputs: dict[str, Any], bad: dict[int, bytes], identity: Identity = PROVIDER) -> ProviderRun:
    outputs = job.get_workload().compute(dict(job.params), inputs, threads=1)
    for i, out in bad.items():
        outputs[i] = out
    tree = MerkleTree(outputs, threads=1)
    return ProviderRun(job, outputs, tree, Commitment.create(identity, job, tree.root))


def honest(job: Job, inputs: dict[str, Any], label: str, *, samples: int | None = None,
           beacon: bytes | None = None, run: ProviderRun | None = None) -> tuple[ProviderRun, Challenge, SpotCheckProof]:
    provider, verifier = Provider(PROVIDER, threads=1), Verifier(VERIFIER)
    run = run or provider.run(job, inputs)
    ch = verifier.challenge(job, run.commitment, samples=samples, beacon=beacon, rng=drbg(label))
    return run, ch, provider.respond(run, ch)


def digest_job(n_bytes: int, chunk_size: int, label: str) -> tuple[Job, dict[str, Any]]:
    inputs = {"data": data(label, n_bytes)}
    return Job.create("chunk_digest", {"chunk_size": chunk_size}, inputs), inputs


def words_job(count: int, multiplier: int) -> tuple[Job, dict[str, Any]]:
    return Job.create("vectors.words", {"count": count, "multiplier": multiplier}, {}), {}


def hexed(msg: Any) -> str:
    return (msg if isinstance(msg, (bytes, bytearray)) else msg.to_bytes()).hex()


def input_json(inputs: dict[str, Any]) -> dict[str, Any]:
    return {name: {"kind": EmbeddedInput.of(v).kind, "hex": EmbeddedInput.of(v).data.hex()}
            for name, v in sorted(inputs.items())}


# ---- failure categories (the order of checks in docs/PROTOCOL.md) --------------------------

CATEGORIES = (
    ("decode", ("does not decode",)),
    ("signature", ("bad signature", "not issued by this verifier")),
    ("binding", ("another job", "another commitment", "another challenge", "chunk count", "derive_indices",
                 "probe_seed", "beacon_seed")),
    ("multiproof", ("proof's tree has", "opens other chunks", "do not match the committed root")),
    ("chunk", ("fails its check",)),
)


def category(reason: str) -> str:
    for name, needles in CATEGORIES:
        if any(n in reason for n in needles):
            return name
    raise ValueError(f"uncategorized reason {reason!r}")


# ---- vector builders -----------------------------------------------------------------------

VECTORS: dict[str, dict[str, Any]] = {}


def add(name: str, vector: dict[str, Any]) -> None:
    if name in VECTORS:
        raise ValueError(f"duplicate vector {name}")
    VECTORS[name] = {"name": name, **vector}


def round_vector(name: str, description: str, failure: str | None, job: Job, inputs: dict[str, Any],
                 commitment: Any, challenge: Any, proof: Any, *, bad_fraction: float = 0.01) -> None:
    result = Verifier(VERIFIER).verify(job, hexable(commitment), hexable(challenge), hexable(proof), inputs=inputs,
                                       bad_fraction=bad_fraction)
    v = result.verdict
    cats = sorted({category(r) for r in v.reasons})
    if (failure is None) != v.accepted or (failure is not None and cats[0:1] != [failure] and failure not in cats):
        raise AssertionError(f"{name}: expected failure {failure}, got {v.reasons}")
    fp = result.fraud_proof
    add(name, {
        "kind": "round",
        "description": description,
        "workload": job.workload,
        "inputs": input_json(inputs),
        "verify": {"verifier_seed": SEEDS["verifier"].hex(), "bad_fraction": bad_fraction},
        "messages": {"job": hexed(job), "commitment": hexed(hexable(commitment)),
                     "challenge": hexed(hexable(challenge)), "proof": hexed(hexable(proof))},
        "expected": {
            "accepted": v.accepted,
            "failure": failure,
            "reasons": list(v.reasons),
            "detection_probability": v.detection_probability,
            "verdict": hexed(v),
            "fraud_proof": None if fp is None else hexed(fp),
            "fraud_index": None if fp is None else fp.index,
        },
    })


def hexable(msg: Any) -> bytes:
    return msg if isinstance(msg, bytes) else msg.to_bytes()


def decode_vector(name: str, description: str, cls: type, raw: bytes, error: str | None, match: str = "") -> None:
    try:
        msg = cls.from_bytes(raw)  # type: ignore[attr-defined]
    except DecodeError as exc:
        if error != "DecodeError" or match not in str(exc):
            raise AssertionError(f"{name}: {exc}") from None
    else:
        if error is not None:
            raise AssertionError(f"{name}: decoded")
        assert msg.to_bytes() == raw
    add(name, {
        "kind": "decode", "description": description, "message_type": cls.__name__, "bytes": raw.hex(),
        "expected": {"error": error, "match": match,
                     "digest": hashlib.sha256(raw).hexdigest() if error is None else None},
    })


def verdict_vector(name: str, description: str, raw: bytes, valid: bool) -> None:
    try:
        Verdict.from_bytes(raw).verify_signature()
        ok = True
    except VerificationError:
        ok = False
    assert ok == valid, name
    add(name, {"kind": "verdict_signature", "description": description, "verdict": raw.hex(),
               "expected": {"valid": valid, "error": None if valid else "VerificationError"}})


def fraud_vector(name: str, description: str, fp: FraudProof | bytes, convicts: bool, match: str = "") -> None:
    raw = hexable(fp)
    expected: dict[str, Any]
    try:
        finding = verify_fraud_proof(FraudProof.from_bytes(raw))
    except (VerificationError, DecodeError) as exc:
        assert not convicts and match in str(exc), (name, str(exc))
        expected = {"convicts": False, "error": type(exc).__name__, "match": match}
    else:
        assert convicts, name
        expected = {"convicts": True, "index": finding.index, "provider_key": finding.provider_key.hex(),
                    "reason": finding.reason}
    add(name, {"kind": "fraud_proof", "description": description, "fraud_proof": raw.hex(), "expected": expected})


def equivocation_vector(name: str, description: str, ep: EquivocationProof | bytes, convicts: bool,
                        match: str = "") -> None:
    raw = hexable(ep)
    expected: dict[str, Any]
    try:
        key = verify_equivocation(EquivocationProof.from_bytes(raw))
    except (VerificationError, DecodeError) as exc:
        assert not convicts and match in str(exc), (name, str(exc))
        expected = {"convicts": False, "error": type(exc).__name__, "match": match}
    else:
        assert convicts, name
        expected = {"convicts": True, "provider_key": key.hex()}
    add(name, {"kind": "equivocation", "description": description, "equivocation_proof": raw.hex(),
               "expected": expected})


# ---- the vectors ---------------------------------------------------------------------------


def build() -> dict[str, dict[str, Any]]:
    VECTORS.clear()
    _honest_rounds()
    _cheats()
    _tampered_rounds()
    _decoding()
    _fraud_and_equivocation()
    return {name: VECTORS[name] for name in sorted(VECTORS)}


def _honest_rounds() -> None:
    for n in (1, 2, 3, 5, 7, 8, 9):
        job, inputs = digest_job(8 * n - 3, 8, f"n{n}")
        run, ch, pr = honest(job, inputs, f"honest-n{n}")
        round_vector(f"round-honest-n{n}", f"chunk_digest, {n} chunk(s) of 8 bytes (the last short), every "
                     "chunk opened (the default sample count exceeds n)", None, job, inputs, run.commitment, ch, pr)
    job, inputs = digest_job(64 * 16, 16, "n64")
    run, ch, pr = honest(job, inputs, "honest-n64-s4", samples=4)
    round_vector("round-honest-n64-samples4", "chunk_digest, 64 chunks, 4 opened", None, job, inputs,
                 run.commitment, ch, pr)
    round_vector("round-honest-n64-samples4-bad-fraction-0.25", "the same exchange, its verdict stated for a "
                 "cheat on 25% of the chunks", None, job, inputs, run.commitment, ch, pr, bad_fraction=0.25)
    job, inputs = digest_job(4 * 1000, 4, "n1000")
    run, ch, pr = honest(job, inputs, "honest-n1000")
    round_vector("round-honest-n1000-default-samples", "chunk_digest, 1000 chunks, the default sample count "
                 "samples_needed(1000, 0.01, 0.99)", None, job, inputs, run.commitment, ch, pr)
    job, inputs = digest_job(50 * 8, 8, "beacon50")
    run, ch, pr = honest(job, inputs, "beacon-n50", samples=12, beacon=b"beacon round 77")
    round_vector("round-honest-beacon-n50", "chunk_digest, 50 chunks, a beacon challenge (12 samples) anyone can "
                 "re-derive from the beacon and the commitment digest", None, job, inputs, run.commitment, ch, pr)
    job, inputs = words_job(16, 1234567)
    run, ch, pr = honest(job, inputs, "words16", samples=6)
    round_vector("round-honest-words-n16", "vectors.words, 16 chunks, 6 opened: a probabilistic check "
                 "(false-accept 7/8) in the soundness figure", None, job, inputs, run.commitment, ch, pr)
    job, inputs = words_job(40, 99)
    run, ch, pr = honest(job, inputs, "words40-beacon", samples=9, beacon=bytes(range(32)))
    round_vector("round-honest-words-beacon-n40", "vectors.words, 40 chunks, beacon challenge of 9", None, job,
                 inputs, run.commitment, ch, pr)


def _cheats() -> None:
    job, inputs = digest_job(20 * 8, 8, "cheat20")
    run = cheating_run(job, inputs, {7: b"\x00" * 32})
    _, ch, pr = honest(job, inputs, "cheat20", samples=20, run=run)
    round_vector("round-cheat-caught-one-chunk", "chunk 7 of 20 is wrong but consistently committed; every chunk "
                 "is opened: rejected, fraud proof for chunk 7", "chunk", job, inputs, run.commitment, ch, pr)
    run2 = cheating_run(job, inputs, {3: b"\x01" * 32, 15: b"\x02" * 32})
    _, ch, pr = honest(job, inputs, "cheat20-two", samples=20, run=run2)
    round_vector("round-cheat-caught-two-chunks", "chunks 3 and 15 are wrong: two reasons, the fraud proof names "
                 "the first", "chunk", job, inputs, run2.commitment, ch, pr)
    run3 = cheating_run(job, inputs, {0: b"\x00" * 31})
    _, ch, pr = honest(job, inputs, "cheat20-short", samples=20, run=run3)
    round_vector("round-cheat-caught-short-output", "chunk 0's output is 31 bytes", "chunk", job, inputs,
                 run3.commitment, ch, pr)
    job, inputs = digest_job(200 * 8, 8, "cheat200")
    ch_probe = honest(job, inputs, "cheat200-missed", samples=3)[1]
    missed = next(i for i in range(200) if i not in ch_probe.indices)
    run4 = cheating_run(job, inputs, {missed: b"\x00" * 32})
    _, ch, pr = honest(job, inputs, "cheat200-missed-2", samples=3, run=run4)
    if missed in ch.indices:
        raise AssertionError("pick another label")
    round_vector("round-cheat-missed", f"chunk {missed} of 200 is wrong, 3 other chunks are opened: accepted "
                 "(a spot check catches a cheat only with the stated probability)", None, job, inputs,
                 run4.commitment, ch, pr)
    job, inputs = words_job(32, 7)
    _, ch, _ = honest(job, inputs, "words-cheat", samples=5)
    target, word = ch.indices[0], ch.check_seeds[0][0] % 8
    good = job.get_workload().compute_chunk(dict(job.params), inputs, target)
    for j, caught in ((word, True), ((word + 3) % 8, False)):
        bad = bytearray(good)
        bad[4 * j + 3] ^= 0x40
        run5 = cheating_run(job, inputs, {target: bytes(bad)})
        ch5 = Challenge.create(VERIFIER, run5.commitment, samples=5, nonce=drbg(f"words-nonce-{j}")(32),
                               seed=ch.seed)
        pr5 = Provider(PROVIDER, threads=1).respond(run5, ch5)
        name = "round-cheat-words-probed-word" if caught else "round-cheat-words-unprobed-word"
        desc = (f"vectors.words chunk {target}: word {j} is wrong and the check seed probes word {word}: "
                + ("caught" if caught else "missed (a probabilistic check passes a wrong chunk sometimes)"))
        round_vector(name, desc, "chunk" if caught else None, job, inputs, run5.commitment, ch5, pr5)


def _tampered_rounds() -> None:
    job, inputs = digest_job(24 * 8, 8, "tamper24")
    run, ch, pr = honest(job, inputs, "tamper24", samples=6)
    com = run.commitment
    sig_at = -1  # first signature byte: the signature is the last 64 bytes of a signed message

    def rv(name: str, desc: str, failure: str, c: Any = com, h: Any = ch, p: Any = pr, j: Job = job) -> None:
        round_vector(name, desc, failure, j, inputs, c, h, p)

    rv("round-commitment-signature-flipped", "one bit of the commitment's signature flipped", "signature",
       c=flip(com.to_bytes(), len(com.to_bytes()) - 64 + 0))
    rv("round-challenge-signature-flipped", "one bit of the challenge's signature flipped", "signature",
       h=flip(ch.to_bytes(), len(ch.to_bytes()) + sig_at, 0x80))
    rv("round-proof-signature-flipped", "one bit of the proof's signature flipped", "signature",
       p=flip(pr.to_bytes(), len(pr.to_bytes()) - 33))
    rv("round-commitment-root-changed", "the committed root changed after signing", "signature",
       c=dataclasses.replace(com, root=bytes(32)))
    rv("round-commitment-provider-key-swapped", "the commitment names another provider key, same signature",
       "signature", c=dataclasses.replace(com, provider_key=KEYS["other_provider"].public_key))
    renonced = dataclasses.replace(ch, nonce=drbg("other-nonce")(32)).signed(VERIFIER)
    rv("round-wrong-nonce", "the verifier's challenge with another nonce (re-signed): the proof answers the "
       "original challenge", "binding", h=renonced)
    _, _ch2, pr2 = honest(job, inputs, "tamper24-second", samples=6, run=run)
    rv("round-swapped-challenge", "a proof for one challenge presented with another challenge of the same "
       "commitment", "binding", p=pr2)
    other = cheating_run(job, inputs, {1: b"\x00" * 32})
    _, ch3, pr3 = honest(job, inputs, "tamper24-other", samples=6, run=other)
    rv("round-proof-for-another-commitment", "a challenge and proof made for another commitment of the same "
       "provider and job, presented with this commitment", "binding", h=ch3, p=pr3)
    job2, _inputs2 = digest_job(24 * 8, 8, "tamper24-otherjob")
    rv("round-commitment-for-another-job", "the exchange presented with another job", "binding", j=job2)
    foreign = Verifier(KEYS["other_verifier"]).challenge(job, com, samples=6, rng=drbg("foreign"))
    foreign_proof = Provider(PROVIDER, threads=1).respond(run, foreign)
    rv("round-challenge-from-another-verifier", "a validly signed challenge by another verifier", "signature",
       h=foreign, p=foreign_proof)
    chosen = dataclasses.replace(ch, indices=(0, 1, 2, 3, 4, 5)).signed(VERIFIER)
    chosen_proof = SpotCheckProof.create(PROVIDER, chosen, [run.outputs[i] for i in range(6)],
                                         run.tree.multiproof(range(6)))
    rv("round-challenge-indices-chosen", "indices not derived from the seed (re-signed challenge, matching "
       "proof)", "binding", h=chosen, p=chosen_proof)
    seeded = dataclasses.replace(ch, check_seeds=(bytes(32),) * 6).signed(VERIFIER)
    rv("round-challenge-check-seeds-chosen", "check seeds not derived from the seed", "binding", h=seeded,
       p=SpotCheckProof.create(PROVIDER, seeded, pr.outputs, pr.multiproof))
    _, bch, bpr = honest(job, inputs, "tamper24-beacon", samples=6, beacon=b"round 9", run=run)
    forged_beacon = dataclasses.replace(bch, beacon=b"round 10").signed(VERIFIER)
    rv("round-beacon-seed-forged", "a beacon challenge whose seed is not beacon_seed(beacon, commitment digest)",
       "binding", h=forged_beacon, p=SpotCheckProof.create(PROVIDER, forged_beacon, bpr.outputs, bpr.multiproof))
    others = [i for i in range(24) if i not in ch.indices][:6]
    rv("round-proof-other-indices", "the provider opens other chunks than asked (signed)", "multiproof",
       p=SpotCheckProof.create(PROVIDER, ch, [run.outputs[i] for i in others], run.tree.multiproof(others)))
    outs = list(pr.outputs)
    outs[2] = bytes(32)
    rv("round-proof-output-altered", "one opened output replaced, proof re-signed by the provider", "multiproof",
       p=dataclasses.replace(pr, outputs=tuple(outs)).signed(PROVIDER))
    sibs = list(pr.multiproof.siblings)
    sibs[0] = bytes(32)
    rv("round-proof-sibling-altered", "one multiproof sibling replaced, proof re-signed", "multiproof",
       p=dataclasses.replace(pr, multiproof=dataclasses.replace(pr.multiproof, siblings=tuple(sibs))).signed(PROVIDER))
    rv("round-proof-tree-size-wrong", "the multiproof claims a tree of 25 leaves", "multiproof",
       p=dataclasses.replace(pr, multiproof=dataclasses.replace(pr.multiproof, tree_size=25)).signed(PROVIDER))
    rv("round-proof-signed-by-another-key", "the proof is signed by another provider", "signature",
       p=pr.signed(KEYS["other_provider"]))
    rv("round-challenge-signed-under-verdict-domain", "the verifier's signature over the challenge body, made "
       "under the verdict domain: a signature of one type is no signature of another", "signature",
       h=dataclasses.replace(ch, signature=VERIFIER.sign(Verdict.DOMAIN, ch.body())))
    rv("round-proof-signed-under-commitment-domain", "the provider's signature over the proof body, made under "
       "the commitment domain", "signature",
       p=dataclasses.replace(pr, signature=PROVIDER.sign(Commitment.DOMAIN, pr.body())))
    rv("round-proof-is-a-commitment", "the commitment's bytes sent as the proof", "decode", p=com.to_bytes())
    rv("round-challenge-is-a-verdict", "a verdict's bytes sent as the challenge", "decode",
       h=Verifier(VERIFIER).verify(job, com, ch, pr, inputs=inputs).verdict.to_bytes())
    rv("round-proof-trailing-byte", "one zero byte appended to the proof", "decode", p=pr.to_bytes() + b"\x00")
    rv("round-proof-unknown-version", "the proof's version byte set to 2", "decode",
       p=with_version(pr.to_bytes(), 2))
    rv("round-proof-truncated", "the proof's last byte removed", "decode", p=pr.to_bytes()[:-1])
    rv("round-commitment-trailing-byte", "one byte appended to the commitment", "decode",
       c=com.to_bytes() + b"\x01")
    rv("round-challenge-unknown-version", "the challenge's version byte set to 0", "decode",
       h=with_version(ch.to_bytes(), 0))


def _job_raw(params: bytes, n_params: int, n: int = 4, name: bytes = b"chunk_digest") -> bytes:
    return (MAGIC + b"\x01\x01" + bytes([len(name)]) + name + struct.pack(">H", n_params) + params
            + b"\x00\x00" + struct.pack(">Q", n))


def _decoding() -> None:
    job, inputs = digest_job(24 * 8, 8, "tamper24")
    run, ch, pr = honest(job, inputs, "tamper24", samples=6)
    verdict = Verifier(VERIFIER).verify(job, run.commitment, ch, pr, inputs=inputs).verdict
    dv = decode_vector
    dv("decode-job-valid", "a valid job: chunk_digest, chunk_size 8, one input", Job, job.to_bytes(), None)
    one = b"\x01a\x01\x01\x05"
    two = b"\x01b\x03\x00\x00\x00\x02hi"
    dv("decode-job-valid-params", "params a = 5 (int), b = 'hi' (str), sorted", Job, _job_raw(one + two, 2), None)
    dv("decode-job-unsorted-params", "params b before a", Job, _job_raw(two + one, 2), "DecodeError",
       "strictly increasing")
    dv("decode-job-duplicate-params", "param a twice", Job, _job_raw(one + one, 2), "DecodeError",
       "strictly increasing")
    dv("decode-job-non-minimal-int", "int 5 written as 00 05", Job, _job_raw(b"\x01a\x01\x02\x00\x05", 1),
       "DecodeError", "non-minimal")
    dv("decode-job-negative-zero", "negative int of zero length", Job, _job_raw(b"\x01a\x02\x00", 1),
       "DecodeError", "negative zero")
    dv("decode-job-unknown-param-type", "param type tag 5", Job, _job_raw(b"\x01a\x05\x00", 1), "DecodeError",
       "unknown type tag")
    dv("decode-job-zero-chunks", "n_chunks 0", Job, _job_raw(b"", 0, n=0), "DecodeError", "n_chunks")
    dv("decode-job-trailing-byte", "a valid job plus one byte", Job, job.to_bytes() + b"\x00", "DecodeError",
       "trailing")
    dv("decode-job-unknown-version", "version 2", Job, with_version(job.to_bytes(), 2), "DecodeError",
       "unknown version")
    dv("decode-job-bad-workload-name", "workload name 'Bad Name'", Job, _job_raw(b"", 0, name=b"Bad Name"),
       "DecodeError", "workload name")
    raw = run.commitment.to_bytes()
    dv("decode-commitment-valid", "a valid commitment", Commitment, raw, None)
    dv("decode-commitment-wrong-magic", "magic VFPX", Commitment, b"VFPX" + raw[4:], "DecodeError", "magic")
    dv("decode-commitment-unknown-tree-mode", "tree mode 2 (merkletools) is not allowed", Commitment,
       raw[:78] + b"\x02" + raw[79:], "DecodeError", "tree mode")
    dv("decode-commitment-as-challenge", "a commitment decoded as a challenge", Challenge, raw, "DecodeError",
       "encode a Commitment")
    raw = ch.to_bytes()
    at = 6 + 32 + 32 + 8 + 1 + 2 + 32 + 32 + 32
    dv("decode-challenge-valid", "a valid challenge", Challenge, raw, None)
    dv("decode-challenge-too-many-indices", f"index count {MAX_OPENED + 1} (limit 2^20), refused before reading "
       "them", Challenge, raw[:at] + struct.pack(">I", MAX_OPENED + 1) + raw[at + 4 :], "DecodeError",
       "exceeds the limit")
    a, b = raw[at + 4 : at + 12], raw[at + 12 : at + 20]
    dv("decode-challenge-unsorted-indices", "the first two indices swapped", Challenge,
       raw[:at + 4] + b + a + raw[at + 20 :], "DecodeError", "strictly increasing")
    dv("decode-challenge-index-out-of-range", "the last index set to n_chunks", Challenge,
       raw[:at + 4 + 8 * 5] + struct.pack(">Q", 24) + raw[at + 4 + 8 * 6 :], "DecodeError", "out of range")
    dv("decode-challenge-unknown-method", "method byte 3", Challenge, raw[:78] + b"\x03" + raw[79:],
       "DecodeError", "unknown challenge method")
    raw = pr.to_bytes()
    dv("decode-proof-valid", "a valid spot-check proof", SpotCheckProof, raw, None)
    dv("decode-proof-output-too-long", "first output length 2^26 + 1 (limit 64 MiB)", SpotCheckProof,
       raw[:42] + struct.pack(">I", 2**26 + 1) + raw[46:], "DecodeError", "exceeds the limit")
    dv("decode-proof-too-many-outputs", "output count 2^20 + 1", SpotCheckProof,
       raw[:38] + struct.pack(">I", 2**20 + 1) + raw[42:], "DecodeError", "exceeds the limit")
    fewer = SpotCheckProof.create(PROVIDER, ch, pr.outputs[:5], run.tree.multiproof(ch.indices[:5])).to_bytes()
    mp6 = pr.multiproof.to_bytes()
    mp5 = run.tree.multiproof(ch.indices[:5]).to_bytes()
    mismatch = fewer.replace(struct.pack(">I", len(mp5)) + mp5, struct.pack(">I", len(mp6)) + mp6)
    dv("decode-proof-count-mismatch", "5 outputs with a multiproof opening 6 leaves", SpotCheckProof, mismatch,
       "DecodeError", "opens 6 leaves but 5 outputs")
    raw = verdict.to_bytes()
    at = 6 + 1 + 4 * 32
    dv("decode-verdict-valid", "a valid verdict", Verdict, raw, None)
    dv("decode-verdict-negative-zero", "bad_fraction -0.0", Verdict, raw[:at] + struct.pack(">d", -0.0)
       + raw[at + 8 :], "DecodeError", "negative zero")
    dv("decode-verdict-nan", "detection probability NaN", Verdict, raw[:at + 8] + struct.pack(">d", float("nan"))
       + raw[at + 16 :], "DecodeError", "probability")
    dv("decode-verdict-accepted-flag-2", "accepted byte 2", Verdict, raw[:6] + b"\x02" + raw[7:], "DecodeError",
       "0 or 1")
    dv("decode-verdict-rejected-without-reason", "accepted byte 0 with no reasons", Verdict,
       raw[:6] + b"\x00" + raw[7:], "DecodeError", "needs at least one")
    verdict_vector("verdict-signature-valid", "the verifier's verdict on an honest round", raw, True)
    verdict_vector("verdict-signature-flipped", "one bit of the verdict's signature flipped",
                   flip(raw, len(raw) - 1), False)
    verdict_vector("verdict-probability-changed", "the detection probability set to 1.0 after signing",
                   raw[:at + 8] + struct.pack(">d", 1.0) + raw[at + 16 :], False)


def _fraud_and_equivocation() -> None:
    job, inputs = digest_job(20 * 8, 8, "cheat20")
    run = cheating_run(job, inputs, {7: b"\x00" * 32})
    _, ch, pr = honest(job, inputs, "cheat20", samples=20, run=run)
    fp = Verifier(VERIFIER).verify(job, run.commitment, ch, pr, inputs=inputs).fraud_proof
    assert fp is not None
    fraud_vector("fraud-valid-chunk-digest", "chunk 7 of a chunk_digest job committed wrong: convicts", fp, True)
    fraud_vector("fraud-trailing-byte", "a valid fraud proof plus one byte", fp.to_bytes() + b"\x00", False,
                 "trailing")
    fraud_vector("fraud-moved-to-honest-chunk", "the same fraud proof pointed at chunk 8, which is right",
                 dataclasses.replace(fp, index=8), False, "passes its check")
    fraud_vector("fraud-index-not-opened", "index 99 was not opened", dataclasses.replace(fp, index=99), False,
                 "not opened")
    other_data = EmbeddedInput.of(bytes(b ^ 1 for b in inputs["data"]))
    fraud_vector("fraud-input-swapped", "the embedded data replaced by other data",
                 dataclasses.replace(fp, inputs={"data": other_data}), False, "input digest")
    fraud_vector("fraud-input-missing", "the embedded data left out", dataclasses.replace(fp, inputs={}), False,
                 "not the job's inputs")
    outs = list(fp.proof.outputs)
    outs[7] = job.get_workload().compute_chunk(dict(job.params), inputs, 7)
    fraud_vector("fraud-verifier-resigned-proof", "the proof's outputs edited and re-signed by the verifier",
                 dataclasses.replace(fp, proof=dataclasses.replace(fp.proof, outputs=tuple(outs)).signed(VERIFIER)),
                 False, "bad signature")
    # an honest exchange the verifier tries to frame
    hjob, hinputs = digest_job(24 * 8, 8, "tamper24")
    hrun, hch, hpr = honest(hjob, hinputs, "tamper24", samples=6)
    framed = FraudProof.create(hjob, hrun.commitment, hch, hpr, hch.indices[0], hinputs)
    fraud_vector("fraud-framing-honest-provider", "a fraud proof built from an honest exchange", framed, False,
                 "passes its check")
    rigged = dataclasses.replace(hch, check_seeds=(b"\xff" * 32,) * 6).signed(VERIFIER)
    fraud_vector("fraud-rigged-challenge", "an honest exchange with the challenge's check seeds rewritten and "
                 "re-signed by the verifier", dataclasses.replace(framed, challenge=rigged), False, "does not convict")
    wjob, winputs = words_job(32, 7)
    _, wch, _ = honest(wjob, winputs, "words-cheat", samples=5)
    target, word = wch.indices[0], wch.check_seeds[0][0] % 8
    bad = bytearray(wjob.get_workload().compute_chunk(dict(wjob.params), winputs, target))
    bad[4 * word + 3] ^= 0x40
    wrun = cheating_run(wjob, winputs, {target: bytes(bad)})
    wch5 = Challenge.create(VERIFIER, wrun.commitment, samples=5, nonce=drbg(f"words-nonce-{word}")(32),
                            seed=wch.seed)
    wpr = Provider(PROVIDER, threads=1).respond(wrun, wch5)
    wfp = Verifier(VERIFIER).verify(wjob, wrun.commitment, wch5, wpr, inputs=winputs).fraud_proof
    assert wfp is not None
    fraud_vector("fraud-valid-words", "vectors.words: the probed word is wrong; the recorded check seed "
                 "reproduces the check; no inputs embedded", wfp, True)

    other = cheating_run(job, inputs, {2: b"\x05" * 32})
    ep = EquivocationProof(run.commitment, other.commitment)
    equivocation_vector("equivocation-valid", "one provider signed two roots for one job", ep, True)
    stranger = cheating_run(job, inputs, {2: b"\x05" * 32}, identity=KEYS["other_provider"])
    equivocation_vector("equivocation-different-providers", "two providers' commitments",
                        EquivocationProof(run.commitment, stranger.commitment), False, "different providers")
    job2, _ = digest_job(20 * 8, 8, "cheat20-other")
    equivocation_vector("equivocation-different-jobs", "one provider, two jobs",
                        EquivocationProof(run.commitment, Commitment.create(PROVIDER, job2, other.commitment.root)),
                        False, "different jobs")
    forged = dataclasses.replace(other.commitment, root=b"\x11" * 32)
    equivocation_vector("equivocation-bad-signature", "the second commitment's root changed after signing",
                        EquivocationProof(run.commitment, forged), False, "bad signature")
    a, b = ep.first.to_bytes(), ep.second.to_bytes()
    unsorted = ep.to_bytes()[:6] + struct.pack(">I", len(b)) + b + struct.pack(">I", len(a)) + a
    equivocation_vector("equivocation-unsorted", "the pair in decreasing byte order (non-canonical)", unsorted,
                        False, "increasing byte order")


# ---- files ---------------------------------------------------------------------------------


def render(vector: dict[str, Any]) -> str:
    return json.dumps(vector, indent=1, sort_keys=True) + "\n"


def keys_json() -> dict[str, Any]:
    return {name: {"seed": SEEDS[name].hex(), "public_key": KEYS[name].public_key.hex()} for name in sorted(SEEDS)}


def files() -> dict[str, str]:
    out = {f"{name}.json": render(vector) for name, vector in build().items()}
    out["keys.json"] = render(keys_json())
    return out


def main(argv: list[str]) -> int:
    wanted = files()
    existing = {p.name for p in HERE.glob("*.json")}
    if "--check" in argv:
        stale = [n for n, text in wanted.items() if not (HERE / n).is_file() or (HERE / n).read_text() != text]
        stale += sorted(existing - set(wanted))
        for n in stale:
            print("differs:", n)
        return 1 if stale else 0
    for name in existing - set(wanted):
        (HERE / name).unlink()
    for name, text in wanted.items():
        (HERE / name).write_text(text)
    print(f"wrote {len(wanted)} files to {HERE}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
