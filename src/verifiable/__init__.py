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
from .freivalds import (
    FreivaldsError,
    FreivaldsReport,
    false_accept_bound,
    freivalds_check,
    freivalds_check_rows,
)
from .hashing import digest_chunks, sha256
from .hashwork import chunk_digest, hash_chain, hash_chain_seed, verify_chain_segment
from .identity import Identity, fingerprint, signing_input, verify_signature
from .matrix import (
    MODP,
    RowBlock,
    available_matmul_kernels,
    matmul,
    matmul_kernel,
    matmul_rows,
    parse_row_block,
    row_block_bytes,
    set_matmul_kernel,
)
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
from .messages import (
    Challenge,
    Commitment,
    EmbeddedInput,
    EquivocationProof,
    FraudFinding,
    FraudProof,
    Job,
    SpotCheckProof,
    Verdict,
    verify_equivocation,
    verify_exchange,
    verify_fraud_proof,
)
from .protocol import Provider, ProviderRun, VerificationResult, Verifier
from .soundness import (
    bad_chunk_count,
    describe,
    describe_audit,
    detection_probability,
    miss_probability,
    samples_needed,
)
from .workloads import CheckReport, Workload, get_workload, register_workload, registered_workloads

__version__ = "0.1.0"

__all__ = [
    "BEACON_MARGIN_BITS",
    "MODP",
    "Challenge",
    "CheckReport",
    "Commitment",
    "ConsistencyProof",
    "DecodeError",
    "EmbeddedInput",
    "EquivocationProof",
    "FraudFinding",
    "FraudProof",
    "FreivaldsError",
    "FreivaldsReport",
    "Identity",
    "InclusionProof",
    "InvalidInputError",
    "Job",
    "MerkleBuilder",
    "MerkleTree",
    "MultiProof",
    "Provider",
    "ProviderRun",
    "RowBlock",
    "SpotCheckProof",
    "Verdict",
    "VerifiableError",
    "VerificationError",
    "VerificationResult",
    "Verifier",
    "Workload",
    "available_matmul_kernels",
    "bad_chunk_count",
    "beacon_samples",
    "beacon_seed",
    "chunk_digest",
    "derive_indices",
    "describe",
    "describe_audit",
    "detection_probability",
    "digest_chunks",
    "false_accept_bound",
    "fingerprint",
    "freivalds_check",
    "freivalds_check_rows",
    "get_workload",
    "hash_chain",
    "hash_chain_seed",
    "interactive_seed",
    "leaf_hash",
    "matmul",
    "matmul_kernel",
    "matmul_rows",
    "miss_probability",
    "parse_row_block",
    "probe_seed",
    "register_workload",
    "registered_workloads",
    "row_block_bytes",
    "samples_needed",
    "set_matmul_kernel",
    "sha256",
    "signing_input",
    "verify_chain_segment",
    "verify_consistency",
    "verify_equivocation",
    "verify_exchange",
    "verify_fraud_proof",
    "verify_inclusion",
    "verify_multiproof",
    "verify_signature",
]
