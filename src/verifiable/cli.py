"""The ``verifiable`` command line: Merkle commitments over files, and proofs in JSON.

Every command reads and writes the documented, language-neutral forms (hex roots, the JSON
proof encodings), so a scheduler in any language can drive it through a subprocess::

    verifiable root data.bin --chunk-size 1048576
    verifiable prove data.bin --chunk-size 1048576 --index 3 --index 17 > proof.json
    verifiable verify-multiproof proof.json --root <hex> --tree-size 64 --leaf 3=<hex> --leaf 17=<hex>
    verifiable keygen provider.key
    verifiable show message.bin                 # any protocol message, bytes or JSON -> JSON
    verifiable verify-fraud-proof fraud.vfp     # convicts a provider without trusting anyone
    verifiable verify-equivocation equivocation.bin

Exit status: 0 success, 1 a proof or check that does not verify, 2 bad arguments or input.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO

from . import __version__
from .exceptions import InvalidInputError, VerifiableError, VerificationError
from .merkle import MerkleBuilder, MerkleTree, MultiProof, leaf_hash, verify_multiproof

__all__ = ["main"]

#: Bytes read per window when streaming a file (a whole number of chunks, at least one).
WINDOW = 64 * 2**20

Command = Callable[[argparse.Namespace, TextIO], int]
_COMMANDS: dict[str, Command] = {}


def _command(name: str) -> Callable[[Command], Command]:
    def register(fn: Command) -> Command:
        _COMMANDS[name] = fn
        return fn

    return register


def _file_chunks(path: str, chunk_size: int) -> Iterator[list[bytes]]:
    """Batches of consecutive ``chunk_size``-byte chunks of a file (the last may be short)."""
    per_window = max(1, WINDOW // chunk_size)
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise InvalidInputError(f"cannot read {path!r}: {exc.strerror}") from None
    with handle:
        while True:
            batch = []
            for _ in range(per_window):
                chunk = handle.read(chunk_size)
                if not chunk:
                    break
                batch.append(chunk)
            if not batch:
                return
            yield batch
            if len(batch[-1]) < chunk_size:
                return


def _hex32(text: str, what: str) -> bytes:
    try:
        value = bytes.fromhex(text)
    except ValueError:
        raise InvalidInputError(f"{what} must be hexadecimal, got {text!r}") from None
    if len(value) != 32:
        raise InvalidInputError(f"{what} must be 32 bytes (64 hex digits), got {len(value)} bytes")
    return value


@_command("root")
def _cmd_root(args: argparse.Namespace, out: TextIO) -> int:
    builder = MerkleBuilder(mode=args.mode)
    for batch in _file_chunks(args.file, args.chunk_size):
        builder.extend(batch)
    _emit(out, {"root": builder.root.hex(), "tree_size": builder.size, "mode": args.mode,
               "chunk_size": args.chunk_size})
    return 0


@_command("prove")
def _cmd_prove(args: argparse.Namespace, out: TextIO) -> int:
    chunks = [c for batch in _file_chunks(args.file, args.chunk_size) for c in batch]
    tree = MerkleTree(chunks, mode=args.mode)
    indices = sorted(set(args.index))
    proof = tree.multiproof(indices)
    _emit(out, {"root": tree.root.hex(), "tree_size": tree.size, "mode": args.mode,
               "leaf_hashes": {str(i): tree.leaf_hash(i).hex() for i in indices},
               "proof": json.loads(proof.to_json())})
    return 0


@_command("verify-multiproof")
def _cmd_verify_multiproof(args: argparse.Namespace, out: TextIO) -> int:
    try:
        with open(args.proof, encoding="utf-8") as handle:
            document: Any = json.load(handle)
    except OSError as exc:
        raise InvalidInputError(f"cannot read {args.proof!r}: {exc.strerror}") from None
    except ValueError as exc:
        raise InvalidInputError(f"{args.proof!r} is not JSON: {exc}") from None
    proof_obj = document.get("proof", document) if isinstance(document, dict) else document
    proof = MultiProof.from_json(json.dumps(proof_obj))
    leaves: dict[int, bytes] = {}
    for item in args.leaf:
        index, sep, value = item.partition("=")
        if not sep or not index.isdigit():
            raise InvalidInputError(f"--leaf takes INDEX=HEX, got {item!r}")
        leaves[int(index)] = _hex32(value, f"leaf hash of {index}")
    for item in args.data:
        index, sep, path = item.partition("=")
        if not sep or not index.isdigit():
            raise InvalidInputError(f"--data takes INDEX=PATH, got {item!r}")
        try:
            with open(path, "rb") as handle:
                leaves[int(index)] = leaf_hash(handle.read(), mode=args.mode)
        except OSError as exc:
            raise InvalidInputError(f"cannot read {path!r}: {exc.strerror}") from None
    verify_multiproof(proof=proof, leaf_hashes=leaves, root=_hex32(args.root, "--root"),
                      tree_size=args.tree_size, mode=args.mode)
    out.write(f"ok: {len(leaves)} leaves verified against {args.root}\n")
    return 0


def _emit(out: TextIO, obj: dict[str, Any]) -> None:
    """One JSON document on one line: what every command prints."""
    json.dump(obj, out)
    out.write("\n")


def _read_typed(path: str, expect: type) -> Any:
    message = _read_message(path)
    if not isinstance(message, expect):
        raise InvalidInputError(f"{path!r} holds a {type(message).__name__}, expected {expect.__name__}")
    return message


def _read_message(path: str) -> Any:
    """Any protocol message from a file holding its binary encoding or its JSON form."""
    from . import messages

    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise InvalidInputError(f"cannot read {path!r}: {exc.strerror}") from None
    kinds: list[Any] = [messages.Job, messages.Commitment, messages.Challenge, messages.SpotCheckProof,
             messages.Verdict, messages.FraudProof, messages.EquivocationProof]
    if raw[:1] == b"{":
        try:
            kind = json.loads(raw).get("type")
        except ValueError as exc:
            raise InvalidInputError(f"{path!r} is not JSON: {exc}") from None
        for cls in kinds:
            if cls.KIND == kind:
                return cls.from_json(raw.decode("utf-8"))
        raise InvalidInputError(f"{path!r}: unknown message type {kind!r}")
    if raw[: len(messages.MAGIC)] != messages.MAGIC or len(raw) < len(messages.MAGIC) + 2:
        raise InvalidInputError(f"{path!r} is not a verifiable message (bad magic)")
    tag = raw[len(messages.MAGIC)]
    for cls in kinds:
        if cls.TYPE == tag:
            return cls.from_bytes(raw)
    raise InvalidInputError(f"{path!r}: unknown message type tag {tag}")


@_command("keygen")
def _cmd_keygen(args: argparse.Namespace, out: TextIO) -> int:
    from .identity import Identity

    identity = Identity.generate()
    try:
        identity.save(args.path, overwrite=args.force)
    except FileExistsError:
        raise InvalidInputError(f"{args.path!r} exists; pass --force to replace it") from None
    except OSError as exc:
        raise InvalidInputError(f"cannot write {args.path!r}: {exc.strerror}") from None
    _emit(out, {"public_key": identity.public_key.hex(), "fingerprint": identity.fingerprint, "path": args.path})
    return 0


@_command("show")
def _cmd_show(args: argparse.Namespace, out: TextIO) -> int:
    message = _read_message(args.file)
    out.write(message.to_json())
    out.write("\n")
    return 0


@_command("verify-fraud-proof")
def _cmd_verify_fraud_proof(args: argparse.Namespace, out: TextIO) -> int:
    from .messages import FraudProof, verify_fraud_proof

    message = _read_typed(args.file, FraudProof)
    finding = verify_fraud_proof(message)
    _emit(out, {"convicted": finding.provider_key.hex(), "job_id": finding.job_id.hex(), "chunk": finding.index,
               "reason": finding.reason})
    return 0


@_command("verify-equivocation")
def _cmd_verify_equivocation(args: argparse.Namespace, out: TextIO) -> int:
    from .messages import EquivocationProof, verify_equivocation

    message = _read_typed(args.file, EquivocationProof)
    key = verify_equivocation(message)
    _emit(out, {"convicted": key.hex(), "job_id": message.first.job_id.hex()})
    return 0


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def _non_negative(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="verifiable", description=__doc__.split("\n\n")[0])
    parser.add_argument("--version", action="version", version=f"verifiable {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def with_mode(p: argparse.ArgumentParser) -> None:
        p.add_argument("--mode", default="rfc6962", choices=("rfc6962", "merkletools"),
                       help="Merkle hashing (default: rfc6962)")

    p = sub.add_parser("root", help="Merkle root over a file's fixed-size chunks (streamed)")
    p.add_argument("file")
    p.add_argument("--chunk-size", type=_positive, required=True)
    with_mode(p)

    p = sub.add_parser("prove", help="one multiproof for chunks of a file, as JSON")
    p.add_argument("file")
    p.add_argument("--chunk-size", type=_positive, required=True)
    p.add_argument("--index", type=_non_negative, action="append", required=True)
    with_mode(p)

    p = sub.add_parser("verify-multiproof", help="check a multiproof JSON against a root")
    p.add_argument("proof", help="a file holding MultiProof JSON (or the output of `prove`)")
    p.add_argument("--root", required=True, help="the trusted root, hex")
    p.add_argument("--tree-size", type=_non_negative, required=True, help="the trusted tree size")
    p.add_argument("--leaf", action="append", default=[], metavar="INDEX=HEX", help="an opened leaf hash")
    p.add_argument("--data", action="append", default=[], metavar="INDEX=PATH", help="an opened chunk's bytes")
    with_mode(p)

    p = sub.add_parser("keygen", help="create an Ed25519 identity file (mode 0600)")
    p.add_argument("path")
    p.add_argument("--force", action="store_true", help="replace an existing file")

    p = sub.add_parser("show", help="decode any protocol message (binary or JSON) and print its JSON")
    p.add_argument("file")

    p = sub.add_parser("verify-fraud-proof", help="re-check a fraud proof offline; exit 0 if it convicts")
    p.add_argument("file")

    p = sub.add_parser("verify-equivocation", help="re-check an equivocation proof; exit 0 if it convicts")
    p.add_argument("file")
    return parser


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 1 did not verify, 2 bad input)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    stream = out if out is not None else sys.stdout
    try:
        return _COMMANDS[args.command](args, stream)
    except VerificationError as exc:
        print(f"verifiable: NOT VERIFIED: {exc}", file=sys.stderr)
        return 1
    except VerifiableError as exc:
        print(f"verifiable: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
