#!/usr/bin/env python
"""The workbench after a rule edit: what each view costs, incrementally and from scratch, side by side.

A workshop-sized protocol (25 partners, 300 rules, 200 sample cases of 5 steps of 4
requests, from ``generate.py``) is opened in a workbench :class:`~protocolkit.ui.Session`
with every view of the ``Workbench`` (rule table and form, case stepper, partner graph,
exposure, save bar, status banner). Then rules are edited through the rules form, as a
person does (pick a rule, change its outcome, Apply), and each edit is timed:

- **fast phase**: from Apply (the change typed into the form and checked as typed, which is
  timed on its own line) until every dependent view shows the edited protocol (the
  case results, the graph, the exposure heatmap and over-sharing, the rule table); what
  each part took (exclusive of the parts it called, so the lines add up);
- **slow phase**: the whole-protocol checks that follow, shown as "checking" until done
  (review flags, guarantees, needs no rule serves, signatures).

The same edited protocol is then recomputed from scratch (what the workbench did before
it kept its results across edits), view by view, in the same run. No browser: widgets
are driven from Python. Figures are medians over the edits; CPU is this thread's.

Run ``python benchmarks/workbench.py`` (``--quick``: fewer edits).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))

import generate  # noqa: E402
from protocolkit.engine import compiled as compiled_module  # noqa: E402
from protocolkit.engine import run_cases  # noqa: E402
from protocolkit.engine.guarantees import check_guarantees  # noqa: E402
from protocolkit.graph import permitted_flows  # noqa: E402
from protocolkit.graph.analysis import exposure_by_stage, over_sharing, under_sharing  # noqa: E402
from protocolkit.model.checks import check_protocol  # noqa: E402
from protocolkit.model.saving import save  # noqa: E402
from protocolkit.review import review  # noqa: E402
from protocolkit.ui import _forms, exposure, graph, rules, savebar, session as session_module, status_banner, \
    stepper  # noqa: E402
from protocolkit.ui.graph import graph_elements  # noqa: E402

TARGET_MS = 100.0
PARTNERS, RULES, CASES = 25, 300, 200


class Probe:
    """Exclusive wall and CPU (this thread) time spent in some functions, by wrapping them."""

    def __init__(self, targets: dict[str, tuple[object, str]]):
        self.targets = targets
        self.wall: dict[str, float] = {}
        self.cpu: dict[str, float] = {}
        self._stack: list[list[float]] = []

    @contextmanager
    def active(self):
        self.wall = {label: 0.0 for label in self.targets}
        self.cpu = {label: 0.0 for label in self.targets}
        saved = []
        for label, (owner, name) in self.targets.items():
            original = getattr(owner, name)
            saved.append((owner, name, original))
            setattr(owner, name, self._wrap(label, original))
        try:
            yield self
        finally:
            for owner, name, original in reversed(saved):
                setattr(owner, name, original)

    def _wrap(self, label, original):
        probe = self

        def timed(*args, **kwargs):
            probe._stack.append([0.0, 0.0])  # time spent in wrapped callees
            wall, cpu = time.perf_counter(), time.thread_time()
            try:
                return original(*args, **kwargs)
            finally:
                wall, cpu = time.perf_counter() - wall, time.thread_time() - cpu
                inner_wall, inner_cpu = probe._stack.pop()
                probe.wall[label] += wall - inner_wall
                probe.cpu[label] += cpu - inner_cpu
                if probe._stack:
                    probe._stack[-1][0] += wall
                    probe._stack[-1][1] += cpu
        return timed


FAST_PARTS = {
    "check the edit (validate the whole protocol)": (session_module.Session, "_candidate"),
    "undo copy and change bookkeeping": (session_module.Session, "_changed"),
    "compile after the edit": (compiled_module, "_compile"),
    "protocol fingerprint (compile cache)": (compiled_module, "fingerprint"),
    "sample cases (re-run where the rule decides)": (session_module.Session, "case_results"),
    "permitted flows (inside the rule's scope)": (session_module.Session, "flow_parts"),
    "rule table + case results": (rules.RulesEditor, "refresh"),
    "rule form and partner form": (_forms.EntryForm, "_session_changed"),
    "case stepper (current step)": (stepper.CaseStepper, "_refresh"),
    "partner graph": (graph.PartnerGraph, "use_protocol"),
    "exposure (heatmap, over-sharing)": (exposure.ExposureView, "refresh"),
    "save bar": (savebar.SaveBar, "_show_state"),
    "status banner": (status_banner.StatusBanner, "refresh"),
}


def open_workbench(folder: Path, cases):
    from protocolkit.ui import Workbench

    s = session_module.Session(folder)
    s.cases = cases
    bench = Workbench(s)
    s.wait()
    return s, bench


def type_edit(bench, rule_id: str) -> float:
    """Pick a rule in the form and change its outcome, as a person does; returns the live check's CPU ms."""
    form = bench.parts["Rules"].form
    form.select(rule_id)
    current = form.inputs["outcome"].value
    cpu = time.thread_time()
    form.inputs["outcome"].value = "refuse" if current != "refuse" else "seek_consent"  # checked as typed
    return (time.thread_time() - cpu) * 1000


def edit_once(bench, rule_id: str) -> None:
    type_edit(bench, rule_id)
    bench.parts["Rules"].form.apply()


def from_scratch(protocol, cases) -> dict[str, float]:
    """What each view cost when every edit recomputed everything (CPU ms of this thread)."""
    out = {}

    def timed(label, fn):
        cpu = time.thread_time()
        result = fn()
        out[label] = (time.thread_time() - cpu) * 1000
        return result

    compiled = timed("compile after the edit", lambda: compiled_module._compile(protocol))
    timed("protocol fingerprint (compile cache)", lambda: compiled_module.fingerprint(protocol))
    timed("sample cases (every case)", lambda: run_cases(compiled, cases, explain=False))
    timed("partner graph (flows at one stage)", lambda: graph_elements(
        protocol, permitted_flows(compiled, stage=compiled.stages.values[0])))
    flows = timed("permitted flows (whole space)", lambda: permitted_flows(compiled))
    timed("exposure (heatmap, over-sharing)", lambda: (exposure_by_stage(protocol, flows),
                                                      over_sharing(protocol, flows)))
    timed("needs no rule serves", lambda: under_sharing(protocol, flows))
    timed("legal checks (validate)", lambda: check_protocol(protocol))
    timed("guarantees", lambda: check_guarantees(protocol))
    timed("review (conflicts, shadowed rules, ...)", lambda: review(protocol))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="4 edits instead of 12")
    parser.add_argument("--edits", type=int, default=None)
    args = parser.parse_args(argv)
    n_edits = args.edits or (4 if args.quick else 12)

    protocol = generate.make_protocol(PARTNERS, RULES, seed=1, priorities=True)
    cases = generate.make_cases(protocol, CASES, 5, 4, seed=2)
    folder = Path(tempfile.mkdtemp(prefix="pk-workbench-bench-")) / "protocol"
    save(protocol, folder)
    start = time.perf_counter()
    s, bench = open_workbench(folder, cases)
    opened = time.perf_counter() - start

    probe = Probe(FAST_PARTS)
    rows, rule_ids = [], [r.id for r in protocol.rules]
    edit_once(bench, rule_ids[1])  # warm-up edit
    s.wait()
    for k in range(n_edits):
        rule_id = rule_ids[(37 * k + 5) % len(rule_ids)]
        typed = type_edit(bench, rule_id)
        with probe.active():
            wall, cpu = time.perf_counter(), time.thread_time()
            bench.parts["Rules"].form.apply()
            wall, cpu = time.perf_counter() - wall, time.thread_time() - cpu
        slow = time.perf_counter()
        s.wait()
        slow = time.perf_counter() - slow
        rows.append({"rule": rule_id, "typed": typed, "wall": wall * 1000, "cpu": cpu * 1000, "slow": slow * 1000,
                     "parts_cpu": {k: v * 1000 for k, v in probe.cpu.items()},
                     "parts_wall": {k: v * 1000 for k, v in probe.wall.items()}})
    scratch = from_scratch(s.protocol, cases)

    def med(values):
        return statistics.median(values)

    print(f"workbench after a rule edit: {PARTNERS} partners, {RULES} rules, {CASES} cases "
          f"({sum(len(st.requests) for c in cases for st in c.steps):,} requests); {n_edits} edits through the "
          f"rules form; workbench opened in {opened:.1f} s")
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; CPU = this thread's time")
    print()
    print(f"{'fast phase, per part (exclusive)':48} {'median CPU':>11} {'max CPU':>9} {'median wall':>12}")
    for label in FAST_PARTS:
        cpu = [r["parts_cpu"][label] for r in rows]
        wall = [r["parts_wall"][label] for r in rows]
        print(f"{label:48} {med(cpu):9.1f} ms {max(cpu):7.1f} ms {med(wall):10.1f} ms")
    total_cpu, total_wall = [r["cpu"] for r in rows], [r["wall"] for r in rows]
    print(f"{'TOTAL: Apply -> every view updated':48} {med(total_cpu):9.1f} ms {max(total_cpu):7.1f} ms "
          f"{med(total_wall):10.1f} ms   target < {TARGET_MS:g} ms: "
          f"{'met' if med(total_wall) < TARGET_MS else 'NOT met'} (median wall)")
    print(f"{'(before Apply: the live check as the outcome is typed)':48} {med([r['typed'] for r in rows]):9.1f} ms")
    print(f"{'then the slow checks (wall, background thread)':48} {'':>11} {'':>9} "
          f"{med([r['slow'] for r in rows]):10.1f} ms")
    print()
    print("from scratch, same edited protocol, same run (what every edit cost before):")
    total = 0.0
    for label, ms in scratch.items():
        total += ms
        print(f"  {label:46} {ms:9.1f} ms")
    print(f"  {'TOTAL':46} {total:9.1f} ms   = {total / med(total_cpu):.0f}x the incremental fast phase (CPU)")
    print()
    print("per edit: rule, fast wall ms, fast CPU ms, slow wall ms")
    for r in rows:
        print(f"  {r['rule']}  {r['wall']:7.1f}  {r['cpu']:7.1f}  {r['slow']:8.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
