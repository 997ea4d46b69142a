"""Spot-check verification benchmarks (issue 4): the verifier's cost for 264 opened chunks of a
2^20-chunk commitment, without recomputing the chunks.

Run:  .venv/bin/python -m pytest benchmarks/test_bench_protocol.py --benchmark-only

- ``spot_check_264_of_2^20``: everything a verifier does before looking at the chunks, from the
  bytes received: decode the commitment, challenge and proof, check the three Ed25519
  signatures, the bindings (digests, job id, the challenge's derivation of 264 indices and check
  seeds from its seed) and the multiproof against the committed root (issue target: <= 5 ms).
  The alternative is the same protocol with 264 separate RFC 9162 inclusion proofs in place of
  the multiproof: the same decoding, signatures and bindings, 264 proofs decoded and verified.
- ``open_264_of_2^20``: the Merkle part alone, on decoded proofs: one ``verify_multiproof``
  (leaf hashes in one kernel call) against 264 ``verify_inclusion`` calls. Proof sizes are in
  extra_info["sizes"].
"""

from __future__ import annotations

import hashlib
import struct
from typing import Any

import numpy as np
import pytest

from verifiable import (
    InclusionProof,
    MerkleTree,
    _bindings,
    leaf_hash,
    verify_inclusion,
    verify_multiproof,
)
from verifiable.identity import Identity, verify_signature
from verifiable.merkle import _leaf_hashes
from verifiable.messages import Challenge, Commitment, Job, SpotCheckProof
from verifiable.protocol import Verifier

N_CHUNKS = 1 << 20
SAMPLES = 264
SEED = 20260604
ALT_DOMAIN = b"spot-check-proof-inclusion/v1"


def tag(benchmark: Any, group: str, impl: str, label: str, **extra: Any) -> None:
    assert impl in ("ours", "alt")
    benchmark.group = group
    benchmark.extra_info.update({"group": group, "impl": impl, "label": label, **extra})


@pytest.fixture(scope="module")
def setup() -> dict[str, Any]:
    rng = np.random.default_rng(SEED)
    outputs = rng.integers(0, 256, size=(N_CHUNKS, 32), dtype=np.uint8)
    tree = MerkleTree(outputs)
    provider, verifier_id = Identity.from_seed(b"\x01" * 32), Identity.from_seed(b"\x02" * 32)
    job = Job("chunk_digest", {"chunk_size": 1 << 12}, {"data": bytes(32)}, N_CHUNKS)
    commitment = Commitment.create(provider, job, tree.root)
    verifier = Verifier(verifier_id)
    draws = iter(range(2))  # a fixed nonce and seed, so every run opens the same chunks
    challenge = verifier.challenge(
        job, commitment, samples=SAMPLES,
        rng=lambda n: hashlib.sha256(b"bench/%d" % next(draws)).digest()[:n],
    )
    opened = [outputs[i].tobytes() for i in challenge.indices]
    proof = SpotCheckProof.create(provider, challenge, opened, tree.multiproof(challenge.indices))
    # the alternative proof: the same outputs, one inclusion proof each, signed the same way
    inclusion = [tree.inclusion_proof(i).to_bytes() for i in challenge.indices]
    alt_body = challenge.digest() + b"".join(
        struct.pack(">I", len(o)) + o + struct.pack(">I", len(p)) + p for o, p in zip(opened, inclusion)
    )
    return {
        "job": job, "verifier": verifier, "provider_key": provider.public_key, "tree": tree,
        "raw": (commitment.to_bytes(), challenge.to_bytes(), proof.to_bytes()),
        "opened": opened, "inclusion": inclusion, "alt_body": alt_body,
        "alt_signature": provider.sign(ALT_DOMAIN, alt_body), "proof": proof, "challenge": challenge,
    }


def test_spot_check_multiproof(benchmark: Any, setup: dict[str, Any]) -> None:
    job, verifier = setup["job"], setup["verifier"]
    raw_c, raw_ch, raw_p = setup["raw"]

    def run() -> dict[int, tuple[bytes, bytes]]:
        com = Commitment.from_bytes(raw_c)
        ch = Challenge.from_bytes(raw_ch)
        pr = SpotCheckProof.from_bytes(raw_p)
        return verifier.check_openings(job, com, ch, pr)

    assert len(run()) == SAMPLES
    tag(benchmark, "spot_check_264_of_2^20", "ours", "multiproof", limit_us=5000.0, size=N_CHUNKS, k=SAMPLES,
        note="decode 3 messages, 3 Ed25519 signatures, bindings, 1 multiproof",
        sizes=[{"what": "proof bytes", "ours": len(raw_p),
                "alt": len(setup["alt_body"]) + 64 + 6}])
    benchmark(run)


def test_spot_check_inclusion_proofs(benchmark: Any, setup: dict[str, Any]) -> None:
    job = setup["job"]
    raw_c, raw_ch, _ = setup["raw"]
    body, sig, key = setup["alt_body"], setup["alt_signature"], setup["provider_key"]
    verifier_key = setup["verifier"].public_key

    def run() -> int:
        com = Commitment.from_bytes(raw_c)
        ch = Challenge.from_bytes(raw_ch)
        # decode the alternative proof: per chunk, its output and its inclusion proof
        pos, items = 32, []
        while pos < len(body):
            n = struct.unpack_from(">I", body, pos)[0]
            out = body[pos + 4 : pos + 4 + n]
            pos += 4 + n
            m = struct.unpack_from(">I", body, pos)[0]
            items.append((out, InclusionProof.from_bytes(body[pos + 4 : pos + 4 + m])))
            pos += 4 + m
        com.verify_signature()
        assert ch.verifier_key == verifier_key
        ch.verify_signature()
        verify_signature(key, ALT_DOMAIN, body, sig)
        com.check_binding(job)
        ch.check_binding(com)
        if body[:32] != ch.digest() or tuple(p.index for _, p in items) != ch.indices:
            raise AssertionError("alternative proof does not answer the challenge")
        for out, p in items:
            verify_inclusion(proof=p, leaf_hash=leaf_hash(out), root=com.root, tree_size=com.n_chunks)
        return len(items)

    assert run() == SAMPLES
    tag(benchmark, "spot_check_264_of_2^20", "alt", "264 inclusion proofs", size=N_CHUNKS, k=SAMPLES)
    benchmark(run)


def test_open_multiproof(benchmark: Any, setup: dict[str, Any]) -> None:
    proof, root = setup["proof"], setup["tree"].root
    mp = proof.multiproof

    def run() -> None:
        hashes = _leaf_hashes(list(proof.outputs), _bindings.mode_id("rfc6962"), 1).tobytes()
        leaves = {i: hashes[32 * k : 32 * k + 32] for k, i in enumerate(mp.indices)}
        verify_multiproof(proof=mp, leaf_hashes=leaves, root=root, tree_size=N_CHUNKS)

    run()
    n_hashes_alt = sum(len(InclusionProof.from_bytes(p).siblings) for p in setup["inclusion"])
    tag(benchmark, "open_264_of_2^20", "ours", "verify_multiproof", size=N_CHUNKS, k=SAMPLES,
        sizes=[{"what": "hashes", "ours": len(mp.siblings), "alt": n_hashes_alt},
               {"what": "bytes", "ours": len(mp.to_bytes()), "alt": sum(len(p) for p in setup["inclusion"])}])
    benchmark(run)


def test_open_inclusion_proofs(benchmark: Any, setup: dict[str, Any]) -> None:
    proofs = [InclusionProof.from_bytes(p) for p in setup["inclusion"]]
    opened, root = setup["opened"], setup["tree"].root

    def run() -> None:
        for out, p in zip(opened, proofs):
            verify_inclusion(proof=p, leaf_hash=leaf_hash(out), root=root, tree_size=N_CHUNKS)

    run()
    tag(benchmark, "open_264_of_2^20", "alt", "264 x verify_inclusion", size=N_CHUNKS, k=SAMPLES)
    benchmark(run)
