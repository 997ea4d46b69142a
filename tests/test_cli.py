"""The command line, in process and as the installed ``verifiable`` script."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from verifiable import MerkleTree, leaf_hash
from verifiable.cli import main


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(argv), out=out), out.getvalue()


@pytest.fixture()
def data_file(tmp_path: Path) -> tuple[Path, list[bytes]]:
    payload = os.urandom(10 * 1000 + 17)
    path = tmp_path / "data.bin"
    path.write_bytes(payload)
    return path, [payload[i : i + 1000] for i in range(0, len(payload), 1000)]


def test_root_matches_the_library(data_file: tuple[Path, list[bytes]]) -> None:
    path, chunks = data_file
    status, text = run("root", str(path), "--chunk-size", "1000")
    assert status == 0
    doc = json.loads(text)
    assert doc["root"] == MerkleTree(chunks).root.hex()
    assert doc["tree_size"] == len(chunks) == 11


def test_root_streams_in_windows(monkeypatch: pytest.MonkeyPatch, data_file: tuple[Path, list[bytes]]) -> None:
    from verifiable import cli

    monkeypatch.setattr(cli, "WINDOW", 2500)  # two chunks per window
    path, chunks = data_file
    assert json.loads(run("root", str(path), "--chunk-size", "1000")[1])["root"] == MerkleTree(chunks).root.hex()


def test_prove_then_verify(tmp_path: Path, data_file: tuple[Path, list[bytes]]) -> None:
    path, chunks = data_file
    status, text = run("prove", str(path), "--chunk-size", "1000", "--index", "7", "--index", "2")
    assert status == 0
    doc = json.loads(text)
    proof_file = tmp_path / "proof.json"
    proof_file.write_text(text)
    chunk_file = tmp_path / "chunk7"
    chunk_file.write_bytes(chunks[7])
    status, _ = run("verify-multiproof", str(proof_file), "--root", doc["root"], "--tree-size", "11",
                    "--leaf", f"2={leaf_hash(chunks[2]).hex()}", "--data", f"7={chunk_file}")
    assert status == 0
    # a tampered chunk, a wrong root and a wrong trusted size are each refused with status 1
    chunk_file.write_bytes(chunks[7][:-1] + b"\x00")
    assert run("verify-multiproof", str(proof_file), "--root", doc["root"], "--tree-size", "11",
               "--leaf", f"2={leaf_hash(chunks[2]).hex()}", "--data", f"7={chunk_file}")[0] == 1
    chunk_file.write_bytes(chunks[7])
    bad_root = ("00" if doc["root"][:2] != "00" else "11") + doc["root"][2:]
    for root, size in ((bad_root, "11"), (doc["root"], "12")):
        assert run("verify-multiproof", str(proof_file), "--root", root, "--tree-size", size,
                   "--leaf", f"2={leaf_hash(chunks[2]).hex()}", "--data", f"7={chunk_file}")[0] == 1


def test_bad_input_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("root", str(tmp_path / "missing"), "--chunk-size", "10")[0] == 2
    assert "cannot read" in capsys.readouterr().err
    (tmp_path / "p.json").write_text("{not json")
    assert run("verify-multiproof", str(tmp_path / "p.json"), "--root", "00" * 32, "--tree-size", "1")[0] == 2
    (tmp_path / "p.json").write_text("{}")
    assert run("verify-multiproof", str(tmp_path / "p.json"), "--root", "zz", "--tree-size", "1")[0] == 2
    with pytest.raises(SystemExit) as exc:
        main(["root", "x", "--chunk-size", "0"])
    assert exc.value.code == 2


def test_installed_script_runs(data_file: tuple[Path, list[bytes]]) -> None:
    path, chunks = data_file
    script = shutil.which("verifiable", path=str(Path(sys.executable).parent))
    cmd = [script] if script else [sys.executable, "-m", "verifiable.cli"]
    done = subprocess.run([*cmd, "root", str(path), "--chunk-size", "1000"], capture_output=True, text=True,
                          check=True)
    assert json.loads(done.stdout)["root"] == MerkleTree(chunks).root.hex()
