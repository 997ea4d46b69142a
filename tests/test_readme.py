"""The README's Python examples run as written (the Merkle one with data of its own)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

README = Path(__file__).resolve().parent.parent / "README.md"


def blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)


def test_every_python_block_runs() -> None:
    found = blocks()
    assert len(found) >= 3
    for code in found:
        namespace: dict[str, object] = {"chunks": [bytes([i % 256]) * 100 for i in range(4000)], "np": np}
        exec(compile(code, str(README), "exec"), namespace)  # noqa: S102 - our own README


def test_the_user_workload_example_is_at_most_30_lines() -> None:
    (workload,) = [b for b in blocks() if "class Squares(Workload)" in b]
    assert len(workload.strip().splitlines()) <= 30
