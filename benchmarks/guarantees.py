#!/usr/bin/env python
"""How long the guarantee checker takes over a whole request space (``make bench`` runs it too).

A generated protocol of 25 partners and 300 rules, the shipped 75 categories, 7 stages and
6 purposes, and 6 facts (the 4 shipped ones and 2 more of 4 values; every fact may also be
unknown), so the space is far larger than the 50 million requests the issue names. Each kind
of guarantee is checked over the whole space, exactly. (That the checker agrees with brute
force is shown by tests/engine/test_guarantees_brute_force.py on spaces small enough to list.)

    python benchmarks/guarantees.py [--quick]
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))

import generate  # noqa: E402
from protocolkit.engine.guarantees import check_guarantee  # noqa: E402
from protocolkit.model.guarantees import Guarantee  # noqa: E402

GUARANTEES = [
    {"id": "never", "kind": "never", "statement": "No criminal offence data is shared at referral.",
     "categories": ["criminal"], "stages": ["referral"]},
    {"id": "always", "kind": "always", "statement": "Every share is recorded.",
     "obligations": ["record_decision"], "when_outcome": ["share", "share_minimum"]},
    {"id": "only_via", "kind": "only_via", "statement": "Criminal data comes only from the police.",
     "categories": ["criminal"], "via": {"kinds": ["police"]}},
    {"id": "need_to_know", "kind": "need_to_know", "statement": "Nothing beyond a profile."},
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smaller protocol, for a smoke test")
    args = parser.parse_args()
    partners, rules, repeats = (8, 40, 1) if args.quick else (25, 300, 3)
    protocol = generate.make_protocol(partners, rules, seed=11, priorities=True, extra_facts=2, extra_values=4)
    print(f"protocol: {partners} partners, {rules} rules, facts "
          f"{[f.id for f in protocol.facts] or []} added to the shipped ones")
    print(f"{'guarantee':14} {'verdict':9} {'possible requests':>22} {'states':>9} {'median time':>12}")
    for data in GUARANTEES:
        guarantee = Guarantee.model_validate(data)
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            result = check_guarantee(protocol, guarantee)
            times.append(time.perf_counter() - start)
        verdict = "proven" if result.proven else "violated"
        print(f"{guarantee.id:14} {verdict:9} {result.space_size:>22,} {result.states:>9,} "
              f"{statistics.median(times) * 1000:>9,.1f} ms")
    print("(exact: every request of the space is covered by dimension decomposition; none is sampled)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
