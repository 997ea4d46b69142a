"""verifiable: Merkle commitments and signed spot-check proofs over a C kernel.

A scheduler that hands chunks of work to providers it does not trust commits
them to a Merkle tree (RFC 6962 hashing), challenges random chunks after the
commitment, and checks the answers by recomputation or, for matrix products,
by Freivalds' algorithm.
"""

from .challenge import (
    BEACON_MARGIN_BITS,
    beacon_samples,
    beacon_seed,
    derive_indices,
    interactive_seed,
    probe_seed,
)
from .exceptions import DecodeError, InvalidInputError, VerifiableError, VerificationError
from .hashing import digest_chunks, sha256
from .identity import Identity, fingerprint, signing_input, verify_signature
from .merkle import (
    ConsistencyProof,
    InclusionProof,
    MerkleBuilder,
    MerkleTree,
    MultiProof,
    leaf_hash,
    verify_consistency,
    verify_inclusion,
    verify_multiproof,
)
from .soundness import (
    bad_chunk_count,
    describe,
    describe_audit,
    detection_probability,
    miss_probability,
    samples_needed,
)

__version__ = "0.1.0"

__all__ = [
    "BEACON_MARGIN_BITS",
    "ConsistencyProof",
    "DecodeError",
    "Identity",
    "InclusionProof",
    "InvalidInputError",
    "MerkleBuilder",
    "MerkleTree",
    "MultiProof",
    "VerifiableError",
    "VerificationError",
    "bad_chunk_count",
    "beacon_samples",
    "beacon_seed",
    "derive_indices",
    "describe",
    "describe_audit",
    "detection_probability",
    "digest_chunks",
    "fingerprint",
    "interactive_seed",
    "leaf_hash",
    "miss_probability",
    "probe_seed",
    "samples_needed",
    "sha256",
    "signing_input",
    "verify_consistency",
    "verify_inclusion",
    "verify_multiproof",
    "verify_signature",
]
