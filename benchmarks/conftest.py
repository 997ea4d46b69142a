"""Benchmark-wide setup: machine details recorded in the pytest-benchmark JSON.

Every benchmark tags itself with ``benchmark.extra_info`` (group / impl / label ...) so that
``benchmarks/report.py`` can pair our implementation with its alternatives from the same run;
the convention is documented at the top of report.py.
"""

from __future__ import annotations

import os
import platform
import ssl
import subprocess
from typing import Any

import numpy as np
import pytest

import verifiable
from verifiable import hashing


def _lscpu_model() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return platform.processor() or "unknown"
    for line in out.splitlines():
        if line.startswith("Model name:"):
            return line.split(":", 1)[1].strip()
    return "unknown"


def pytest_benchmark_update_machine_info(config: pytest.Config, machine_info: dict[str, Any]) -> None:
    machine_info["lscpu_model"] = _lscpu_model()
    machine_info["usable_cores"] = len(os.sched_getaffinity(0))
    machine_info["sha_backend"] = hashing.sha_backend()
    machine_info["sha_backends_available"] = list(hashing.available_sha_backends())
    machine_info["verifiable_version"] = verifiable.__version__
    machine_info["numpy_version"] = np.__version__
    machine_info["openssl"] = ssl.OPENSSL_VERSION
