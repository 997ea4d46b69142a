"""Fixed identities and a fixed random stream for the protocol tests and the golden vectors.

Every seed is ``SHA-256(b"verifiable/vectors/" + label)``; tests/vectors/protocol/keys.json
lists them with their public keys, so changing one here changes the vectors
(``generate.py --check`` fails). ``drbg`` stands in for the CSPRNG where a nonce or an
interactive seed is drawn, so a run is repeatable.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Callable

from verifiable.identity import Identity

SEEDS = {
    name: hashlib.sha256(b"verifiable/vectors/" + name.replace("_", "-").encode()).digest()
    for name in ("provider", "verifier", "other_provider", "other_verifier")
}
KEYS = {name: Identity.from_seed(seed) for name, seed in SEEDS.items()}
PROVIDER, VERIFIER = KEYS["provider"], KEYS["verifier"]
OTHER_PROVIDER, OTHER_VERIFIER = KEYS["other_provider"], KEYS["other_verifier"]


def drbg(label: str) -> Callable[[int], bytes]:
    """A counter-mode SHA-256 stream standing in for the CSPRNG: rng(n) -> n bytes."""
    state = [0]

    def draw(n: int) -> bytes:
        out = b""
        while len(out) < n:
            out += hashlib.sha256(b"verifiable/vectors/rng/" + label.encode() + struct.pack(">Q", state[0])).digest()
            state[0] += 1
        return out[:n]

    return draw
