#!/usr/bin/env python
"""How long the shipped example takes to export in every format (``make bench`` runs it too).

The target (issue 10): the whole example, every format, in under 5 s on this machine,
LibreOffice aside. Every repeat starts COLD: each process-level cache an earlier repeat
warmed (compiled tables, proofs, checks, hashes, the agreement's context, the diagrams,
templates, fonts: every private module-level dict and every ``lru_cache`` of the package,
found in the source by :func:`process_caches`) is emptied, then the protocol is loaded
again (timed apart, as the command's own loading) and exported. Three figures:

- one line per format, each format written on its own one after the other (in the order
  ``all`` lists them, so later document formats reuse the context and diagrams the first
  one gathered), with CPU time beside wall time (this process's, and its children's:
  Graphviz and the diagram workers);
- ``all``: the one call ``export(protocol, "all", out)``, cold, in this process: the figure
  the 5 s target judges;
- ``command``: ``protocolkit export <example> --format all --out DIR`` run as a fresh
  process (``python -m protocolkit.cli.main``), wall and CPU time with its children; this
  includes starting Python, the imports and loading the protocol.

Medians of the repeats; the load average is printed with them. ``--profile N`` prints the
N costliest functions of one cold ``export(..., "all")`` (CPU time, ``cProfile`` with
``time.process_time``).

    python benchmarks/exports.py [--repeats N] [--example mash] [--formats all|json,csv] [--profile 30]
"""

from __future__ import annotations

import argparse
import ast
import cProfile
import importlib
import multiprocessing
import os
import pstats
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import protocolkit
from protocolkit.export.formats import export, format_names, get_format

TARGET = 5.0
PACKAGE = Path(protocolkit.__file__).resolve().parent


def process_caches(package: Path = PACKAGE) -> list[tuple[str, str]]:
    """Every process-level cache of the package, as (module, attribute), read from its source.

    A cache is a private module-level name bound to an empty ``{}``, ``dict()`` or ``OrderedDict()``
    (public registries such as ``FORMATS`` are not caches), or a module-level function decorated
    with ``lru_cache``/``cache``. Found in the source, so a cache added later is cleared too.
    """
    found = []
    for path in sorted(package.rglob("*.py")):
        module = "protocolkit." + ".".join(path.relative_to(package).with_suffix("").parts)
        module = module.removesuffix(".__init__")
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, (ast.Assign, ast.AnnAssign)) and _empty_mapping(node.value):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                found += [(module, t.id) for t in targets if isinstance(t, ast.Name) and t.id.startswith("_")]
            elif isinstance(node, ast.FunctionDef) and any(
                    "cache" in ast.unparse(d).split("(")[0].split(".")[-1] for d in node.decorator_list):
                found.append((module, node.name))
    return found


def _empty_mapping(value) -> bool:
    if isinstance(value, ast.Dict):
        return not value.keys
    if isinstance(value, ast.Call) and not value.args and not value.keywords:
        name = value.func.id if isinstance(value.func, ast.Name) else getattr(value.func, "attr", None)
        return name in ("dict", "OrderedDict", "WeakKeyDictionary", "WeakValueDictionary")
    return False


def clear_caches() -> list[str]:
    """Empty every process-level cache of the modules imported so far; the names of those emptied."""
    cleared = []
    for module, name in process_caches():
        if module not in sys.modules:
            continue   # never imported, so never warmed
        obj = getattr(importlib.import_module(module), name, None)
        if hasattr(obj, "cache_clear"):
            obj.cache_clear()
        elif hasattr(obj, "clear"):
            obj.clear()
        else:
            continue
        cleared.append(f"{module}.{name}")
    return cleared


def _cpu() -> tuple[float, float]:
    """CPU time of this process, and of its children that have ended (Graphviz, the diagram workers)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time(), children.ru_utime + children.ru_stime


def _wait_for_workers() -> None:
    while multiprocessing.active_children():   # joins the diagram workers that have ended
        time.sleep(0.005)


def cold_load(example: str):
    """Empty every cache, then load the example: the protocol and (wall, CPU) seconds of loading it."""
    clear_caches()
    wall, cpu = time.perf_counter(), time.process_time()
    protocol = protocolkit.load(protocolkit.example_path(example))
    return protocol, (time.perf_counter() - wall, time.process_time() - cpu)


def one_run(protocol, out: Path, names: list[str]) -> dict[str, tuple[float, float, int, float]]:
    """Per format, written one after the other: wall time, CPU time (this process and its children),
    files written, this process's CPU time."""
    timings = {}
    for name in names:
        wall, (mine, theirs) = time.perf_counter(), _cpu()
        written = get_format(name).write(protocol, out / name)
        _wait_for_workers()   # a document format's workers have delivered every diagram: count their CPU here
        mine_after, theirs_after = _cpu()
        timings[name] = (time.perf_counter() - wall, mine_after - mine + theirs_after - theirs, len(written),
                         mine_after - mine)
    return timings


def whole_run(protocol, out: Path, names: list[str]) -> tuple[float, float, float, int]:
    """``export(protocol, names, out)`` as one call: wall, CPU (with children), this process's CPU, files."""
    wall, (mine, theirs) = time.perf_counter(), _cpu()
    written = export(protocol, names if len(names) < len(format_names()) else "all", out)
    _wait_for_workers()
    mine_after, theirs_after = _cpu()
    return (time.perf_counter() - wall, mine_after - mine + theirs_after - theirs, mine_after - mine,
            sum(len(paths) for paths in written.values()))


def command_run(example: str, out: Path, names: list[str]) -> tuple[float, float, int]:
    """``protocolkit export <example> --format all --out DIR`` in a fresh process: wall, CPU with children, rc."""
    fmt = "all" if len(names) == len(format_names()) else names[0]
    command = [sys.executable, "-m", "protocolkit.cli.main", "export", str(protocolkit.example_path(example)),
               "--format", fmt, "--out", str(out)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    wall = time.perf_counter() - wall
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode:
        sys.stderr.write(done.stdout + done.stderr)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return wall, cpu, done.returncode


def _load_average() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--example", default="mash")
    parser.add_argument("--formats", default="all", help="'all' (default) or a comma-separated list (a smoke run)")
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="print the N costliest functions")
    args = parser.parse_args(argv)
    names = format_names() if args.formats == "all" else args.formats.split(",")
    repeats = max(1, args.repeats)
    print(f"load average at the start: {_load_average()} (1/5/15 min) on {os.cpu_count()} cores")

    loads, runs, wholes, commands = [], [], [], []
    for _ in range(repeats):
        protocol, loaded = cold_load(args.example)
        loads.append(loaded)
        with tempfile.TemporaryDirectory() as tmp:
            runs.append(one_run(protocol, Path(tmp), names))
    for _ in range(repeats):
        protocol, loaded = cold_load(args.example)
        loads.append(loaded)
        with tempfile.TemporaryDirectory() as tmp:
            wholes.append(whole_run(protocol, Path(tmp), names))
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as tmp:
            commands.append(command_run(args.example, Path(tmp), names))

    load_wall, load_cpu = statistics.median(w for w, _ in loads), statistics.median(c for _, c in loads)
    print(f"load {args.example}: {load_wall:.2f} s wall, {load_cpu:.2f} s cpu (median of {len(loads)}, cold)")
    print(f"{'format':8} {'files':>5} {'wall (median)':>14} {'cpu (median)':>13} {'of it, this process':>20}")
    for name in names:
        wall = statistics.median(r[name][0] for r in runs)
        cpu = statistics.median(r[name][1] for r in runs)
        main_cpu = statistics.median(r[name][3] for r in runs)
        print(f"{name:8} {runs[0][name][2]:>5} {wall:>12.2f} s {cpu:>11.2f} s {main_cpu:>18.2f} s")
    total = statistics.median(sum(t[0] for t in r.values()) for r in runs)
    cpu = statistics.median(sum(t[1] for t in r.values()) for r in runs)
    print(f"{'sum':8} {sum(t[2] for t in runs[0].values()):>5} {total:>12.2f} s {cpu:>11.2f} s"
          "   (each format on its own, one after the other, cold at the first)")

    whole = statistics.median(w[0] for w in wholes)
    whole_cpu = statistics.median(w[1] for w in wholes)
    whole_main = statistics.median(w[2] for w in wholes)
    command_wall = statistics.median(c[0] for c in commands)
    command_cpu = statistics.median(c[1] for c in commands)
    failed = sum(c[2] != 0 for c in commands)
    print(f"{'all':8} {wholes[0][3]:>5} {whole:>12.2f} s {whole_cpu:>11.2f} s {whole_main:>18.2f} s"
          "   export(protocol, 'all', out), cold, in this process (loading apart)")
    print(f"{'command':8} {'':>5} {command_wall:>12.2f} s {command_cpu:>11.2f} s {'':>20}"
          f"   'protocolkit export {args.example} --format all' as a fresh process (start, imports, load"
          f" included){'; FAILED ' + str(failed) + ' time(s)' if failed else ''}")
    print(f"target < {TARGET:.0f} s for the cold export of every format: "
          f"{'met' if whole < TARGET else 'NOT met'} ({whole:.2f} s wall in this process; the fresh command "
          f"{command_wall:.2f} s wall, {command_cpu:.2f} s cpu); load average now {_load_average()}")
    print(f"where the CPU time of the cold export went: this process {whole_main:.2f} s (context, documents, "
          f"rules formats; it draws the diagrams itself when it cannot fork), "
          f"its children {whole_cpu - whole_main:.2f} s (diagram workers, Graphviz)")
    print(f"cold export of every format / load of the example, same run: {whole / load_wall:.1f}x wall, "
          f"{whole_cpu / load_cpu:.1f}x cpu")
    if args.profile:
        protocol, _ = cold_load(args.example)
        profile = cProfile.Profile(time.process_time)
        with tempfile.TemporaryDirectory() as tmp:
            profile.runcall(whole_run, protocol, Path(tmp), names)
        pstats.Stats(profile).sort_stats("cumulative").print_stats(args.profile)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
