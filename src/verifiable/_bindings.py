"""The one door into C.

Only this module imports the compiled ``_native`` module. It checks the ABI
stamp at import, reads constants from C, turns Python buffers into C pointers
and turns C status codes into exceptions. Nothing else in the package calls
``lib`` directly.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .exceptions import InvalidInputError, VerifiableError, VerificationError

try:
    from ._native import ffi, lib
except ImportError as exc:  # pragma: no cover - depends on the install
    raise ImportError(
        "the compiled kernel verifiable._native is missing; reinstall the package "
        "(`pip install .` or `make install`) with a C compiler available"
    ) from exc

#: The ABI version this Python code was written against (VF_ABI_VERSION in csrc/vf.h).
EXPECTED_ABI = 2

if lib.vf_abi_version() != EXPECTED_ABI:  # pragma: no cover - only with a stale build
    raise ImportError(
        f"verifiable._native was built for ABI {lib.vf_abi_version()} but the Python code "
        f"expects ABI {EXPECTED_ABI}: the compiled kernel is stale, reinstall the package"
    )

HASH_SIZE: int = lib.VF_HASH_SIZE
MAX_DEPTH: int = lib.VF_MAX_DEPTH
MODES: dict[str, int] = {
    "rfc6962": lib.VF_MODE_RFC6962,
    "merkletools": lib.VF_MODE_MERKLETOOLS,
}
SHA_BACKENDS: dict[str, int] = {"portable": lib.VF_SHA_PORTABLE, "shani": lib.VF_SHA_SHANI}

_VERIFY_FAILURES = frozenset(
    {lib.VF_E_MISMATCH, lib.VF_E_PROOF_SHAPE, lib.VF_E_ORDER, lib.VF_E_RANGE}
)
_INPUT_ERRORS = frozenset(
    {
        lib.VF_E_NULL,
        lib.VF_E_LENGTH,
        lib.VF_E_RANGE,
        lib.VF_E_ARG,
        lib.VF_E_ORDER,
        lib.VF_E_OVERFLOW,
        lib.VF_E_NONFINITE,
        lib.VF_E_BACKEND,
    }
)


def strerror(rc: int) -> str:
    """The kernel's own text for a status code."""
    return str(ffi.string(lib.vf_strerror(rc)).decode())


def check(rc: int, what: str, *, verifying: bool = False) -> None:
    """Turn a kernel status into the matching exception (or nothing for success).

    With ``verifying=True`` the statuses that mean "the proof is wrong" raise
    :class:`VerificationError`; otherwise they mean a bad argument got through.
    """
    if rc == lib.VF_OK:
        return
    message = f"{what}: {strerror(rc)}"
    if verifying and rc in _VERIFY_FAILURES:
        raise VerificationError(message)
    if rc == lib.VF_E_MISMATCH:
        raise VerificationError(message)
    if rc in _INPUT_ERRORS:
        raise InvalidInputError(message)
    raise VerifiableError(message)


def default_threads() -> int:
    """How many threads the kernel may use when the caller does not say."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def threads_arg(threads: int | None) -> int:
    if threads is None:
        return default_threads()
    if isinstance(threads, bool) or not isinstance(threads, int):
        raise InvalidInputError(f"threads must be a positive int or None, not {type(threads).__name__}")
    if threads < 1:
        raise InvalidInputError(f"threads must be >= 1, got {threads}")
    return threads


def mode_id(mode: str) -> int:
    try:
        return MODES[mode]
    except (KeyError, TypeError):
        raise InvalidInputError(
            f"unknown Merkle mode {mode!r}; expected one of {sorted(MODES)}"
        ) from None


def cbuf(data: Any) -> Any:
    """A read-only ``uint8_t[]`` view of a C-contiguous buffer, without copying."""
    return ffi.from_buffer("uint8_t[]", data)


def wbuf(array: NDArray[Any]) -> Any:
    """A writable ``uint8_t[]`` view of a numpy array the caller allocated."""
    return ffi.from_buffer("uint8_t[]", array, require_writable=True)


def u64_array(values: NDArray[np.uint64]) -> Any:
    return ffi.from_buffer("uint64_t[]", values)


# ---- SHA-256 ----

def sha_backend() -> str:
    current = lib.vf_sha256_backend()
    return next(name for name, code in SHA_BACKENDS.items() if code == current)


def available_sha_backends() -> tuple[str, ...]:
    return tuple(n for n, c in SHA_BACKENDS.items() if lib.vf_sha256_backend_available(c))


def set_sha_backend(name: str) -> None:
    if name not in SHA_BACKENDS:
        raise InvalidInputError(f"unknown SHA-256 backend {name!r}; expected one of {sorted(SHA_BACKENDS)}")
    check(lib.vf_sha256_set_backend(SHA_BACKENDS[name]), f"SHA-256 backend {name!r}")


def sha256(data: Any) -> bytes:
    out = ffi.new("uint8_t[32]")
    view = cbuf(data)
    check(lib.vf_sha256(view, len(view), out, 32), "sha256")
    return bytes(ffi.buffer(out))


def sha256_chunks(data: Any, chunk_size: int, threads: int) -> NDArray[np.uint8]:
    view = cbuf(data)
    n = len(view) // chunk_size + (1 if len(view) % chunk_size or len(view) == 0 else 0)
    out = np.empty((n, HASH_SIZE), dtype=np.uint8)
    check(lib.vf_sha256_chunks(view, len(view), chunk_size, wbuf(out), out.nbytes, threads), "digest_chunks")
    return out


# ---- Merkle ----

PREFIX_MAX: int = lib.VF_PREFIX_MAX


def sha256_prefixed(
    prefixes: bytes, prefix_len: int, data: Any, stride: int, length: int, count: int, threads: int
) -> NDArray[np.uint8]:
    """Digests of prefixes[i] || data[i * stride : i * stride + length] for i < count."""
    out = np.empty((count, HASH_SIZE), dtype=np.uint8)
    check(
        lib.vf_sha256_prefixed(cbuf(prefixes), len(prefixes), prefix_len, cbuf(data), len(data), stride,
                               length, count, wbuf(out), out.nbytes, threads),
        "prefixed SHA-256",
    )
    return out


def _hash_out(count: int, out: NDArray[np.uint8] | None) -> NDArray[np.uint8]:
    if out is None:
        return np.empty((count, HASH_SIZE), dtype=np.uint8)
    if out.shape != (count, HASH_SIZE) or out.dtype != np.uint8 or not out.flags.c_contiguous:
        raise InvalidInputError(f"out must be a C-contiguous ({count}, {HASH_SIZE}) uint8 array")
    return out


def hash_leaves_rows(
    mode: int, rows: NDArray[np.uint8], threads: int, out: NDArray[np.uint8] | None = None
) -> NDArray[np.uint8]:
    count, row = rows.shape
    out = _hash_out(count, out)
    check(
        lib.vf_hash_leaves_rows(mode, cbuf(rows), rows.nbytes, row, count, wbuf(out), out.nbytes, threads),
        "hashing leaves",
    )
    return out


def hash_leaves_offsets(
    mode: int, data: bytes, offsets: NDArray[np.uint64], threads: int, out: NDArray[np.uint8] | None = None
) -> NDArray[np.uint8]:
    out = _hash_out(len(offsets) - 1, out)
    check(
        lib.vf_hash_leaves_offsets(
            mode, cbuf(data), len(data), u64_array(offsets), len(offsets), wbuf(out), out.nbytes, threads
        ),
        "hashing leaves",
    )
    return out


def merkle_new_store(n: int) -> NDArray[np.uint8]:
    """An uninitialised level store for an n-leaf tree; its first n rows take the leaf hashes."""
    total = ffi.new("uint64_t *")
    check(lib.vf_merkle_store_size(n, total), "tree size")
    return np.empty((total[0], HASH_SIZE), dtype=np.uint8)


def merkle_build(mode: int, store: NDArray[np.uint8], n: int, threads: int) -> None:
    """Fill every level of ``store`` above its first n rows (the leaf hashes)."""
    check(lib.vf_merkle_build(mode, wbuf(store), store.nbytes, n, threads), "building the tree")


def merkle_root_at(mode: int, store: NDArray[np.uint8], n: int, size: int) -> bytes:
    out = ffi.new("uint8_t[32]")
    check(lib.vf_merkle_root_at(mode, cbuf(store), store.nbytes, n, size, out, 32), "root_at")
    return bytes(ffi.buffer(out))


def _hash_list(out: Any, count: int) -> tuple[bytes, ...]:
    raw = bytes(ffi.buffer(out, count * HASH_SIZE))
    return tuple(raw[i : i + HASH_SIZE] for i in range(0, len(raw), HASH_SIZE))


def merkle_inclusion_proof(store: NDArray[np.uint8], n: int, index: int) -> tuple[bytes, ...]:
    out = ffi.new(f"uint8_t[{MAX_DEPTH * HASH_SIZE}]")
    count = ffi.new("size_t *")
    check(
        lib.vf_merkle_inclusion_proof(cbuf(store), store.nbytes, n, index, out, len(out), count),
        "inclusion proof",
    )
    return _hash_list(out, count[0])


def merkle_consistency_proof(
    mode: int, store: NDArray[np.uint8], n: int, old_size: int, new_size: int
) -> tuple[bytes, ...]:
    out = ffi.new(f"uint8_t[{(MAX_DEPTH + 1) * HASH_SIZE}]")
    count = ffi.new("size_t *")
    check(
        lib.vf_merkle_consistency_proof(
            mode, cbuf(store), store.nbytes, n, old_size, new_size, out, len(out), count
        ),
        "consistency proof",
    )
    return _hash_list(out, count[0])


def merkle_multiproof(store: NDArray[np.uint8], n: int, indices: NDArray[np.uint64]) -> tuple[bytes, ...]:
    # a multiproof never needs more than k * depth siblings
    cap = max(1, len(indices) * MAX_DEPTH) * HASH_SIZE
    out = ffi.new(f"uint8_t[{cap}]")
    count = ffi.new("size_t *")
    check(
        lib.vf_merkle_multiproof(
            cbuf(store), store.nbytes, n, u64_array(indices), len(indices), out, cap, count
        ),
        "multiproof",
    )
    return _hash_list(out, count[0])


def verify_inclusion(mode: int, index: int, size: int, leaf: bytes, siblings: bytes, root: bytes) -> None:
    rc = lib.vf_verify_inclusion(mode, index, size, leaf, siblings, len(siblings) // HASH_SIZE, root)
    check(rc, "inclusion proof", verifying=True)


def verify_consistency(
    mode: int, old_size: int, new_size: int, old_root: bytes, new_root: bytes, siblings: bytes
) -> None:
    rc = lib.vf_verify_consistency(
        mode, old_size, new_size, old_root, new_root, siblings, len(siblings) // HASH_SIZE
    )
    check(rc, "consistency proof", verifying=True)


def verify_multiproof(
    mode: int, size: int, indices: NDArray[np.uint64], leaves: bytes, siblings: bytes, root: bytes
) -> None:
    rc = lib.vf_verify_multiproof(
        mode, size, u64_array(indices), len(indices), leaves, siblings, len(siblings) // HASH_SIZE, root
    )
    check(rc, "multiproof", verifying=True)


def builder_new(mode: int) -> Any:
    state = ffi.new("vf_builder *")
    check(lib.vf_builder_init(state, mode), "MerkleBuilder")
    return state


def builder_push(state: Any, leaf_hashes: NDArray[np.uint8]) -> None:
    check(lib.vf_builder_push(state, cbuf(leaf_hashes), leaf_hashes.shape[0]), "MerkleBuilder")


def builder_root(state: Any) -> bytes:
    out = ffi.new("uint8_t[32]")
    check(lib.vf_builder_root(state, out, 32), "MerkleBuilder")
    return bytes(ffi.buffer(out))


def builder_size(state: Any) -> int:
    return int(state.count)


if os.environ.get("VERIFIABLE_SHA", "").lower() == "portable":
    set_sha_backend("portable")


# ---- hashwork ----

SHA256_BLOCK_SIZE: int = lib.VF_SHA256_BLOCK_SIZE
SHA256_MAX_BYTES: int = lib.VF_SHA256_MAX_BYTES
HASH_CHAIN_SEED_SIZE: int = lib.VF_HASH_CHAIN_SEED_SIZE


def sha256_chunks_into(data: Any, chunk_size: int, out: NDArray[np.uint8], threads: int) -> None:
    """Digests of the chunk_size slices of ``data`` written into the (n, 32) rows of ``out``."""
    view = cbuf(data)
    check(
        lib.vf_sha256_chunks(view, len(view), chunk_size, wbuf(out), out.nbytes, threads),
        "chunk_digest",
    )


def sha256_ctx_new() -> Any:
    """A fresh streaming SHA-256 context (memory owned by cffi, freed with the object)."""
    ctx = ffi.new("vf_sha256_ctx *")
    check(lib.vf_sha256_init(ctx), "sha256 context")
    return ctx


def sha256_ctx_update(ctx: Any, data: Any) -> None:
    view = cbuf(data)
    check(lib.vf_sha256_update(ctx, view, len(view)), "sha256 update")


def sha256_ctx_final(ctx: Any, out: NDArray[np.uint8]) -> None:
    """Finish ``ctx`` and write its digest into the 32-byte array ``out``."""
    check(lib.vf_sha256_final(ctx, wbuf(out), out.nbytes), "sha256 final")


def hash_chain_seed(job_seed: bytes, index: int) -> bytes:
    out = ffi.new("uint8_t[32]")
    check(lib.vf_hash_chain_seed(job_seed, len(job_seed), index, out, 32), "hash_chain_seed")
    return bytes(ffi.buffer(out))


def hash_chain(
    job_seed: bytes, indices: NDArray[np.uint64], steps: int, every: int, threads: int
) -> NDArray[np.uint8]:
    out = np.empty((len(indices), steps // every, HASH_SIZE), dtype=np.uint8)
    check(
        lib.vf_hash_chain(
            job_seed, len(job_seed), u64_array(indices), len(indices), steps, every,
            wbuf(out), out.nbytes, threads,
        ),
        "hash_chain",
    )
    return out


def hash_chain_verify_segment(
    job_seed: bytes, index: int, checkpoints: Any, segment: int, steps: int, every: int
) -> None:
    view = cbuf(checkpoints)
    rc = lib.vf_hash_chain_verify_segment(
        job_seed, len(job_seed), index, view, len(view), segment, steps, every
    )
    what = f"hash chain {index}, segment {segment}"
    if rc == lib.VF_E_PROOF_SHAPE:
        raise VerificationError(f"{what}: {strerror(rc)}")
    check(rc, what)

# ---- matmul ----

MM_MODES: dict[str, int] = {
    "int64": lib.VF_MM_INT64,
    "modp": lib.VF_MM_MODP,
    "float32": lib.VF_MM_FLOAT32,
    "float64": lib.VF_MM_FLOAT64,
}
MM_MODULUS: int = int(lib.VF_MM_MODULUS)
MM_KERNELS: dict[str, int] = {
    "portable": lib.VF_MM_KERNEL_PORTABLE,
    "avx2": lib.VF_MM_KERNEL_AVX2,
    "avx512": lib.VF_MM_KERNEL_AVX512,
}


def matmul_kernel() -> str:
    current = lib.vf_matmul_kernel()
    return next(name for name, code in MM_KERNELS.items() if code == current)


def available_matmul_kernels() -> tuple[str, ...]:
    return tuple(n for n, c in MM_KERNELS.items() if lib.vf_matmul_kernel_available(c))


def set_matmul_kernel(name: str) -> None:
    if name not in MM_KERNELS:
        raise InvalidInputError(
            f"unknown matmul kernel {name!r}; expected one of {sorted(MM_KERNELS)}"
        )
    check(lib.vf_matmul_set_kernel(MM_KERNELS[name]), f"matmul kernel {name!r}")


def matmul(mode: int, a: NDArray[Any], b: NDArray[Any], out: NDArray[Any], threads: int) -> None:
    """out = a @ b in ``mode``; every array C-contiguous, aligned and of the mode's dtype."""
    m, k = a.shape
    n = b.shape[1]
    size = ffi.new("size_t *")
    check(lib.vf_matmul_workspace_size(mode, m, k, n, threads, size), "matmul workspace")
    work = np.empty(size[0], dtype=np.uint8)
    check(
        lib.vf_matmul(
            mode, cbuf(a), a.nbytes, cbuf(b), b.nbytes, m, k, n, wbuf(out), out.nbytes,
            wbuf(work), work.nbytes, threads,
        ),
        "matmul",
    )


_forced_kernel = os.environ.get("VERIFIABLE_MATMUL", "").strip().lower()
if _forced_kernel:
    if _forced_kernel not in available_matmul_kernels():
        raise InvalidInputError(
            f"VERIFIABLE_MATMUL={_forced_kernel!r}: not a matmul kernel this CPU can run "
            f"(available: {', '.join(available_matmul_kernels())})"
        )
    set_matmul_kernel(_forced_kernel)

# ---- freivalds ----

FREIVALDS_PRIME: int = int(lib.VF_FV_PRIME)
FREIVALDS_MAX_ROUNDS: int = int(lib.VF_FV_MAX_ROUNDS)
FREIVALDS_MODES: dict[str, int] = {
    "int64": lib.VF_FV_INT64,
    "modp": lib.VF_FV_MODP,
    "float32": lib.VF_FV_FLOAT32,
    "float64": lib.VF_FV_FLOAT64,
}
FREIVALDS_KERNELS: dict[str, int] = {
    "portable": lib.VF_FV_KERNEL_PORTABLE,
    "avx2": lib.VF_FV_KERNEL_AVX2,
    "avx512": lib.VF_FV_KERNEL_AVX512,
}


def freivalds_available_kernels() -> tuple[str, ...]:
    return tuple(n for n, c in FREIVALDS_KERNELS.items() if lib.vf_freivalds_kernel_available(c))


def freivalds_best_kernel() -> str:
    best = lib.vf_freivalds_best_kernel()
    return next(name for name, code in FREIVALDS_KERNELS.items() if code == best)


def _fv_where(names: tuple[str, ...], arrays: tuple[NDArray[Any], ...], bad: Any) -> str:
    """'a[2, 5] = nan' for the first element of the first array where bad(array) holds."""
    for name, arr in zip(names, arrays):
        hits = np.argwhere(bad(arr))
        if len(hits):
            idx = tuple(int(v) for v in hits[0])
            return f"{name}[{', '.join(map(str, idx))}] = {arr[idx].item()!r}"
    return "an input"  # pragma: no cover - the kernel and numpy disagree


def _fv_check(rc: int, what: str, mode: str, arrays: tuple[NDArray[Any], ...],
              names: tuple[str, ...] = ("a", "b", "c")) -> None:
    if rc == lib.VF_E_NONFINITE:
        where = _fv_where(names, arrays, lambda x: ~np.isfinite(x))
        raise InvalidInputError(f"{what}: {where}: NaN and infinity are not allowed")
    if rc == lib.VF_E_RANGE and mode == "modp":
        where = _fv_where(names, arrays, lambda x: x.view(np.uint64) >= FREIVALDS_PRIME)
        raise InvalidInputError(f"{what}: {where} is not reduced mod p = 2^61 - 1")
    if rc == lib.VF_E_RANGE and mode in ("float32", "float64"):
        raise InvalidInputError(
            f"{what}: the magnitudes of the inputs are too large for the check to run without "
            "overflow (float64 mode: keep max|A| * max|B| and max|C| below about 2^480)"
        )
    check(rc, what)


def freivalds_exact(
    mode: str, kernel: int, a: NDArray[Any], b: NDArray[Any], c: NDArray[Any],
    probes: NDArray[np.uint64], threads: int,
) -> NDArray[np.bool_]:
    """Rows of c that disagree with a @ b in some round (int64 or modp)."""
    m, k = a.shape
    n = b.shape[1]
    rounds = probes.shape[0]
    code = FREIVALDS_MODES[mode]
    size = ffi.new("size_t *")
    check(lib.vf_freivalds_work_size(code, m, k, n, rounds, threads, size), "Freivalds workspace")
    work = np.empty(max(1, size[0] // 8), dtype=np.uint64)
    bad = np.zeros(m, dtype=np.uint8)
    rc = lib.vf_freivalds_exact(
        code, kernel, cbuf(a), a.nbytes, cbuf(b), b.nbytes, cbuf(c), c.nbytes, m, k, n,
        ffi.from_buffer("uint64_t[]", probes), probes.size, rounds,
        ffi.from_buffer("uint8_t[]", work, require_writable=True), work.nbytes,
        wbuf(bad), bad.size, threads,
    )
    _fv_check(rc, "Freivalds check", mode, (a, b, c))
    return bad.astype(bool)


def freivalds_float(
    mode: str, kernel: int, a: NDArray[Any], b: NDArray[Any], c: NDArray[Any],
    probes: NDArray[np.float64], threads: int,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Per row: largest |C r - A (B r)| over the rounds, tight threshold, check-error bound."""
    m, k = a.shape
    n = b.shape[1]
    rounds = probes.shape[0]
    code = FREIVALDS_MODES[mode]
    size = ffi.new("size_t *")
    check(lib.vf_freivalds_work_size(code, m, k, n, rounds, threads, size), "Freivalds workspace")
    work = np.empty(max(1, size[0] // 8), dtype=np.float64)
    out = np.empty(3 * m, dtype=np.float64)
    rc = lib.vf_freivalds_float(
        code, kernel, cbuf(a), a.nbytes, cbuf(b), b.nbytes, cbuf(c), c.nbytes, m, k, n,
        ffi.from_buffer("double[]", probes), probes.size, rounds,
        ffi.from_buffer("uint8_t[]", work, require_writable=True), work.nbytes,
        ffi.from_buffer("double[]", out, require_writable=True), out.size, threads,
    )
    _fv_check(rc, "Freivalds check", mode, (a, b, c))
    return out[:m], out[m : 2 * m], out[2 * m :]


def freivalds_recheck(
    mode: str, kernel: int, a: NDArray[Any], b: NDArray[Any], c: NDArray[Any],
    rows: NDArray[np.uint64], threads: int,
) -> NDArray[np.float64]:
    """(len(rows), 5): entries beyond the honest bound, worst column, worst ratio, exact value there,
    sum of squared errors of the row."""
    m, k = a.shape
    n = b.shape[1]
    size = ffi.new("size_t *")
    check(lib.vf_freivalds_recheck_work_size(n, rows.size, size), "recheck workspace")
    work = np.empty(max(1, size[0] // 8), dtype=np.float64)
    out = np.empty((rows.size, int(lib.VF_FV_RECHECK_OUT)), dtype=np.float64)
    rc = lib.vf_freivalds_recheck(
        FREIVALDS_MODES[mode], kernel, cbuf(a), a.nbytes, cbuf(b), b.nbytes, cbuf(c), c.nbytes,
        m, k, n, ffi.from_buffer("uint64_t[]", rows), rows.size,
        ffi.from_buffer("uint8_t[]", work, require_writable=True), work.nbytes,
        ffi.from_buffer("double[]", out, require_writable=True), out.size, threads,
    )
    _fv_check(rc, "exact recomputation", mode, (a, b, c))
    return out
