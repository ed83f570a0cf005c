#!/usr/bin/env python
"""How long the shipped example takes to export in every format (``make bench`` runs it too).

The target (issue 10): the whole example, every format, in under 5 s on this machine,
LibreOffice aside. Each repeat starts cold: the agreement's context and the diagrams are
gathered and drawn again, as in a fresh ``protocolkit export --format all``. Loading the
protocol is timed apart. Prints one line per format (in the order ``all`` writes them,
so later document formats reuse the context and the diagrams the first one gathered) and
the total, as medians of the repeats, with CPU time beside wall time (this process's, its
Graphviz runs' and its diagram workers'; this process's alone in its own column, and a line
saying where the time went), and each total as a
ratio to a neighbour measured in the same run (loading the example), so figures taken on a
busy machine can still be compared. ``--profile N`` prints the N costliest functions of one
cold run (CPU time, ``cProfile`` with ``time.process_time``).

    python benchmarks/exports.py [--repeats N] [--example mash] [--profile 30]
"""

from __future__ import annotations

import argparse
import cProfile
import multiprocessing
import pstats
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import protocolkit
from protocolkit.export.documents import images, render
from protocolkit.export.formats import export, format_names, get_format


def _cpu() -> tuple[float, float]:
    """CPU time of this process, and of its children that have ended (Graphviz, the diagram workers)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time(), children.ru_utime + children.ru_stime


def _wait_for_workers() -> None:
    while multiprocessing.active_children():   # joins the diagram workers that have ended
        time.sleep(0.005)


def one_run(protocol, out: Path) -> dict[str, tuple[float, float, int, float]]:
    """Per format: wall time, CPU time (this process and its children), files written, this process's CPU time."""
    render._CONTEXT.clear()
    images._CACHE.clear()
    timings = {}
    for name in format_names():
        wall, (mine, theirs) = time.perf_counter(), _cpu()
        written = get_format(name).write(protocol, out / name)
        if name == "docx":
            _wait_for_workers()   # they have delivered every diagram; count their CPU time here
        mine_after, theirs_after = _cpu()
        timings[name] = (time.perf_counter() - wall, mine_after - mine + theirs_after - theirs, len(written),
                         mine_after - mine)
    return timings


def whole_run(protocol, out: Path) -> tuple[float, float]:
    """``protocolkit export --format all`` as one call (diagrams started first): wall and CPU time."""
    render._CONTEXT.clear()
    images._CACHE.clear()
    wall, (mine, theirs) = time.perf_counter(), _cpu()
    export(protocol, "all", out)
    _wait_for_workers()
    mine_after, theirs_after = _cpu()
    return time.perf_counter() - wall, mine_after - mine + theirs_after - theirs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--example", default="mash")
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="print the N costliest functions")
    args = parser.parse_args()
    loads = []
    for _ in range(args.repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        protocol = protocolkit.load(protocolkit.example_path(args.example))
        loads.append((time.perf_counter() - wall, time.process_time() - cpu))
    load_wall, load_cpu = statistics.median(w for w, _ in loads), statistics.median(c for _, c in loads)
    print(f"load {args.example}: {load_wall:.2f} s wall, {load_cpu:.2f} s cpu (median of {args.repeats})")
    runs = []
    for _ in range(args.repeats):
        with tempfile.TemporaryDirectory() as tmp:
            runs.append(one_run(protocol, Path(tmp)))
    print(f"{'format':8} {'files':>5} {'wall (median)':>14} {'cpu (median)':>13} {'of it, this process':>20}")
    for name in format_names():
        wall = statistics.median(r[name][0] for r in runs)
        cpu = statistics.median(r[name][1] for r in runs)
        main_cpu = statistics.median(r[name][3] for r in runs)
        print(f"{name:8} {runs[0][name][2]:>5} {wall:>12.2f} s {cpu:>11.2f} s {main_cpu:>18.2f} s")
    totals = [sum(t[0] for t in r.values()) for r in runs]
    cpus = [sum(t[1] for t in r.values()) for r in runs]
    total = statistics.median(totals)
    cpu = statistics.median(cpus)
    print(f"{'sum':8} {sum(t[2] for t in runs[0].values()):>5} {total:>12.2f} s {cpu:>11.2f} s"
          "   (each format on its own, one after the other)")
    wholes = []
    for _ in range(args.repeats):
        with tempfile.TemporaryDirectory() as tmp:
            wholes.append(whole_run(protocol, Path(tmp)))
    whole = statistics.median(w for w, _ in wholes)
    whole_cpu = statistics.median(c for _, c in wholes)
    print(f"{'all':8} {sum(t[2] for t in runs[0].values()):>5} {whole:>12.2f} s {whole_cpu:>11.2f} s"
          f"   as 'protocolkit export --format all' writes them (diagrams drawn while the rules are written);"
          f" target < 5 s: {'met' if whole < 5 else 'NOT met'}")
    main_cpu = statistics.median(sum(t[3] for t in r.values()) for r in runs)
    children_cpu = statistics.median(sum(t[1] - t[3] for t in r.values()) for r in runs)
    print(f"where the CPU time went: this process {main_cpu:.2f} s (context, documents, rules formats; "
          f"it draws the diagrams itself when it cannot fork), "
          f"its children {children_cpu:.2f} s (diagram workers, Graphviz)")
    print(f"export of every format / load of the example, same run: {total / load_wall:.1f}x wall, "
          f"{cpu / load_cpu:.1f}x cpu")
    if args.profile:
        profile = cProfile.Profile(time.process_time)
        with tempfile.TemporaryDirectory() as tmp:
            profile.runcall(one_run, protocol, Path(tmp))
        pstats.Stats(profile).sort_stats("cumulative").print_stats(args.profile)
    return 0


if __name__ == "__main__":
    sys.exit(main())
