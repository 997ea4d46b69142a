"""Honest-product sweep of the float Freivalds checks (issue 3, section 4; docs/FREIVALDS.md).

For every shape, data kind and dtype, C = A @ B is computed by numpy (OpenBLAS) with 1 and
with 2 BLAS threads (each in its own subprocess with OPENBLAS_NUM_THREADS set, so the
thread count really changes the summation order), then checked:

* false rejections: ``freivalds_check`` with the default 40 rounds must pass (any
  VerificationError is counted as a false rejection and printed);
* rows recomputed: rows over their tight threshold, settled exactly;
* max ratio: the largest |residual| / threshold over rows and rounds (< 1: no row flagged);
* tightness: threshold / measured honest residual, per row, where the honest residual is
  the root mean square of 8 single-round residuals; the median and the largest over rows;
* refusals by ``bound="realistic"`` (not false rejections in the any-order sense, but
  honest products that the stricter rule would refuse);
* detection: the error a single wrong entry needs to be caught by the proof, against the
  tight threshold and the honest residual.

Run:  .venv/bin/python benchmarks/freivalds_sweep.py            (full sweep, a few minutes)
      .venv/bin/python benchmarks/freivalds_sweep.py --quick    (small shapes only)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import zlib
from typing import Any

import numpy as np

SQUARE = (1, 2, 3, 7, 16, 64, 100, 256, 511, 1024, 2048, 4096)
RECT = ((1, 4096, 1), (1, 1, 4096), (4096, 1, 4096), (4096, 4096, 1), (17, 4096, 33),
        (1000, 10, 2000), (64, 4096, 4096), (4096, 64, 4096), (3, 1000, 5000))
KINDS = ("normal", "uniform01", "mixed", "cancel", "subnormal", "stagnation")
BIG = 1024  # from here on, only the realistic kinds and the largest shapes once per dtype


def make(kind: str, m: int, k: int, n: int, dtype: Any, rng: np.random.Generator) -> tuple[Any, Any]:
    f32 = dtype == np.float32
    if kind == "normal":
        a, b = rng.standard_normal((m, k)), rng.standard_normal((k, n))
    elif kind == "uniform01":  # same sign everywhere: the largest relative rounding errors
        a, b = rng.random((m, k)), rng.random((k, n))
    elif kind == "mixed":  # magnitudes spread over 15 (float32) or 60 (float64) decades
        span = 15 if f32 else 60
        a = rng.standard_normal((m, k)) * 10.0 ** rng.uniform(-span / 2, span / 2, (m, k))
        b = rng.standard_normal((k, n)) * 10.0 ** rng.uniform(-span / 2, span / 2, (k, n))
    elif kind == "cancel":  # [X, X] @ [Y; -Y + tiny]: products far larger than the result
        h = max(1, k // 2)
        x, y = rng.standard_normal((m, h)), rng.standard_normal((h, n))
        a = np.hstack([x, x])[:, :k]
        b = np.vstack([y, -y + 1e-6 * rng.standard_normal(y.shape)])[:k]
        if a.shape[1] < k or b.shape[0] < k:
            a = np.hstack([a, rng.standard_normal((m, k - a.shape[1]))])
            b = np.vstack([b, rng.standard_normal((k - b.shape[0], n))])
    elif kind == "subnormal":  # half of A subnormal, B mixed with small values
        tiny = 1e-42 if f32 else 1e-315
        a = rng.standard_normal((m, k)) * np.where(rng.random((m, k)) < 0.5, tiny, 1.0)
        b = rng.standard_normal((k, n)) * np.where(rng.random((k, n)) < 0.5, 1.0, 1e-5)
    elif kind == "stagnation":  # 1 + many terms below half an ulp: correlated rounding errors
        eps = (2.0**-25 if f32 else 2.0**-54) * 0.99
        a = np.full((m, k), eps)
        a[:, 0] = 1.0
        b = np.ones((k, n))
    else:
        raise ValueError(kind)
    return np.ascontiguousarray(a, dtype=dtype), np.ascontiguousarray(b, dtype=dtype)


def cases(quick: bool) -> list[tuple[str, str, tuple[int, int, int]]]:
    out = []
    shapes = [(s, s, s) for s in SQUARE] + list(RECT)
    for dtype in ("float32", "float64"):
        for shape in shapes:
            if quick and max(shape) > 512:
                continue
            for kind in KINDS:
                big_kind = kind in ("normal", "uniform01", "mixed") or (
                    kind in ("cancel", "stagnation") and shape == (1024, 1024, 1024))
                if max(shape) >= BIG and not big_kind:
                    continue
                out.append((dtype, kind, shape))
    return out


def worker(spec: list[Any]) -> None:
    """Run the given cases in this process (its OPENBLAS_NUM_THREADS is already set)."""
    from verifiable import _bindings, freivalds

    for dtype_name, kind, shape in spec:
        m, k, n = shape
        dtype = np.dtype(dtype_name).type
        rng = np.random.default_rng(zlib.crc32(repr((dtype_name, kind, tuple(shape))).encode()))
        a, b = make(kind, m, k, n, dtype, rng)
        with np.errstate(all="ignore"):
            c = a @ b
        row: dict[str, Any] = {"dtype": dtype_name, "kind": kind, "shape": shape}
        if not np.isfinite(c).all():
            row["skipped"] = "non-finite product"
            print(json.dumps(row), flush=True)
            continue
        t0 = time.perf_counter()
        try:
            rep = freivalds.freivalds_check(a, b, c, mode=dtype_name)
            row.update(ok=True, recomputed=rep.rows_recomputed, max_ratio=rep.max_ratio,
                       band=rep.band_factor)
        except Exception as exc:  # noqa: BLE001 - any exception on an honest product is a failure
            row.update(ok=False, error=f"{type(exc).__name__}: {exc}")
        row["check_ms"] = (time.perf_counter() - t0) * 1e3
        try:
            freivalds.freivalds_check(a, b, c, mode=dtype_name, bound="realistic")
            row["realistic_ok"] = True
        except Exception as exc:  # noqa: BLE001 - a refusal by the realistic bound
            row.update(realistic_ok=False, realistic_error=f"{type(exc).__name__}: {exc}")
        # tightness: threshold / rms of 8 single-round residuals (per row)
        kern = _bindings.FREIVALDS_KERNELS[freivalds.kernel()]
        res2 = np.zeros(m)
        thr = np.zeros(m)
        for _ in range(8):
            probes = freivalds._draw_probes(dtype_name, 1, n, rng)
            resid, thr, _ = _bindings.freivalds_float(dtype_name, kern, a, b, c, probes, 2)
            res2 += resid**2
        rms = np.sqrt(res2 / 8)
        live = (rms > 0) & (thr > 0)
        if live.any():
            tight = thr[live] / rms[live]
            row.update(tight_median=float(np.median(tight)), tight_max=float(tight.max()),
                       tight_min=float(tight.min()))
        # detection: a wrong entry (i, j) is caught once its error passes max(G_ij, band_i);
        # G_ij = gamma_{k+2}(u) sum_l |a_il b_lj| is what an honest product may be off by
        if row.get("ok") and kind in ("normal", "uniform01", "mixed") and m and n:
            sample = np.arange(min(m, 8))
            u = 2.0**-24 if dtype_name == "float32" else 2.0**-53
            gam = (k + 2) * u / (1 - (k + 2) * u)
            g = gam * (np.abs(a[sample].astype(np.float64)) @ np.abs(b.astype(np.float64)))
            probes = freivalds._draw_probes(dtype_name, 40, n, rng)
            _, thr40, kerr40 = _bindings.freivalds_float(dtype_name, kern, a, b, c, probes, 2)
            t_s = thr40[sample][:, None]
            band = (thr40 + kerr40)[sample][:, None]
            det = np.maximum(g, band)
            ok = (t_s[:, 0] > 0) & (rms[sample] > 0)
            if ok.any():
                row.update(g_over_t=float(np.median(g[ok] / t_s[ok])),
                           band_over_t=float(np.median(band[ok, 0] / t_s[ok, 0])),
                           detect_over_rms=float(np.median(det[ok] / rms[sample][ok][:, None])))
        print(json.dumps(row), flush=True)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        worker(json.loads(sys.stdin.read()))
        return
    quick = "--quick" in sys.argv
    todo = cases(quick)
    results = []
    for threads in (1, 2):
        env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads))
        proc = subprocess.run([sys.executable, __file__, "--worker"], input=json.dumps(todo),
                              capture_output=True, text=True, env=env, check=False)
        if proc.returncode:
            print(proc.stderr, file=sys.stderr)
            raise SystemExit(proc.returncode)
        for line in proc.stdout.splitlines():
            row = json.loads(line)
            row["blas_threads"] = threads
            results.append(row)
    report(results)


def report(results: list[dict[str, Any]]) -> None:
    done = [r for r in results if "skipped" not in r]
    bad = [r for r in done if not r["ok"]]
    print(f"cases: {len(done)} (OpenBLAS 1 and 2 threads), false rejections: {len(bad)}")
    for r in bad:
        print("  FALSE REJECTION", r)
    loose = [r for r in done if not r.get("realistic_ok", True)]
    print(f"refused by bound='realistic': {len(loose)}")
    for r in loose:
        print("  realistic refusal:", r["dtype"], r["kind"], tuple(r["shape"]), r["blas_threads"])
    print("\n| dtype | kind | cases | rows recomputed (cases) | max ratio | tightness median | tightness max |")
    print("|---|---|---|---|---|---|---|")
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in done:
        groups.setdefault((r["dtype"], r["kind"]), []).append(r)
    for (dtype, kind), rows in sorted(groups.items()):
        rec = sum(r.get("recomputed", 0) for r in rows)
        rec_cases = sum(1 for r in rows if r.get("recomputed", 0))
        mr = max(r.get("max_ratio", 0.0) for r in rows)
        tmed = [r["tight_median"] for r in rows if "tight_median" in r]
        tmax = [r["tight_max"] for r in rows if "tight_max" in r]
        worst = max((r for r in rows if "tight_median" in r), key=lambda r: r["tight_median"], default=None)
        where = f" at {tuple(worst['shape'])}" if worst else ""
        print(f"| {dtype} | {kind} | {len(rows)} | {rec} ({rec_cases}) | {mr:.3g} | "
              f"{np.median(tmed) if tmed else float('nan'):.3g} (worst case "
              f"{max(tmed) if tmed else float('nan'):.3g}{where}) | "
              f"{max(tmax) if tmax else float('nan'):.3g} |")
    print("\nper shape, OpenBLAS 2 threads (T: tight threshold; G: honest rounding bound of one entry;"
          " band: T + the check's own rigorous error bound; rms: measured honest residual)")
    print("\n| dtype | kind | shape | T / rms (median) | max ratio | G / T | band / T | max(G, band) / rms |")
    print("|---|---|---|---:|---:|---:|---:|---:|")
    for r in done:
        if r["kind"] in ("normal", "uniform01") and r["blas_threads"] == 2:
            print(f"| {r['dtype']} | {r['kind']} | {tuple(r['shape'])} | {r.get('tight_median', float('nan')):.3g} "
                  f"| {r.get('max_ratio', 0):.3g} | {r.get('g_over_t', float('nan')):.3g} "
                  f"| {r.get('band_over_t', float('nan')):.3g} | {r.get('detect_over_rms', float('nan')):.3g} |")


if __name__ == "__main__":
    main()
