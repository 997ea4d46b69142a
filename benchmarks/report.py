"""Markdown report of a pytest-benchmark JSON run: ours against the alternatives of the same run.

Usage:
    .venv/bin/python benchmarks/report.py benchmarks/results.json [more.json ...]

(``make bench`` writes benchmarks/results.json with ``--benchmark-json`` and then runs this.)

Convention: every benchmark in benchmarks/test_bench_*.py fills ``benchmark.extra_info`` with

    group     str, required   the things compared with each other (e.g. "merkle_build_2^20");
                              one row of the ratio table per (ours, alt) pair in a group.
    impl      "ours" | "alt"  our implementation, or an alternative to compare against.
    label     str, required   short name of the variant inside the group ("threads=1", "hashlib").
    targets   dict, optional  on an "ours" entry: {alt label: minimum ratio alt_time / our_time}.
    limit_us  float, optional on an "ours" entry: maximum time per call, in microseconds.
    bytes     int, optional   bytes processed per call: a throughput column (GB/s, 1 GB = 1e9 B).
    sizes     list, optional  non-timing comparisons, each {"what": str, "ours": num, "alt": num}.
    note      str, optional   one line describing what the entry measures.
    anything else (size, k, ...) is kept in the JSON and ignored here.

Ratios are alt_time / our_time (> 1: ours is faster). The headline ratio, and the one checked
against the targets, uses each benchmark's **minimum** time (the least noisy estimate of the cost
on an otherwise idle machine); the ratio of the medians is printed next to it. Benchmarks without
a ``group`` are listed at the end, unpaired.
"""

from __future__ import annotations

import json
import re
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any


def fmt_time(seconds: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}" if seconds / scale < 100 else f"{seconds / scale:.0f} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def fmt_ratio(r: float) -> str:
    return f"{r:.2f}x" if r < 100 else f"{r:.0f}x"


def natural_key(text: str) -> list[Any]:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


def load(paths: list[str]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    runs, benches = [], []
    for p in paths:
        data = json.loads(Path(p).read_text())
        runs.append(data)
        benches.extend(data.get("benchmarks", []))
    return runs, benches


def header(runs: list[dict[str, Any]], paths: list[str]) -> list[str]:
    out = ["# Benchmark report", ""]
    for data, p in zip(runs, paths):
        mi = data.get("machine_info", {})
        cpu = mi.get("lscpu_model") or mi.get("cpu", {}).get("brand_raw", "?")
        commit = data.get("commit_info", {})
        out.append(
            f"- `{p}`: {data.get('datetime', '?')}; CPU {cpu}, {mi.get('usable_cores', '?')} usable cores; "
            f"Python {mi.get('python_version', '?')}; SHA backend {mi.get('sha_backend', '?')}; "
            f"commit {str(commit.get('id', '?'))[:12]}{' (dirty)' if commit.get('dirty') else ''}"
        )
    out += ["", ("Ratios are alternative time / our time (> 1 means ours is faster), from the minimum "
                 "time of each benchmark; the ratio of medians is shown alongside."), ""]
    return out


def report(paths: list[str]) -> str:
    runs, benches = load(paths)
    groups: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: {"ours": [], "alt": []})
    unpaired = []
    for b in benches:
        info = b.get("extra_info", {})
        if "group" in info and info.get("impl") in ("ours", "alt"):
            groups[info["group"]][info["impl"]].append(b)
        else:
            unpaired.append(b)
    order = sorted(groups, key=natural_key)
    out = header(runs, paths)

    def label(b: dict[str, Any]) -> str:
        return str(b["extra_info"].get("label", b["name"]))

    # 1. every timing, per group
    out += ["## Timings", "", "| group | impl | label | min | median | rounds | throughput (min) |",
            "|---|---|---|---:|---:|---:|---:|"]
    for g in order:
        for impl in ("ours", "alt"):
            for b in groups[g][impl]:
                st, info = b["stats"], b["extra_info"]
                tp = f"{info['bytes'] / st['min'] / 1e9:.2f} GB/s" if info.get("bytes") else ""
                out.append(f"| {g} | {impl} | {label(b)} | {fmt_time(st['min'])} | {fmt_time(st['median'])} "
                           f"| {st['rounds']} | {tp} |")
    out.append("")

    # 2. ratios: each ours against each alt of its group
    rows = []
    for g in order:
        for o in groups[g]["ours"]:
            targets = o["extra_info"].get("targets") or {}
            for a in groups[g]["alt"]:
                r_min = a["stats"]["min"] / o["stats"]["min"]
                r_med = a["stats"]["median"] / o["stats"]["median"]
                t = targets.get(label(a))
                met = "" if t is None else ("yes" if r_min >= t else "**no**")
                rows.append(f"| {g} | {label(o)} | {label(a)} | {fmt_time(o['stats']['min'])} | "
                            f"{fmt_time(a['stats']['min'])} | **{fmt_ratio(r_min)}** | {fmt_ratio(r_med)} | "
                            f"{'' if t is None else '>= ' + fmt_ratio(t)} | {met} |")
    if rows:
        out += ["## Ratios (alternative / ours)", "",
                ("| group | ours | alternative | ours (min) | alt (min) | ratio (min) | ratio (median) "
                 "| target | met |"), "|---|---|---|---:|---:|---:|---:|---:|---|", *rows, ""]

    # 3. absolute limits
    rows = []
    for g in order:
        for o in groups[g]["ours"]:
            lim = o["extra_info"].get("limit_us")
            if lim is not None:
                us_min, us_med = o["stats"]["min"] * 1e6, o["stats"]["median"] * 1e6
                rows.append(f"| {g} | {label(o)} | {us_min:.2f} us | {us_med:.2f} us | <= {lim:g} us | "
                            f"{'yes' if us_min <= lim else '**no**'} |")
    if rows:
        out += ["## Absolute limits", "", "| group | ours | min | median | limit | met |",
                "|---|---|---:|---:|---:|---|", *rows, ""]

    # 4. non-timing comparisons (sizes)
    rows = []
    for g in order:
        for o in groups[g]["ours"] + groups[g]["alt"]:
            alt_names = ", ".join(label(a) for a in groups[g]["alt"]) or "alt"
            for s in o["extra_info"].get("sizes") or []:
                ours_v, alt_v = s["ours"], s["alt"]
                ratio = f"{alt_v / ours_v:.2f}x" if ours_v else ""
                rows.append(f"| {g} | {s['what']} | {label(o)}: {ours_v} | {alt_names}: {alt_v} | {ratio} |")
    if rows:
        out += ["## Sizes (not timing)", "", "| group | quantity | ours | alternative | alt / ours |",
                "|---|---|---:|---:|---:|", *rows, ""]

    # 5. notes
    notes: dict[tuple[str, str], list[str]] = {}
    for g in order:
        for b in groups[g]["ours"] + groups[g]["alt"]:
            if b["extra_info"].get("note"):
                notes.setdefault((label(b), b["extra_info"]["note"]), []).append(g)
    if notes:
        out += ["## Notes", ""]
        out += [f"- {lab} ({', '.join(gs)}): {n}" for (lab, n), gs in notes.items()] + [""]

    if unpaired:
        out += ["## Unpaired benchmarks (no extra_info group/impl)", "", "| name | min | median | rounds |",
                "|---|---:|---:|---:|"]
        out += [f"| {b['fullname']} | {fmt_time(b['stats']['min'])} | {fmt_time(b['stats']['median'])} | "
                f"{b['stats']['rounds']} |" for b in unpaired]
        out.append("")
    return "\n".join(out)


def main(argv: list[str]) -> int:
    paths = argv[1:] or ["benchmarks/results.json"]
    print(report(paths))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
