"""The JavaScript verifier (verifiers/js, Node.js standard library only) agrees with ours.

It is run when ``node`` is on PATH; otherwise these tests are skipped and say why.
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from pathlib import Path

import pytest

from verifiable import MerkleTree, MultiProof, VerificationError, verify_multiproof

ROOT = Path(__file__).resolve().parent.parent
JS = ROOT / "verifiers" / "js" / "verify.mjs"
NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(NODE is None, reason="node is not on PATH: the JavaScript verifier was not run")


def run_js(command: str, payload: object, tmp_path: Path) -> list[dict[str, object]]:
    path = tmp_path / "cases.json"
    path.write_text(json.dumps(payload))
    done = subprocess.run([str(NODE), str(JS), command, str(path)], capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def ours(case: dict[str, object]) -> bool:
    proof = MultiProof.from_bytes(bytes.fromhex(str(case["proof"])))
    leaves = [bytes.fromhex(h) for h in case["leaf_hashes"]]  # type: ignore[attr-defined]
    try:
        verify_multiproof(proof=proof, leaf_hashes=dict(zip(proof.indices, leaves)),
                          root=bytes.fromhex(str(case["root"])), tree_size=int(case["trusted_size"]),  # type: ignore[call-overload]
                          mode=str(case["mode"]))
    except VerificationError:
        return False
    return True


def test_multiproofs_agree_with_python(tmp_path: Path) -> None:
    rng = random.Random(6962)
    cases = []
    for n in [1, 2, 3, 5, 8, 13, 64, 100, 257, 1000]:
        for mode in ("rfc6962", "merkletools"):
            tree = MerkleTree([rng.randbytes(rng.randrange(0, 40)) for _ in range(n)], mode=mode)
            idx = sorted(rng.sample(range(n), rng.randint(1, min(n, 12))))
            proof = tree.multiproof(idx)
            good = {"proof": proof.to_bytes().hex(), "trusted_size": n, "mode": mode, "root": tree.root.hex(),
                    "leaf_hashes": [tree.leaf_hash(i).hex() for i in idx]}
            cases.append(good)
            # tampered: every sibling flipped once, a leaf, the root, the trusted size
            for j in range(len(proof.siblings)):
                sibs = list(proof.siblings)
                sibs[j] = bytes([sibs[j][0] ^ 1]) + sibs[j][1:]
                cases.append({**good, "proof": MultiProof(n, proof.indices, tuple(sibs)).to_bytes().hex()})
            cases.append({**good, "leaf_hashes": ["00" * 32] + good["leaf_hashes"][1:]})
            cases.append({**good, "root": ("ff" + good["root"][2:]) if good["root"][:2] != "ff" else "00" + good["root"][2:]})
            cases.append({**good, "trusted_size": n + 1})
            cases.append({**good, "proof": good["proof"] + "00"})
    verdicts = run_js("multiproofs", cases, tmp_path)
    assert len(verdicts) == len(cases)
    for case, verdict in zip(cases, verdicts):
        try:
            expected = ours(case)
        except Exception:  # noqa: BLE001 - our decoder refused it: the JS one must too
            expected = False
        assert verdict["ok"] is expected, (case, verdict)
    assert sum(bool(v["ok"]) for v in verdicts) == 20
