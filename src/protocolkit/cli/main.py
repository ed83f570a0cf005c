"""``protocolkit``: the command line. Turns options into library calls and prints the results.

Exit codes: 0 success; 1 the protocol has errors, an expectation failed or a
guarantee is violated; 2 bad input (unknown names, unreadable options or files).
This is the only module (with the notebooks' widgets) that prints.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from importlib import import_module
from typing import Sequence

from .. import __version__
from ..errors import ProtocolError, ProtocolValidationError, Severity, UnknownValueError
from ..model.loading import load, load_with_findings
from .terminal import printable_streams, refuse_overwriting_inputs


#: Commands that live in their own module of this package, each with ``register(subparsers)``, in help order.
COMMAND_MODULES: tuple[str, ...] = ("show", "init", "lifecycle", "diff", "export", "workshop", "lab", "notebooks")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (also used as the console script)."""
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    with printable_streams():
        return _run(args)


def _run(args) -> int:
    try:
        refuse_overwriting_inputs(args)
        return args.handler(args)
    except ProtocolValidationError as exc:
        for finding in exc.findings:
            print(finding.format(), file=sys.stderr)
        return 2
    except (UnknownValueError, ProtocolError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. piped into head
        return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="protocolkit",
        description="Design, test and publish information sharing protocols between partner organisations.")
    parser.add_argument("--version", action="version", version=f"protocolkit {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("validate", help="check a protocol folder and its cases; one line per finding")
    p.add_argument("path", help="protocol folder or protocol.yaml")
    p.set_defaults(handler=cmd_validate)

    p = sub.add_parser("summary", help="print what a protocol holds: partners, rules by stage and outcome")
    p.add_argument("path")
    p.set_defaults(handler=cmd_summary)

    p = sub.add_parser("schema", help="print the JSON Schema of protocol files (or case files) for editors")
    p.add_argument("--cases", action="store_true", help="the schema of sample case files instead")
    p.add_argument("--out", help="write to this file instead of printing")
    p.set_defaults(handler=cmd_schema)

    for name, handler, text in (("decide", cmd_decide, "decide one sharing request and explain it"),
                                ("why-not", cmd_why_not, "for a refused or uncovered request, what would allow it")):
        p = sub.add_parser(name, help=text)
        p.add_argument("path")
        p.add_argument("--from", dest="sender", required=True, metavar="ID", help="sending partner")
        p.add_argument("--to", dest="recipient", required=True, metavar="ID", help="receiving partner")
        p.add_argument("--data", required=True, metavar="CAT[,CAT...]", help="data categories")
        p.add_argument("--stage", required=True, metavar="ID")
        p.add_argument("--purpose", required=True, metavar="ID")
        p.add_argument("--fact", action="append", default=[], metavar="KEY=VALUE", help="a fact of the case (repeat)")
        p.add_argument("--history", action="append", default=[], metavar="received=CAT|ID[=no]",
                       help="what already happened in the case (repeat); not given: unknown")
        p.add_argument("--json", action="store_true", help="print JSON")
        p.add_argument("--all", action="store_true", help=argparse.SUPPRESS if name == "decide" else
                       "list every candidate change, not only the three smallest for each category")
        p.set_defaults(handler=handler)

    p = sub.add_parser("review", help="review findings before sign-off; exits 1 on an open error finding")
    p.add_argument("path")
    p.add_argument("--json", help="write the findings as JSON here")
    p.add_argument("--all", action="store_true", help="also list accepted and mitigated findings in full")
    p.add_argument("--mark", metavar="FINDING_ID", help="record a decision on a finding in review.yaml")
    p.add_argument("--status", choices=["accepted", "mitigated"], help="with --mark")
    p.add_argument("--by", help="with --mark: who decides, with their role")
    p.add_argument("--reason", help="with --mark: why")
    p.set_defaults(handler=cmd_review)

    p = sub.add_parser("prove", help="check every guarantee over every possible request; ends with 'N passed, N failed'")
    p.add_argument("path")
    p.add_argument("--json", help="write the verdicts as JSON here")
    p.set_defaults(handler=cmd_prove)

    p = sub.add_parser("test", help="run the sample cases and the guarantees; ends with 'N passed, N failed'")
    p.add_argument("path")
    p.add_argument("--cases", help="case folder (default: PATH/cases)")
    p.add_argument("--junit", help="write JUnit XML here")
    p.add_argument("--json", help="write the full results as JSON here")
    p.set_defaults(handler=cmd_test)

    p = sub.add_parser("graph", help="draw the protocol: data flows, stage lanes or exposure heatmap "
                                     "(.svg .png), or write .dot .graphml .gexf")
    p.add_argument("path")
    p.add_argument("--stage", metavar="ID", help="one stage only (lanes: the stages up to it)")
    p.add_argument("--purpose", metavar="ID", help="one purpose only")
    p.add_argument("--fact", action="append", default=[], metavar="KEY=VALUE", help="a fixed fact (repeat)")
    p.add_argument("--view", choices=("dataflow", "lanes", "heatmap"), default="dataflow",
                   help="what to draw (default: dataflow)")
    p.add_argument("--out", required=True, metavar="FILE", help="the file to write; its extension names the format")
    p.set_defaults(handler=cmd_graph)

    for name in COMMAND_MODULES:
        import_module(f"{__package__}.{name}").register(sub)
    return parser


# -- commands -----------------------------------------------------------------------------------

def cmd_validate(args) -> int:
    protocol, findings = load_with_findings(args.path)
    case_findings = []
    if protocol is not None and not _blocking(findings, protocol):
        case_findings = _case_findings(protocol, Path(args.path))
    if protocol is not None:
        from ..lifecycle import lifecycle_findings

        case_findings += lifecycle_findings(protocol)
    findings = findings + case_findings
    for finding in findings:
        print(finding.format())
    errors = sum(f.severity is Severity.ERROR for f in findings)
    warnings = len(findings) - errors
    print(f"{errors} error{'s' if errors != 1 else ''}, {warnings} warning{'s' if warnings != 1 else ''}")
    return 1 if errors else 0


def _blocking(findings, protocol) -> list:
    from ..model.readiness import blocking_findings

    return blocking_findings(findings, protocol.metadata.status)


def _case_findings(protocol, path: Path) -> list:
    from ..engine.cases import check_case_references
    from ..engine.compiled import compile_protocol
    from ..model.cases import load_cases

    folder = protocol.folder / "cases"
    if not folder.is_dir():
        return []
    try:
        check_case_references(compile_protocol(protocol), load_cases(folder))
    except ProtocolValidationError as exc:
        return exc.findings
    return []


def cmd_summary(args) -> int:
    from ..model.vocabulary import Vocabulary

    protocol = load(args.path)
    v = Vocabulary.of(protocol)
    m = protocol.metadata
    print(f"{m.title} (version {m.version}, {m.status})")
    print(f"owner: {m.owner}; effective {m.effective_date or '-'}; review by {m.review_date or '-'}")
    print(f"{len(protocol.partners)} partners, {len(protocol.rules)} rules, {len(v.categories)} data categories "
          f"({sum(v.is_special(c) for c in v.categories)} special, {sum(v.is_criminal(c) for c in v.categories)} criminal), "
          f"{len(v.stages)} stages, {len(protocol.need_to_know)} need-to-know profiles")
    print("partners:")
    for partner in protocol.partners:
        print(f"  {partner.id:<28} {partner.name} [{partner.kind}]")
    print("rules by stage (share / minimum / consent / escalate / refuse):")
    outcomes = ("share", "share_minimum", "seek_consent", "escalate", "refuse")
    for stage in v.stage_ids:
        counts = [sum(1 for r in protocol.rules if r.outcome == o and stage in v.stages_in(r.stages)) for o in outcomes]
        print(f"  {stage:<22} " + " / ".join(str(c) for c in counts))
    return 0


def cmd_schema(args) -> int:
    from ..model.schema import case_schema, protocol_schema

    schema = case_schema() if args.cases else protocol_schema()
    text = json.dumps(schema, indent=2, sort_keys=False) + "\n"
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


def _facts(args) -> dict[str, str]:
    """The ``--fact KEY=VALUE`` (and ``--history``) options as a mapping."""
    from ..model.history import read_history_option

    facts = {}
    for item in args.fact:
        key, sep, value = item.partition("=")
        if not sep or not key or not value:
            raise ProtocolError(f"cannot read --fact {item!r}: write KEY=VALUE, such as --fact risk=amber")
        if key.strip() in facts:
            raise ProtocolError(f"--fact {key.strip()!r} is given twice: give each fact once")
        facts[key.strip()] = value.strip()
    for item in getattr(args, "history", []):  # docs/semantics.md section 15
        try:
            facts.update([read_history_option(item)])
        except ValueError as exc:
            raise ProtocolError(str(exc)) from None
    return facts


def _request(args):
    from ..engine.requests import Request

    facts = _facts(args)
    categories = tuple(c.strip() for c in args.data.split(",") if c.strip())
    return Request(args.sender, args.recipient, categories, args.stage, args.purpose, facts)


def cmd_decide(args) -> int:
    from ..engine.decisions import decide

    from .answers import render_decision

    protocol = load(args.path)
    decision = decide(protocol, _request(args))
    if args.json:
        print(json.dumps(decision.to_dict(), indent=2))
        return 0
    print("\n".join(render_decision(protocol, decision)))
    return 0


def cmd_why_not(args) -> int:
    from ..engine.why_not import why_not

    from ..engine.decisions import decide
    from .answers import render_why_not

    protocol, request = load(args.path), _request(args)
    table = why_not(protocol, request)
    if args.json:
        print(table.to_json(orient="records", indent=2))
        return 0
    decision = decide(protocol, request)
    if not decision.may_not_share:
        print("Every category of this request may already go.")
        return 0
    print("\n".join(render_why_not(protocol, decision, table, args.all)))
    return 0


def cmd_review(args) -> int:
    from ..review import mark_finding, review

    protocol, findings = load_with_findings(args.path)
    structural = [f for f in findings if f.severity is Severity.ERROR and f.code.startswith("PK1")]
    if protocol is None or structural:
        raise ProtocolValidationError(structural or findings)
    if args.mark:
        missing = [name for name in ("status", "by", "reason") if not getattr(args, name)]
        if missing:
            raise ProtocolError(f"--mark needs --{' --'.join(missing)}")
        mark = mark_finding(protocol, args.mark, args.status, args.by, args.reason)
        print(f"marked {mark.finding} as {mark.status} in {protocol.folder / 'review.yaml'}")
        return 0
    report = review(protocol)
    for f in report.findings:
        if f.status in ("accepted", "mitigated") and not args.all:
            continue
        status = "" if f.status == "open" else f" [{f.status}]"
        print(f"{f.code} {f.severity.value}{status} {f.id}: {f.message}")
        if f.fix:
            print(f"    fix: {f.fix}")
        if f.status == "reopened" and f.mark:
            print(f"    reopened: marked {f.mark.status} by {f.mark.by} on {f.mark.date}, but its subject has changed")
    if args.json:
        Path(args.json).write_text(report.to_frame().to_json(orient="records", indent=2) + "\n", encoding="utf-8")
    frame = report.to_frame()
    counts = frame.groupby(["severity", "status"]).size().to_dict() if len(frame) else {}
    summary = ", ".join(f"{n} {sev} ({status})" for (sev, status), n in sorted(counts.items()))
    blocking = sum(f.blocking for f in report.findings)
    print(f"{len(report.findings)} findings: {summary or 'none'}; {blocking} blocking")
    return 0 if report.ok else 1


def cmd_prove(args) -> int:
    from ..engine.guarantees import check_guarantees

    protocol = load(args.path)
    _draft_notice(protocol)
    report = check_guarantees(protocol)
    _print_guarantees(report)
    if args.json:
        Path(args.json).write_text(json.dumps([r.as_dict() for r in report.results], indent=2) + "\n", encoding="utf-8")
    print(f"{report.passed} passed, {report.failed} failed")
    return 0 if report.ok else 1


def _draft_notice(protocol) -> None:
    """Say so when a draft is tested with legal-sense errors that will block its signature."""
    from ..model.readiness import draft_only_errors, signature_blockers

    errors = draft_only_errors(signature_blockers(protocol), protocol.metadata.status)
    if errors:
        print(f"This draft has {len(errors)} legal-sense error{'s' if len(errors) != 1 else ''}: it can be tested, "
              "but not agreed, published or exported for signature until they are fixed "
              "(protocolkit validate lists them).")


def _print_guarantees(report) -> None:
    for result in report.results:
        g = result.guarantee
        if result.proven:
            print(f"PROVEN   {g.id}: {g.statement} ({result.space_size:,} possible requests)")
        else:
            print(f"VIOLATED {g.id}: {g.statement}")
            for line in result.explanation.splitlines():
                print(f"         {line}")


def cmd_test(args) -> int:
    from ..engine.cases import run_cases, runnable_cases
    from ..engine.guarantees import check_guarantees

    protocol = load(args.path)
    _draft_notice(protocol)
    if args.cases:
        cases_dir = Path(args.cases)
        if not cases_dir.exists():
            print(f"error: the cases folder {args.cases} does not exist; name a folder of case files "
                  f"(the protocol's own are in {protocol.folder / 'cases'})", file=sys.stderr)
            return 2
        if cases_dir.is_dir() and not any(cases_dir.glob("*.yaml")) and not any(cases_dir.glob("*.yml")):
            print(f"error: the cases folder {args.cases} holds no case files (*.yaml); "
                  "name the folder that holds them", file=sys.stderr)
            return 2
    else:
        cases_dir = protocol.folder / "cases"
    cases, broken = runnable_cases(protocol, cases_dir) if cases_dir.exists() else ([], [])
    results = run_cases(protocol, cases)
    _print_results(results)
    if broken:
        files = sorted({f.file or "?" for f in broken})
        print(f"{len(files)} case file(s) could not run; every other case ran. Fix these and run again:")
        for finding in broken:
            print(f"FAIL {finding.format()}")
    guarantees = check_guarantees(protocol)
    if guarantees.results:
        print(f"guarantees: {guarantees.passed} proven, {guarantees.failed} violated")
        _print_guarantees(guarantees)
    if args.junit:
        results.to_junit(args.junit, guarantees=guarantees)
    if args.json:
        data = {**results.to_json(), "guarantees": [r.as_dict() for r in guarantees.results],
                "cases_that_could_not_run": [{"file": f.file, "line": f.line, "code": f.code, "message": f.message,
                                              "fix": f.fix} for f in broken]}
        Path(args.json).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    broken_files = len({f.file or "?" for f in broken})
    passed, failed = results.passed + guarantees.passed, results.failed + guarantees.failed + broken_files
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


def _print_results(results) -> None:
    s = results.summary()
    print(f"{s['cases']} cases, {s['expectations']} expectations")
    for row in results.failures.to_dict("records"):
        print(f"FAIL {row['case']} / {row['step']} / {row['request']}: {row['from']} -> {row['to']} "
              f"{', '.join(row['categories'])} at {row['stage']} for {row['purpose']}")
        for problem in row["problems"]:
            print(f"     {problem}")
        for line in str(row["explanation"]).splitlines():
            print(f"     {line}")
    print(f"coverage: {s['rules_exercised']} of {s['rules']} rules decided at least one request")
    never = results.rules_never_exercised
    if never:
        print(f"  never exercised: {', '.join(never)}")
    table = results.sharing_by_stage()
    if len(table):
        print("sharing by stage (requested / shared / over-shared / under-shared / gaps):")
        for stage, row in table.iterrows():
            print(f"  {stage:<22} {row.requested} / {row.shared} / {row.over_shared} / {row.under_shared} / {row.gaps}")
    for label, frame in (("over-sharing", results.over_sharing), ("under-sharing", results.under_sharing),
                         ("gap", results.gaps)):
        for row in frame.to_dict("records"):
            print(f"{label}: {row['case']} / {row['step']}: {row['from']} -> {row['to']} {row['category']} "
                  f"at {row['stage']}" + (f" (rule {row['rule']})" if isinstance(row.get("rule"), str) else ""))



def cmd_graph(args) -> int:
    from ..diagrams import FORMATS, write

    out = Path(args.out)
    if out.suffix.lower() not in FORMATS[args.view]:
        print(f"error: cannot write the {args.view} view as {out.suffix or 'a file without an extension'!r}; "
              f"supported: {', '.join(FORMATS[args.view])}", file=sys.stderr)
        return 2
    if not out.parent.is_dir():
        print(f"error: cannot write {out}: the folder {out.parent} does not exist; create it first or choose "
              "another --out", file=sys.stderr)
        return 2
    facts = _facts(args)
    try:
        written = write(load(args.path), out, stage=args.stage, facts=facts or None, view=args.view,
                        purpose=args.purpose)
    except ModuleNotFoundError as exc:
        print(f"error: the {args.view} view needs the Python package {exc.name!r}, which is not installed; "
              "install it with: pip install 'protocolkit[workbench]'", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: cannot write {out}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    print(written)
    return 0

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
