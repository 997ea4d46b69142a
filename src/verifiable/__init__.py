"""verifiable: Merkle commitments and signed spot-check proofs over a C kernel.

A scheduler that hands chunks of work to providers it does not trust commits
them to a Merkle tree (RFC 6962 hashing), challenges random chunks after the
commitment, and checks the answers by recomputation or, for matrix products,
by Freivalds' algorithm.
"""

from .exceptions import DecodeError, InvalidInputError, VerifiableError, VerificationError
from .hashing import digest_chunks, sha256
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

__version__ = "0.1.0"

__all__ = [
    "ConsistencyProof",
    "DecodeError",
    "InclusionProof",
    "InvalidInputError",
    "MerkleBuilder",
    "MerkleTree",
    "MultiProof",
    "VerifiableError",
    "VerificationError",
    "digest_chunks",
    "leaf_hash",
    "sha256",
    "verify_consistency",
    "verify_inclusion",
    "verify_multiproof",
]
