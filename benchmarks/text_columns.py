#!/usr/bin/env python
"""Text against categorical request columns: ``decide_many(detail="outcome")`` on the same table, side by side.

The first two lines of ``run.py`` alone, in CPU time (``time.process_time``: a busy machine
inflates it far less than wall time), best of ``--repeats`` after a warm-up, each form measured
twice in alternation so that a change of load shows. Run it with two source trees to compare
them in one shell run::

    for tree in /path/to/before /path/to/after; do
        PYTHONPATH=$tree/src .venv/bin/python benchmarks/text_columns.py
    done
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))

import generate  # noqa: E402
from run import PARTNERS, RULES, SEED, categorical  # noqa: E402

from protocolkit.engine import compile_protocol, decide_many  # noqa: E402


def best_cpu(fn, repeats: int) -> float:
    fn()
    runs = []
    for _ in range(repeats):
        start = time.process_time()
        fn()
        runs.append(time.process_time() - start)
    return min(runs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="also profile one text-column call (cProfile)")
    args = parser.parse_args(argv)
    protocol = generate.make_protocol(PARTNERS, RULES, seed=SEED)
    text = generate.make_requests(protocol, args.rows, seed=1)
    cat = categorical(text, compile_protocol(protocol))
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"{args.rows:,} requests, {len(protocol.rules)} rules; load average {load}")
    for name, table in (("text", text), ("categorical", cat), ("text", text), ("categorical", cat)):
        cpu = best_cpu(lambda: decide_many(protocol, table, detail="outcome"), args.repeats)
        print(f"{name:12} {cpu * 1000:8.1f} ms CPU  {args.rows / cpu / 1e6:5.2f}M decisions per CPU second")
    if args.profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.enable()
        decide_many(protocol, text, detail="outcome")
        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(15)
    return 0


if __name__ == "__main__":
    sys.exit(main())
