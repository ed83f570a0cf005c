"""``protocolkit``: the command line. Turns options into library calls and prints the results.

Exit codes, the same for every command: 0 success; 1 the protocol (or a case file) has errors,
an expectation failed, a guarantee is violated or a review finding blocks sign-off; 2 bad input
on the command line (an unknown option or name, a path that is not there, an unreadable option).
This is the only module (with the notebooks' widgets) that prints.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from importlib import import_module
from typing import Sequence

from rich.text import Text

from .. import __version__
from ..errors import ProtocolError, ProtocolValidationError, Severity, UnknownValueError
from ..model.loading import load, load_with_findings
from .helptext import complete_help
from .paths import check_protocol_path
from .jsonout import add_json_option, json_to_stdout, text_stream, write_json
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
        if isinstance(getattr(args, "path", None), str) and args.command not in PATH_NOT_A_PROTOCOL:
            check_protocol_path(args.path)
        return args.handler(args)
    except ProtocolValidationError as exc:
        for finding in exc.findings:
            print(finding.format(), file=sys.stderr)
        return exit_code_of(exc, getattr(args, "path", None))
    except (UnknownValueError, ProtocolError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. piped into head
        return 0


#: Commands whose ``path`` is not a protocol to read.
PATH_NOT_A_PROTOCOL = frozenset({"init"})

#: Findings about reaching the files (missing, unreadable, a symbolic-link loop), not about their content.
FILE_SYSTEM_CODES = frozenset({"PK114"})


def exit_code_of(error: ProtocolValidationError, path: str | None) -> int:
    """1 for errors in a protocol or its case files; 2 when its files cannot be reached at all
    (a path that is not there, a folder that cannot be listed: bad input, as an unknown option is)."""
    if isinstance(path, str) and not Path(path).exists():
        return 2
    errors = error.errors or error.findings
    return 2 if errors and all(f.code in FILE_SYSTEM_CODES for f in errors) else 1


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
        p.add_argument("--fact", action="append", default=[], metavar="KEY=VALUE",
                       help="a fact of the case (repeat); a person's own value as fact@role=VALUE")
        p.add_argument("--about", metavar="ROLE", help="whose data it is: a data subject role (victim, child...)")
        p.add_argument("--history", action="append", default=[], metavar="received=CAT|ID[=no]",
                       help="what already happened in the case (repeat); not given: unknown")
        add_json_option(p, "the decision" if name == "decide" else "every candidate change")
        p.add_argument("--all", action="store_true", help=argparse.SUPPRESS if name == "decide" else
                       "list every candidate change, not only the three smallest for each category")
        p.set_defaults(handler=handler)

    p = sub.add_parser("review", help="review findings before sign-off; exits 1 on an open error finding")
    p.add_argument("path")
    add_json_option(p, "the findings")
    p.add_argument("--all", action="store_true", help="also list accepted and mitigated findings in full")
    p.add_argument("--mark", metavar="FINDING_ID", help="record a decision on a finding in review.yaml")
    p.add_argument("--status", choices=["accepted", "mitigated"], help="with --mark")
    p.add_argument("--by", help="with --mark: who decides, with their role")
    p.add_argument("--reason", help="with --mark: why")
    p.set_defaults(handler=cmd_review)

    p = sub.add_parser("prove", help="check every guarantee over every possible request; ends with 'N passed, N failed'")
    p.add_argument("path")
    add_json_option(p, "the verdicts")
    p.set_defaults(handler=cmd_prove)

    p = sub.add_parser("test", help="run the sample cases and the guarantees; ends with 'N passed, N failed'")
    p.add_argument("path")
    p.add_argument("--cases", help="case folder (default: PATH/cases)")
    p.add_argument("--junit", help="write JUnit XML here")
    add_json_option(p, "the full results")
    p.set_defaults(handler=cmd_test)

    p = sub.add_parser("graph", help="draw the protocol: data flows, stage lanes or exposure heatmap "
                                     "(.svg .png), or write .dot .graphml .gexf")
    p.add_argument("path")
    p.add_argument("--stage", metavar="ID", help="one stage only (lanes: the stages up to it)")
    p.add_argument("--purpose", metavar="ID", help="one purpose only")
    p.add_argument("--fact", action="append", default=[], metavar="KEY=VALUE", help="a fixed fact (repeat)")
    p.add_argument("--view", choices=("dataflow", "lanes", "heatmap"), default=None,
                   help="what to draw (default: the data flows of the --stage given; without --stage, the stage "
                        "lanes, which read better than every stage's flows at once)")
    p.add_argument("--out", required=True, metavar="FILE", help="the file to write; its extension names the format")
    p.set_defaults(handler=cmd_graph)

    for name in COMMAND_MODULES:
        import_module(f"{__package__}.{name}").register(sub)
    complete_help(sub)
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
    warnings = sum(f.severity is Severity.WARNING for f in findings)
    hints = len(findings) - errors - warnings
    print(f"{errors} error{'s' if errors != 1 else ''}, {warnings} warning{'s' if warnings != 1 else ''}"
          + (f", {hints} hint{'s' if hints != 1 else ''}" if hints else ""))
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
    from ..model.outcomes import Outcome
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
    outcomes = [o for o in reversed(Outcome) if o is not Outcome.GAP]   # the least protective first
    short = {Outcome.SHARE_MINIMUM: "minimum", Outcome.SEEK_CONSENT: "consent"}
    print(f"rules by stage ({' / '.join(short.get(o, o.words) for o in outcomes)}):")
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
    return Request(args.sender, args.recipient, categories, args.stage, args.purpose, facts,
                   about=getattr(args, "about", None))


def cmd_decide(args) -> int:
    from ..engine.decisions import decide

    from .answers import render_decision

    protocol = load(args.path)
    decision = decide(protocol, _request(args))
    if args.json:
        write_json(args, decision.to_dict())
        if json_to_stdout(args):
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
        write_json(args, json.loads(table.to_json(orient="records")))
        if json_to_stdout(args):
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
        try:
            mark = mark_finding(protocol, args.mark, args.status, args.by, args.reason)
        except ProtocolValidationError as exc:  # no current finding has that id: an unknown name, 2
            print("\n".join(f"error: {f.message} ({f.fix})" for f in exc.findings), file=sys.stderr)
            return 2
        print(f"marked {mark.finding} as {mark.status} in {protocol.folder / 'review.yaml'}")
        return 0
    from .report import console, print_review

    out = console(text_stream(args))
    with out.status("Reviewing: flows, need-to-know, rules, guarantees...") if out.is_terminal else _nothing():
        report = review(protocol)
    print_review(out, report, args.all)
    if args.json:
        write_json(args, json.loads(report.to_frame().to_json(orient="records")))
    return 0 if report.ok else 1


def cmd_prove(args) -> int:
    from ..engine.guarantees import check_guarantees
    from .report import console, count_line, print_guarantees

    protocol = load(args.path)
    _draft_notice(protocol, json_to_stdout(args))
    out = console(text_stream(args))
    with out.status("Checking every guarantee over every possible request...") if out.is_terminal else _nothing():
        report = check_guarantees(protocol)
    print_guarantees(out, report)
    if args.json:
        write_json(args, [r.as_dict() for r in report.results])
    out.print(count_line("Guarantees", report.passed, report.failed, "proven", "violated"))
    out.print(f"{report.passed} passed, {report.failed} failed")
    return 0 if report.ok else 1


def _nothing():
    from contextlib import nullcontext

    return nullcontext()


def _draft_notice(protocol, stderr: bool = False) -> None:
    """Say so when a draft is tested with legal-sense errors that will block its signature."""
    from ..model.readiness import draft_only_errors, signature_blockers

    errors = draft_only_errors(signature_blockers(protocol), protocol.metadata.status)
    if errors:
        print(f"This draft has {len(errors)} legal-sense error{'s' if len(errors) != 1 else ''}: it can be tested, "
              "but not agreed, published or exported for signature until they are fixed "
              "(protocolkit validate lists them).", file=sys.stderr if stderr else sys.stdout)


def cmd_test(args) -> int:
    from ..engine.cases import run_cases, runnable_cases
    from ..engine.guarantees import check_guarantees
    from .report import console, count_line, print_case_results, print_guarantees, say

    protocol = load(args.path)
    _draft_notice(protocol, json_to_stdout(args))
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
    out = console(text_stream(args))
    cases, broken = runnable_cases(protocol, cases_dir) if cases_dir.exists() else ([], [])
    results = run_cases(protocol, cases)
    print_case_results(out, results, cases_dir)
    if broken:
        files = sorted({f.file or "?" for f in broken})
        out.print(f"{len(files)} case file(s) could not run; every other case ran. Fix these and run again:")
        for finding in broken:
            out.print(Text(f"FAIL {finding.format()}"), soft_wrap=True)
    with out.status("Checking every guarantee over every possible request...") if out.is_terminal else _nothing():
        guarantees = check_guarantees(protocol)
    if guarantees.results:
        out.print()
        say(out, f"Guarantees (promises checked over every possible request, not only the cases): "
                 f"{guarantees.passed} proven, {guarantees.failed} violated")
        print_guarantees(out, guarantees)
    if args.junit:
        results.to_junit(args.junit, guarantees=guarantees)
    if args.json:
        write_json(args, {**results.to_json(), "guarantees": [r.as_dict() for r in guarantees.results],
                           "cases_that_could_not_run": [{"file": f.file, "line": f.line, "code": f.code,
                                                         "message": f.message, "fix": f.fix} for f in broken]})
    broken_files = len({f.file or "?" for f in broken})
    out.print()
    out.print(count_line("Expectations", results.passed, results.failed)
              + (f" Case files that could not run: {broken_files}." if broken_files else ""))
    out.print(count_line("Guarantees", guarantees.passed, guarantees.failed))
    passed, failed = results.passed + guarantees.passed, results.failed + guarantees.failed + broken_files
    out.print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


def cmd_graph(args) -> int:
    from ..diagrams import FORMATS, write

    out = Path(args.out)
    defaulted = args.view is None
    if defaulted:  # the view that reads well: one stage's flows, or the lanes of every stage
        args.view = "dataflow" if args.stage or out.suffix.lower() not in FORMATS["lanes"] else "lanes"
    if out.suffix.lower() not in FORMATS[args.view]:
        print(f"error: cannot write the {args.view} view as {out.suffix or 'a file without an extension'!r}; "
              f"supported: {', '.join(FORMATS[args.view])}", file=sys.stderr)
        return 2
    if not out.parent.is_dir():
        print(f"error: cannot write {out}: the folder {out.parent} does not exist; create it first or choose "
              "another --out", file=sys.stderr)
        return 2
    facts = _facts(args)
    from .report import console

    progress = console(sys.stderr)
    try:
        protocol = load(args.path)
        with progress.status(f"Drawing the {args.view} view...") if progress.is_terminal else _nothing():
            written = write(protocol, out, stage=args.stage, facts=facts or None, view=args.view,
                            purpose=args.purpose)
    except ModuleNotFoundError as exc:
        print(f"error: the {args.view} view needs the Python package {exc.name!r}, which is not installed; "
              "install it with: pip install 'protocolkit[workbench]'", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: cannot write {out}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    print(written)
    if defaulted and args.view == "lanes":
        print("note: drew the stage lanes (what each partner may receive, stage by stage); add --stage ID for "
              "the data flows of one stage, or --view dataflow for every stage's flows at once", file=sys.stderr)
    return 0

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
