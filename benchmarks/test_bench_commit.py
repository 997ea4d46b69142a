"""Commitment overhead (issue 3, section 5): hashing and committing the output of an n = 4096
float32 matrix product, as a fraction of the product itself.

Run:  .venv/bin/python -m pytest benchmarks/test_bench_commit.py --benchmark-only

The product is numpy's ``a @ b`` (OpenBLAS, every core): what a provider would use. The
commitment is what the provider then does: the RFC 6962 leaf hash of every row block's canonical
bytes (header || block, streamed from the product in place: ``MatrixProduct.leaf_hashes``) and
the Merkle tree over them. Target: the commitment costs <= 4 % of the product, i.e. a ratio
(product time / commit time) >= 25. The path that first materialises every chunk's bytes
(``chunks_from_result`` + ``MerkleTree``) is measured too, for comparison.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from verifiable import MerkleTree, get_workload

N = 4096
ROWS = 16
GROUP = "commit_overhead_4096_float32"


@pytest.fixture(scope="module")
def product() -> tuple[dict[str, Any], np.ndarray]:
    rng = np.random.default_rng(4096)
    a = rng.standard_normal((N, N), dtype=np.float32)
    b = rng.standard_normal((N, N), dtype=np.float32)
    return {"a": a, "b": b}, a @ b


def tag(benchmark: Any, impl: str, label: str, **extra: Any) -> None:
    benchmark.group = GROUP
    benchmark.extra_info.update({"group": GROUP, "impl": impl, "label": label, **extra})


def test_matmul_numpy(benchmark: Any, product: tuple[dict[str, Any], np.ndarray]) -> None:
    inputs, c = product
    tag(benchmark, "alt", "numpy matmul", note="the product being committed (OpenBLAS, all cores)")
    out = benchmark.pedantic(lambda: inputs["a"] @ inputs["b"], rounds=3, iterations=1)
    assert out.shape == c.shape


def test_commit_streamed(benchmark: Any, product: tuple[dict[str, Any], np.ndarray]) -> None:
    inputs, c = product
    work = get_workload("matmul")
    params = {"mode": "float32", "rows_per_chunk": ROWS}
    expected = MerkleTree(work.chunks_from_result(params, inputs, c)).root  # type: ignore[attr-defined]
    tag(benchmark, "ours", "leaf hashes streamed + tree", targets={"numpy matmul": 25.0}, bytes=c.nbytes,
        note=f"{N // ROWS} row blocks of {ROWS} rows")

    def commit() -> bytes:
        return MerkleTree.from_leaf_hashes(work.leaf_hashes(params, inputs, c)).root  # type: ignore[attr-defined]

    assert benchmark.pedantic(commit, rounds=10, iterations=1) == expected


def test_commit_materialised(benchmark: Any, product: tuple[dict[str, Any], np.ndarray]) -> None:
    inputs, c = product
    work = get_workload("matmul")
    params = {"mode": "float32", "rows_per_chunk": ROWS}
    tag(benchmark, "ours", "chunk bytes + tree", bytes=c.nbytes, note="every chunk's bytes built first")

    def commit() -> bytes:
        return MerkleTree(work.chunks_from_result(params, inputs, c)).root  # type: ignore[attr-defined]

    benchmark.pedantic(commit, rounds=5, iterations=1)
