"""Shared fixtures: every SHA and Merkle test runs under each SHA backend the CPU offers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from verifiable import hashing


@pytest.fixture(params=hashing.available_sha_backends())
def sha_backend(request: pytest.FixtureRequest) -> Iterator[str]:
    """Select one SHA-256 backend for the duration of a test, then restore the previous one."""
    previous = hashing.sha_backend()
    hashing.set_sha_backend(request.param)
    try:
        yield request.param
    finally:
        hashing.set_sha_backend(previous)
