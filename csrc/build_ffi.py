"""cffi builder for the verifiable kernel (API mode, out of line).

Every ``csrc/*.c`` file is compiled into ``verifiable._native``; the cdef is the
concatenation of ``csrc/*.cdef`` and the generated module includes every public
``csrc/vf*.h`` header, so a cdef that drifts from its header fails to compile.

Environment knobs (all optional):

* ``VERIFIABLE_WERROR=1``    treat compiler warnings as errors (CI sets it).
* ``VERIFIABLE_SANITIZE=1``  build with AddressSanitizer and UBSan (``make sanitize``).
* ``VERIFIABLE_DEBUG=1``     build with ``-O0 -g``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from cffi import FFI

HERE = Path(__file__).resolve().parent


def _rel(path: Path) -> str:
    # setuptools wants source paths relative to the project root
    return os.path.relpath(path, HERE.parent)


def _flags() -> tuple[list[str], list[str]]:
    compile_args = ["-std=gnu11", "-Wall", "-Wextra", "-fvisibility=hidden", "-pthread"]
    link_args = ["-pthread"]
    if os.environ.get("VERIFIABLE_DEBUG") == "1":
        compile_args += ["-O0", "-g"]
    else:
        compile_args += ["-O3"]
    if os.environ.get("VERIFIABLE_WERROR") == "1":
        compile_args.append("-Werror")
    if os.environ.get("VERIFIABLE_SANITIZE") == "1":
        san = ["-fsanitize=address,undefined", "-fno-omit-frame-pointer", "-fno-sanitize-recover=all"]
        compile_args += san + ["-g"]
        link_args += san
    return compile_args, link_args


def _headers() -> list[Path]:
    return sorted(p for p in HERE.glob("vf*.h") if p.name != "vf_internal.h")


ffibuilder = FFI()
ffibuilder.cdef("\n".join(p.read_text() for p in sorted(HERE.glob("*.cdef"))))
_compile_args, _link_args = _flags()
ffibuilder.set_source(
    "verifiable._native",
    "\n".join(f'#include "{p.name}"' for p in _headers()),
    sources=[_rel(p) for p in sorted(HERE.glob("*.c"))],
    include_dirs=[_rel(HERE)],
    libraries=["m"],  # fma()/fmaf() of the portable float matmul
    extra_compile_args=_compile_args,
    extra_link_args=_link_args,
)

if __name__ == "__main__":
    sys.exit(ffibuilder.compile(verbose=True) and 0)
