"""The provider and verifier roles: honest rounds, caught cheats, fraud proofs nobody can forge."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import subprocess
import sys

import pytest

from _identities import OTHER_PROVIDER as MALLORY
from _identities import PROVIDER, VERIFIER, drbg
from verifiable import DecodeError, InvalidInputError, MerkleTree, VerificationError
from verifiable import protocol as protocol_module
from verifiable.challenge import beacon_samples, beacon_seed
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
    verify_fraud_proof,
)
from verifiable.protocol import Provider, ProviderRun, Verifier
from verifiable.soundness import bad_chunk_count, detection_probability, samples_needed
from verifiable.workloads import CheckReport, Workload, get_workload, register_workload

CHUNK = 32
DATA = bytes(hashlib.sha256(i.to_bytes(4, "big")).digest()[i % 32] for i in range(CHUNK * 300 - 7))
INPUTS = {"data": DATA}


class Words(Workload):
    """Eight 32-bit words per chunk; the check probes one word chosen by the check seed."""

    name = "test-protocol.words"

    def normalize_params(self, params):
        if set(params) != {"count", "multiplier"}:
            raise InvalidInputError("words: needs count and multiplier")
        return {"count": int(params["count"]), "multiplier": int(params["multiplier"]) % 2**32}

    def chunk_count(self, params, inputs):
        return params["count"]

    def compute_chunk(self, params, inputs, index):
        m = params["multiplier"]
        return b"".join(((m * (8 * index + j) + 0x9E3779B9) % 2**32).to_bytes(4, "big") for j in range(8))

    def check(self, params, inputs, index, output, *, seed):
        if len(output) != 32:
            raise VerificationError(f"words: chunk {index} is {len(output)} bytes, not 32")
        j = seed[0] % 8
        if output[4 * j : 4 * j + 4] != self.compute_chunk(params, inputs, index)[4 * j : 4 * j + 4]:
            raise VerificationError(f"words: chunk {index} word {j} is wrong")
        return CheckReport(index, "one word of eight", 7 / 8)


class Rows(Workload):
    """Chunk i is row i of input x, reversed; the whole result can be delivered and checked."""

    name = "test-protocol.rows"

    def normalize_params(self, params):
        return {"rows": int(params["rows"])}

    def chunk_count(self, params, inputs):
        return params["rows"]

    def compute_chunk(self, params, inputs, index):
        return bytes(inputs["x"][8 * index : 8 * index + 8])[::-1]

    def chunks_from_result(self, params, inputs, result):
        if len(result) % 8:
            raise InvalidInputError("rows: the result is not a whole number of rows")
        return [result[i : i + 8] for i in range(0, len(result), 8)]

    def check_result(self, params, inputs, result, rng):
        if result != b"".join(self.compute(params, inputs)):
            raise VerificationError("rows: the result is wrong")
        return CheckReport(0, "full", 0.0)


class Loud(Words):
    """Fails every check with a long non-ASCII message."""

    name = "test-protocol.loud"

    def check(self, params, inputs, index, output, *, seed):
        raise VerificationError("\u00e9\u4e2d" * 1000)


register_workload(Words(), replace=True)
register_workload(Loud(), replace=True)
register_workload(Rows(), replace=True)


@pytest.fixture(scope="module")
def job():
    return Job.create("chunk_digest", {"chunk_size": CHUNK}, INPUTS)


@pytest.fixture(scope="module")
def honest(job):
    provider, verifier = Provider(PROVIDER, threads=1), Verifier(VERIFIER)
    run = provider.run(job, INPUTS)
    challenge = verifier.challenge(job, run.commitment, rng=drbg("honest"))
    proof = provider.respond(run, challenge)
    return provider, verifier, run, challenge, proof


def cheating_run(job, inputs, bad, *, identity=PROVIDER):
    """A run whose outputs at ``bad`` indices are wrong but consistently committed."""
    workload = job.get_workload()
    outputs = workload.compute(dict(job.params), inputs)
    for i in bad:
        outputs[i] = bytes(b ^ 0xFF for b in outputs[i])
    tree = MerkleTree(outputs)
    return ProviderRun(job, outputs, tree, Commitment.create(identity, job, tree.root))


# ---- honest rounds -----------------------------------------------------------------------


def test_honest_round_is_accepted(job, honest):
    _, verifier, run, challenge, proof = honest
    n = job.n_chunks
    assert n == 300 and len(challenge.indices) == samples_needed(n, 0.01, 0.99)
    result = verifier.verify(job, run.commitment, challenge, proof, inputs=INPUTS)
    v = result.verdict
    assert result.accepted and v.accepted and v.reasons == () and result.fraud_proof is None
    v.verify_signature()
    assert v.verifier_key == VERIFIER.public_key
    assert (v.job_id, v.commitment_digest, v.challenge_digest, v.proof_digest) == (
        job.job_id, run.commitment.digest(), challenge.digest(), proof.digest())
    assert v.bad_fraction == 0.01
    assert v.detection_probability == detection_probability(n, bad_chunk_count(n, 0.01), len(challenge.indices))
    assert v.detection_probability >= 0.99 and "caught with probability" in v.soundness
    # the verdict is deterministic
    assert verifier.verify(job, run.commitment, challenge, proof, inputs=INPUTS).verdict == v


def test_beacon_round(job, honest):
    provider, verifier, run, _, _ = honest
    beacon = b"drand round 1234: " + bytes(range(48))
    challenge = verifier.challenge(job, run.commitment, beacon=beacon, rng=drbg("beacon"))
    assert challenge.method == "beacon" and challenge.beacon == beacon
    assert challenge.seed == beacon_seed(beacon, run.commitment.digest())
    assert len(challenge.indices) == min(job.n_chunks, beacon_samples(job.n_chunks, 0.01, 0.99))
    proof = provider.respond(run, challenge)
    assert verifier.verify(job, run.commitment, challenge, proof, inputs=INPUTS).accepted
    # a verifier cannot pick its own seed and call it a beacon draw
    forged = dataclasses.replace(challenge, seed=bytes(32)).signed(VERIFIER)
    with pytest.raises(VerificationError, match="beacon_seed"):
        provider.respond(run, forged)


def test_samples_and_rng_arguments(job, honest):
    _, verifier, run, _, _ = honest
    assert len(verifier.challenge(job, run.commitment, samples=7).indices) == 7
    assert len(verifier.challenge(job, run.commitment, samples=10**6).indices) == job.n_chunks
    c = verifier.challenge(job, run.commitment, bad_fraction=0.1, confidence=0.9)
    assert len(c.indices) == samples_needed(job.n_chunks, 0.1, 0.9)
    with pytest.raises(InvalidInputError, match="not both"):
        verifier.challenge(job, run.commitment, samples=3, confidence=0.9)
    with pytest.raises(InvalidInputError, match="32 bytes"):
        verifier.challenge(job, run.commitment, rng=lambda n: b"short")
    with pytest.raises(InvalidInputError, match="samples"):
        verifier.challenge(job, run.commitment, samples=2.5)
    with pytest.raises(InvalidInputError, match="samples"):
        verifier.challenge(job, run.commitment, samples=0)
    with pytest.raises(InvalidInputError, match="bad_fraction"):
        verifier.verify(job, run.commitment, honest[3], honest[4], inputs=INPUTS, bad_fraction=0.0)
    a = verifier.challenge(job, run.commitment)
    b = verifier.challenge(job, run.commitment)
    assert a.nonce != b.nonce and a.seed != b.seed


# ---- cheats ------------------------------------------------------------------------------


def test_corrupted_chunk_gives_fraud_proof_a_third_party_accepts(job, honest):
    provider, verifier, _, _, _ = honest
    run = cheating_run(job, INPUTS, [17])
    challenge = verifier.challenge(job, run.commitment, samples=job.n_chunks, rng=drbg("c"))
    proof = provider.respond(run, challenge)
    result = verifier.verify(job, run.commitment, challenge, proof, inputs=INPUTS)
    assert not result.accepted
    assert result.verdict.reasons == ("chunk 17 fails its check: chunk_digest: chunk 17 differs from its recomputation",)
    result.verdict.verify_signature()
    fp = result.fraud_proof
    assert fp is not None and fp.index == 17
    finding = verify_fraud_proof(fp)
    assert (finding.provider_key, finding.index, finding.job_id) == (PROVIDER.public_key, 17, job.job_id)
    # a third party, in another process, with nothing but the JSON text
    script = (
        "import sys\nfrom verifiable.messages import FraudProof, verify_fraud_proof\n"
        "f = verify_fraud_proof(FraudProof.from_json(sys.stdin.read()))\n"
        "print(f.provider_key.hex(), f.index)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], input=fp.to_json(), capture_output=True, text=True,
                         check=True)
    assert out.stdout.split() == [PROVIDER.public_key.hex(), "17"]
    assert verify_fraud_proof(FraudProof.from_bytes(fp.to_bytes())) == finding


def test_unopened_cheat_passes_a_spot_check(job, honest):
    provider, verifier, _, _, _ = honest
    run = cheating_run(job, INPUTS, [3])
    challenge = verifier.challenge(job, run.commitment, samples=5, rng=drbg("u"))
    assert 3 not in challenge.indices
    proof = provider.respond(run, challenge)
    assert verifier.verify(job, run.commitment, challenge, proof, inputs=INPUTS).accepted


def test_probabilistic_check_and_its_soundness():
    job = Job.create("test-protocol.words", {"count": 64, "multiplier": 12345}, {})
    provider, verifier = Provider(PROVIDER), Verifier(VERIFIER)
    run = provider.run(job, {})
    challenge = verifier.challenge(job, run.commitment, samples=10, rng=drbg("w"))
    result = verifier.verify(job, run.commitment, challenge, provider.respond(run, challenge), inputs={})
    assert result.accepted
    assert result.verdict.detection_probability == detection_probability(64, 1, 10, 7 / 8)

    target = challenge.indices[0]
    word = challenge.check_seeds[0][0] % 8
    outputs = list(run.outputs)
    for j, caught in ((word, True), ((word + 1) % 8, False)):
        bad = bytearray(outputs[target])
        bad[4 * j] ^= 1
        outs = [*outputs[:target], bytes(bad), *outputs[target + 1 :]]
        tree = MerkleTree(outs)
        bad_run = ProviderRun(job, outs, tree, Commitment.create(PROVIDER, job, tree.root))
        # the same seed: a verifier re-issuing its draw for the new commitment
        ch = Challenge.create(VERIFIER, bad_run.commitment, samples=10, nonce=b"n" * 32, seed=challenge.seed)
        res = verifier.verify(job, bad_run.commitment, ch, provider.respond(bad_run, ch), inputs={})
        assert res.accepted is not caught
        if caught:
            assert verify_fraud_proof(res.fraud_proof).reason == f"words: chunk {target} word {word} is wrong"
            # the recorded check seed makes the check reproducible; another seed would not convict
            assert FraudProof.from_json(res.fraud_proof.to_json()).inputs == {}


def test_equivocation(job, honest):
    _, _, run, _, _ = honest
    other = cheating_run(job, INPUTS, [0])
    ep = EquivocationProof(run.commitment, other.commitment)
    assert verify_equivocation(EquivocationProof.from_json(ep.to_json())) == PROVIDER.public_key
    stranger = cheating_run(job, INPUTS, [0], identity=MALLORY)
    with pytest.raises(VerificationError, match="different providers"):
        verify_equivocation(EquivocationProof(run.commitment, stranger.commitment))
    other_job = Job.create("chunk_digest", {"chunk_size": CHUNK * 2}, INPUTS)
    elsewhere = Commitment.create(PROVIDER, other_job, run.commitment.root)
    with pytest.raises(VerificationError, match="different jobs"):
        verify_equivocation(EquivocationProof(run.commitment, elsewhere))
    forged = dataclasses.replace(other.commitment, provider_key=PROVIDER.public_key, signature=bytes(64))
    with pytest.raises(VerificationError, match="bad signature"):
        verify_equivocation(EquivocationProof(run.commitment, forged))


# ---- replays, mix-ups, malformed messages ------------------------------------------------


def test_proof_for_another_challenge_is_rejected(job, honest):
    _provider, verifier, run, challenge, proof = honest
    second = verifier.challenge(job, run.commitment, rng=drbg("second"))
    v = verifier.verify(job, run.commitment, second, proof, inputs=INPUTS).verdict
    assert not v.accepted and v.reasons == ("proof answers another challenge (challenge digest differs)",)
    # same indices and seed, new nonce: still another challenge
    renonced = dataclasses.replace(challenge, nonce=b"\xee" * 32).signed(VERIFIER)
    v = verifier.verify(job, run.commitment, renonced, proof, inputs=INPUTS).verdict
    assert not v.accepted and "another challenge" in v.reasons[0]


def test_proof_for_another_commitment_is_rejected(job, honest):
    provider, verifier, run, _, _ = honest
    other = cheating_run(job, INPUTS, [5])
    ch_other = verifier.challenge(job, other.commitment, rng=drbg("o"))
    pr_other = provider.respond(other, ch_other)
    v = verifier.verify(job, run.commitment, ch_other, pr_other, inputs=INPUTS).verdict
    assert not v.accepted and v.reasons == ("challenge names another commitment (commitment digest differs)",)
    with pytest.raises(VerificationError, match="another commitment"):
        provider.respond(run, ch_other)


def test_message_of_one_type_as_another_is_rejected(job, honest):
    _, verifier, run, challenge, proof = honest
    v = verifier.verify(job, run.commitment, challenge, run.commitment.to_bytes(), inputs=INPUTS).verdict
    assert not v.accepted and v.reasons[0].startswith("proof does not decode: SpotCheckProof: these bytes encode a Commitment")
    assert v.proof_digest == run.commitment.digest()
    v = verifier.verify(job, proof.to_bytes(), challenge, proof, inputs=INPUTS).verdict
    assert not v.accepted and "commitment does not decode" in v.reasons[0]
    # a signature made under another message type's domain
    swapped = dataclasses.replace(challenge, signature=VERIFIER.sign(Verdict.DOMAIN, challenge.body()))
    v = verifier.verify(job, run.commitment, swapped, proof, inputs=INPUTS).verdict
    assert not v.accepted and v.reasons[0].startswith("Challenge: bad signature")


def test_malformed_and_mis_signed_proofs_are_verdicts_not_crashes(job, honest):
    _, verifier, run, challenge, proof = honest
    raw = proof.to_bytes()
    for bad in (raw + b"\x00", raw[:-1], raw[:5] + b"\x09" + raw[6:], b"", b"VFPR"):
        v = verifier.verify(job, run.commitment, challenge, bad, inputs=INPUTS).verdict
        assert not v.accepted and v.proof_digest == hashlib.sha256(bad).digest()
        assert "proof does not decode" in v.reasons[0]
    resigned = proof.signed(MALLORY)
    v = verifier.verify(job, run.commitment, challenge, resigned, inputs=INPUTS).verdict
    assert not v.accepted and v.reasons[0].startswith("SpotCheckProof: bad signature")
    flipped = dataclasses.replace(proof, signature=bytes([proof.signature[0] ^ 1]) + proof.signature[1:])
    assert not verifier.verify(job, run.commitment, challenge, flipped, inputs=INPUTS).accepted
    # provider re-signs a proof that opens other chunks, or other outputs, or a wrong multiproof
    mp = proof.multiproof
    others = [i for i in range(job.n_chunks) if i not in challenge.indices][: len(challenge.indices)]
    shifted = run.tree.multiproof(others)
    other_idx = SpotCheckProof.create(PROVIDER, challenge, [run.outputs[i] for i in others], shifted)
    v = verifier.verify(job, run.commitment, challenge, other_idx, inputs=INPUTS).verdict
    assert v.reasons == ("proof opens other chunks than the challenge asked for",)
    small = dataclasses.replace(mp, tree_size=job.n_chunks - 1)
    v = verifier.verify(job, run.commitment, challenge, dataclasses.replace(proof, multiproof=small).signed(PROVIDER),
                        inputs=INPUTS).verdict
    assert v.reasons == ("proof's tree has 299 leaves, the commitment 300",)
    outs = list(proof.outputs)
    outs[0] = b"\x00" * 32
    v = verifier.verify(job, run.commitment, challenge, dataclasses.replace(proof, outputs=tuple(outs)).signed(PROVIDER),
                        inputs=INPUTS).verdict
    assert v.reasons[0].startswith("opened chunks do not match the committed root")
    sib = list(mp.siblings)
    sib[-1] = bytes(32)
    bad_mp = dataclasses.replace(mp, siblings=tuple(sib))
    v = verifier.verify(job, run.commitment, challenge, dataclasses.replace(proof, multiproof=bad_mp).signed(PROVIDER),
                        inputs=INPUTS).verdict
    assert v.reasons[0].startswith("opened chunks do not match the committed root")


def test_verifier_checks_its_own_challenges(job, honest):
    _provider, verifier, run, challenge, proof = honest
    stranger = Verifier(MALLORY)
    v = stranger.verify(job, run.commitment, challenge, proof, inputs=INPUTS).verdict
    assert v.reasons == ("challenge was not issued by this verifier",)
    v.verify_signature()
    chosen = dataclasses.replace(challenge, indices=tuple(range(len(challenge.indices)))).signed(VERIFIER)
    v = verifier.verify(job, run.commitment, chosen, proof, inputs=INPUTS).verdict
    assert "derive_indices" in v.reasons[0]
    seeds = (bytes(32), *challenge.check_seeds[1:])
    chosen = dataclasses.replace(challenge, check_seeds=seeds).signed(VERIFIER)
    v = verifier.verify(job, run.commitment, chosen, proof, inputs=INPUTS).verdict
    assert "probe_seed" in v.reasons[0]


def test_commitment_checked_before_challenging(job, honest):
    _, verifier, run, _, _ = honest
    forged = dataclasses.replace(run.commitment, root=bytes(32))
    with pytest.raises(VerificationError, match="Commitment: bad signature"):
        verifier.challenge(job, forged)
    other_job = Job.create("chunk_digest", {"chunk_size": 64}, INPUTS)
    with pytest.raises(VerificationError, match="another job"):
        verifier.challenge(other_job, run.commitment)
    v = verifier.verify(other_job, run.commitment, honest[3], honest[4], inputs=INPUTS).verdict
    assert v.reasons == ("commitment is for another job (job_id differs)",)


def test_provider_refuses_bad_jobs_and_challenges(job, honest):
    provider, _verifier, run, challenge, _ = honest
    with pytest.raises(InvalidInputError, match="does not match"):
        provider.run(job, {"data": DATA[:-1]})
    with pytest.raises(InvalidInputError, match="unknown parameters"):
        provider.run(Job("chunk_digest", {"chunk_size": CHUNK, "extra": 1}, job.input_digests, job.n_chunks), INPUTS)
    words = Job("test-protocol.words", {"count": 4, "multiplier": 2**33}, {}, 4)
    with pytest.raises(InvalidInputError, match="canonical"):
        provider.run(words, {})
    with pytest.raises(InvalidInputError, match="chunk count"):
        provider.run(Job("chunk_digest", dict(job.params), job.input_digests, job.n_chunks + 1), INPUTS)
    with pytest.raises(VerificationError, match="bad signature"):
        provider.respond(run, dataclasses.replace(challenge, nonce=bytes(32)))
    with pytest.raises(InvalidInputError):
        provider.respond(run, challenge.to_bytes())


def test_verifier_work_is_proportional_to_samples(job, honest, monkeypatch):
    _, verifier, run, challenge, proof = honest
    workload = get_workload("chunk_digest")
    calls = []
    original = type(workload).compute_chunk

    def counting(self, params, inputs, index):
        calls.append(index)
        return original(self, params, inputs, index)

    def no_tree(*args, **kwargs):
        raise AssertionError("the verifier must not build a Merkle tree")

    monkeypatch.setattr(type(workload), "compute_chunk", counting)
    monkeypatch.setattr(protocol_module, "MerkleTree", no_tree)
    assert verifier.verify(job, run.commitment, challenge, proof, inputs=INPUTS).accepted
    assert sorted(calls) == list(challenge.indices)


def test_wrong_inputs_are_the_verifiers_error(job, honest):
    provider, verifier, _, _, _ = honest
    run = cheating_run(job, INPUTS, list(range(job.n_chunks)))
    challenge = verifier.challenge(job, run.commitment, samples=3)
    proof = provider.respond(run, challenge)
    with pytest.raises(InvalidInputError, match="does not match"):
        verifier.verify(job, run.commitment, challenge, proof, inputs={"data": DATA[::-1]})
    with pytest.raises(InvalidInputError, match="Job"):
        verifier.verify(job.to_bytes(), run.commitment, challenge, proof, inputs=INPUTS)


# ---- fraud proofs cannot frame an honest provider ----------------------------------------


@pytest.fixture(scope="module")
def guilty(job, honest):
    provider, verifier, _, _, _ = honest
    run = cheating_run(job, INPUTS, [10])
    challenge = verifier.challenge(job, run.commitment, samples=job.n_chunks, rng=drbg("g"))
    proof = provider.respond(run, challenge)
    fp = verifier.verify(job, run.commitment, challenge, proof, inputs=INPUTS).fraud_proof
    assert fp is not None and verify_fraud_proof(fp).index == 10
    return fp


def test_fraud_proof_against_an_honest_chunk_does_not_convict(job, honest, guilty):
    _, _, run, challenge, proof = honest
    framed = FraudProof.create(job, run.commitment, challenge, proof, challenge.indices[0], INPUTS)
    with pytest.raises(VerificationError, match="passes its check"):
        verify_fraud_proof(framed)
    with pytest.raises(VerificationError, match="passes its check"):
        verify_fraud_proof(dataclasses.replace(guilty, index=11))
    with pytest.raises(VerificationError, match="not opened"):
        verify_fraud_proof(dataclasses.replace(framed, index=job.n_chunks + 5))


def test_fraud_proof_tampering_is_caught(job, honest, guilty):
    _, _, run, challenge, proof = honest
    framed = FraudProof.create(job, run.commitment, challenge, proof, challenge.indices[0], INPUTS)
    outs = list(proof.outputs)
    outs[0] = b"\x00" * 32
    # a wrong output the provider never signed
    with pytest.raises(VerificationError, match="SpotCheckProof: bad signature"):
        verify_fraud_proof(dataclasses.replace(framed, proof=dataclasses.replace(proof, outputs=tuple(outs))))
    # ... signed by the verifier instead
    forged = dataclasses.replace(proof, outputs=tuple(outs)).signed(VERIFIER)
    with pytest.raises(VerificationError, match="bad signature"):
        verify_fraud_proof(dataclasses.replace(framed, proof=forged))
    # other data, so the honest output looks wrong
    other = bytes(b ^ 1 for b in DATA)
    swapped = dict(framed.inputs, data=EmbeddedInput.of(other))
    with pytest.raises(VerificationError, match="input digest"):
        verify_fraud_proof(dataclasses.replace(framed, inputs=swapped))
    with pytest.raises(VerificationError, match="not the job's inputs"):
        verify_fraud_proof(dataclasses.replace(framed, inputs={}))
    # ... with a job naming that data: the provider never committed to it
    other_job = Job.create("chunk_digest", dict(job.params), {"data": other})
    with pytest.raises(VerificationError, match="another job"):
        verify_fraud_proof(dataclasses.replace(framed, job=other_job, inputs=swapped))
    # a challenge with other check seeds or indices, re-signed by the verifier
    rigged = dataclasses.replace(challenge, check_seeds=(b"\xff" * 32,) * len(challenge.indices)).signed(VERIFIER)
    with pytest.raises(VerificationError, match="another challenge|probe_seed"):
        verify_fraud_proof(dataclasses.replace(framed, challenge=rigged))
    # a guilty proof moved onto another provider's commitment
    with pytest.raises(VerificationError, match="does not convict"):
        verify_fraud_proof(dataclasses.replace(guilty, commitment=run.commitment))
    # byte-level: every flipped byte of the guilty proof's signatures
    raw = guilty.to_bytes()
    for sig in (guilty.commitment.signature, guilty.proof.signature):
        at = raw.index(sig)
        for k in range(64):
            bad = raw[:at + k] + bytes([raw[at + k] ^ 0x10]) + raw[at + k + 1:]
            with pytest.raises((VerificationError, DecodeError)):
                verify_fraud_proof(FraudProof.from_bytes(bad))


def test_fraud_proof_json_is_plain(guilty):
    obj = json.loads(guilty.to_json())
    assert obj["type"] == "fraud_proof" and obj["index"] == 10
    assert obj["inputs"]["data"] == {"kind": "bytes", "data": DATA.hex()}
    assert obj["proof"]["multiproof"]["type"] == "multiproof"


# ---- whole results -----------------------------------------------------------------------


def test_verify_result_hook():
    x = bytes(range(8 * 20))
    job = Job.create("test-protocol.rows", {"rows": 20}, {"x": x})
    provider, verifier = Provider(PROVIDER), Verifier(VERIFIER)
    run = provider.run(job, {"x": x})
    result = b"".join(run.outputs)
    res = verifier.verify_result(job, run.commitment, result, inputs={"x": x})
    assert res.accepted and res.fraud_proof is None
    assert res.verdict.proof_digest == run.commitment.root and res.verdict.challenge_digest == bytes(32)
    assert res.verdict.detection_probability == 1.0 and res.verdict.bad_fraction == 1 / 20
    wrong = result[:-1] + b"\x00"
    v = verifier.verify_result(job, run.commitment, wrong, inputs={"x": x}).verdict
    assert v.reasons == ("the delivered result does not match the committed root",)
    # a wrong result consistently committed: the root matches, the check does not
    tree = MerkleTree(Rows().chunks_from_result({}, {}, wrong))
    liar = Commitment.create(PROVIDER, job, tree.root)
    v = verifier.verify_result(job, liar, wrong, inputs={"x": x}).verdict
    assert v.reasons == ("rows: the result is wrong",)
    v = verifier.verify_result(job, run.commitment, result[:-8], inputs={"x": x}).verdict
    assert "19 chunks" in v.reasons[0]
    v = verifier.verify_result(job, run.commitment, result[:-3], inputs={"x": x}).verdict
    assert v.reasons == ("the delivered result is malformed: rows: the result is not a whole number of rows",)
    digest_job = Job.create("chunk_digest", {"chunk_size": 8}, {"data": x})
    with pytest.raises(InvalidInputError, match="chunks_from_result"):
        verifier.verify_result(digest_job, run.commitment, result, inputs={"data": x})


def test_commitment_refuses_other_tree_modes(job):
    with pytest.raises(InvalidInputError, match="tree_mode"):
        Commitment.create(PROVIDER, job, bytes(32), tree_mode="merkletools")
    with pytest.raises(DecodeError, match="tree mode"):
        raw = Commitment.create(PROVIDER, job, bytes(32)).to_bytes()
        Commitment.from_bytes(raw[: 6 + 72] + b"\x02" + raw[6 + 73 :])


def test_long_reasons_are_truncated_to_fit_a_verdict():
    job = Job.create("test-protocol.loud", {"count": 80, "multiplier": 1}, {})
    provider, verifier = Provider(PROVIDER), Verifier(VERIFIER)
    run = provider.run(job, {})
    challenge = verifier.challenge(job, run.commitment, samples=80)
    result = verifier.verify(job, run.commitment, challenge, provider.respond(run, challenge), inputs={})
    reasons = result.verdict.reasons
    assert not result.accepted and len(reasons) == 64
    assert all(len(r.encode()) <= 1024 and r.endswith("...") for r in reasons)
    assert Verdict.from_bytes(result.verdict.to_bytes()) == result.verdict
    assert verify_fraud_proof(result.fraud_proof).index == 0
