#!/usr/bin/env python
"""How long each diagram the agreement embeds takes to draw (CPU, Graphviz included), one at a time.

The agreement's DOCX embeds one data-flow diagram per stage and the stage lanes
(:func:`protocolkit.export.documents.images.default_names`). Each is drawn here in this
process, in turn, cold (no cache kept between runs of this script), and its CPU time is
printed: this process's and its children's (the Graphviz runs). ``--profile N`` prints
the N costliest functions of drawing them all once (cProfile, CPU time).

    python benchmarks/diagrams.py [--repeats N] [--example mash] [--profile 30] [--out DIR]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import resource
import statistics
import time
from pathlib import Path

import protocolkit
from protocolkit.export.documents import images


def _cpu() -> float:
    """CPU time of this process and of its ended children (Graphviz)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--example", default="mash")
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="print the N costliest functions")
    parser.add_argument("--out", type=Path, help="also write each PNG into this folder, to look at")
    args = parser.parse_args()
    protocol = protocolkit.load(protocolkit.example_path(args.example))
    names = images.default_names(protocol)
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if args.profile:
        profiler = cProfile.Profile(time.process_time)
        profiler.enable()
        _draw_every(protocol, names, {})
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(args.profile)
        return 0
    runs: list[dict[str, float]] = []
    for _ in range(args.repeats):
        timings = {}
        start = _cpu()
        drawn = _draw_every(protocol, names, timings)
        timings["all"] = _cpu() - start
        runs.append(timings)
        if args.out:
            args.out.mkdir(parents=True, exist_ok=True)
            for name, data in drawn.items():
                (args.out / f"{name}.png").write_bytes(data)
    for name in ["permitted flows, once", *names, "all"]:
        if name in runs[0]:
            print(f"{name:32} {statistics.median(r[name] for r in runs):6.2f} s cpu")
    return 0


def _draw_every(protocol, names, timings) -> dict[str, bytes]:
    """Draw each diagram in this process and time it. Where the export works out the permitted
    flows once for all of them (``images._draw`` takes them), that is timed on its own line."""
    import inspect

    shared = {}
    if "flows" in inspect.signature(images._draw).parameters:
        from protocolkit.graph.flows import permitted_flows

        start = _cpu()
        shared["flows"] = permitted_flows(protocol)
        timings["permitted flows, once"] = _cpu() - start
    out = {}
    for name in names:
        start = _cpu()
        out[name] = images._draw(protocol, name, **shared)
        timings[name] = _cpu() - start
    return out


if __name__ == "__main__":
    raise SystemExit(main())
