#!/usr/bin/env python
"""CPU time of each part of the agreement's context and of each document writer, cold.

Run it as a fresh process (nothing is warm: no compile cache, no guarantee cache), once per
tree to compare; it prints CPU seconds (``time.process_time``) per part:

- ``load``: loading the example; ``check``: the export's own check (``check_for_signature``);
- the context (``agreement_context``) and, inside it, the promises (``check_guarantees``), the
  partner cards (``partner_cards``), the case evidence (``case_evidence``) and the review
  (``review_evidence``); ``context other`` is the rest of the context;
- the writers given the blocks and the diagrams (drawn first, not timed; ``--no-diagrams`` leaves
  them out): ``docx``, ``html``, ``md``.

    OMP_NUM_THREADS=1 PYTHONPATH=src python benchmarks/context.py [--example mash] [--repeats 3]

``--repeats N`` runs N fresh processes and prints each part's median.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

PARTS = ("load", "check", "context", "check_guarantees", "partner_cards", "case_evidence", "review_evidence",
         "context other", "blocks", "docx", "html", "md")


def _timed(spent: dict, name: str, function):
    def wrapper(*args, **kwargs):
        start = time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            spent[name] = spent.get(name, 0.0) + time.process_time() - start
    return wrapper


def one_cold_run(example: str, draw: bool = True) -> dict[str, float]:
    """Every part's CPU time in this (fresh) process."""
    import datetime as dt

    import protocolkit
    from protocolkit.engine import guarantees
    from protocolkit.export.documents import blocks as blocks_module, cards, evidence
    from protocolkit.export.documents.docx import render_docx
    from protocolkit.export.documents.html import render_html
    from protocolkit.export.documents.markdown import render_markdown
    from protocolkit.export.documents.context import agreement_context
    from protocolkit.export.documents.stamping import check_for_signature

    spent: dict[str, float] = {}
    guarantees.check_guarantees = _timed(spent, "check_guarantees", guarantees.check_guarantees)
    cards.partner_cards = _timed(spent, "partner_cards", cards.partner_cards)
    evidence.case_evidence = _timed(spent, "case_evidence", evidence.case_evidence)
    evidence.review_evidence = _timed(spent, "review_evidence", evidence.review_evidence)
    today = dt.date(2026, 11, 27)

    start = time.process_time()
    protocol = protocolkit.load(protocolkit.example_path(example))
    spent["load"] = time.process_time() - start
    start = time.process_time()
    warnings = check_for_signature(protocol, today=today)
    spent["check"] = time.process_time() - start
    start = time.process_time()
    context = agreement_context(protocol, warnings=warnings, today=today)
    spent["context"] = time.process_time() - start
    spent["context other"] = spent["context"] - sum(spent.get(k, 0.0) for k in PARTS[3:7])
    start = time.process_time()
    blocks = blocks_module.render_content(protocol.folder, "agreement.j2", context)
    spent["blocks"] = time.process_time() - start
    images = {}
    if draw:   # the diagrams (drawn by child processes, before the writers' clock starts)
        from protocolkit.export.documents.render import images_for
        images = images_for(protocol, blocks, context)
    start = time.process_time()
    render_docx(blocks, context, images)
    spent["docx"] = time.process_time() - start
    start = time.process_time()
    render_html(protocol, blocks, context, images, context["cover"]["title"])
    spent["html"] = time.process_time() - start
    start = time.process_time()
    render_markdown(blocks, context, None)
    spent["md"] = time.process_time() - start
    return spent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--example", default="mash")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--no-diagrams", action="store_true", help="write the documents without the diagrams")
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)   # the fresh child process
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one_cold_run(args.example, not args.no_diagrams)))
        return 0
    runs = []
    for _ in range(args.repeats):
        done = subprocess.run([sys.executable, __file__, "--one", "--example", args.example,
                               *(["--no-diagrams"] if args.no_diagrams else [])],
                              capture_output=True, text=True, check=True, env={**os.environ, "OMP_NUM_THREADS": "1"})
        runs.append(json.loads(done.stdout))
    print(f"{args.example}: CPU seconds, cold (fresh process), median of {len(runs)}; load average {os.getloadavg()[0]:.1f}")
    for part in PARTS:
        values = [r.get(part, 0.0) for r in runs]
        indent = "    " if part in PARTS[3:8] else ""
        print(f"{indent}{part:<20} {statistics.median(values):6.2f}")
    writers = [r["docx"] + r["html"] + r["md"] for r in runs]
    print(f"{'writers (docx+html+md)':<24} {statistics.median(writers):6.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
