"""The exceptions of ``verifiable``.

Every error the library raises on purpose derives from :class:`VerifiableError`.
Bad arguments raise :class:`InvalidInputError`, which is also a ``ValueError``;
bytes or JSON that do not decode strictly raise :class:`DecodeError` (a kind of
bad argument); a proof, signature or result that does not check out raises
:class:`VerificationError`.
"""

from __future__ import annotations

__all__ = ["DecodeError", "InvalidInputError", "VerifiableError", "VerificationError"]


class VerifiableError(Exception):
    """Base class of every error raised by ``verifiable``; never raised itself."""


class InvalidInputError(VerifiableError, ValueError):
    """An argument has the wrong type, length, shape, range or layout."""


class DecodeError(InvalidInputError):
    """Serialized bytes or JSON are truncated, padded, of an unknown version or not canonical."""


class VerificationError(VerifiableError):
    """A proof, signature or computed result does not check out."""
