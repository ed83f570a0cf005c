"""What ``protocolkit test`` and ``protocolkit prove`` print: each section says what it means.

A practitioner reads: the sample cases and their expectations (failures in full), which rules
no case reaches, sharing by stage in an aligned table with what over-sharing, under-sharing and
gaps mean and whether each is a problem, the under-sharing found, the guarantees, and then the
counts of expectations and guarantees on their own lines before the closing ``N passed, N failed``.
"""

from __future__ import annotations

import os
import sys

from rich.console import Console
from rich.table import Table
from rich.text import Text

#: What each column of the sharing-by-stage table means, and whether it is a problem.
MEANINGS = (
    ("over-shared", "a category went that the recipient's need-to-know profile does not list. Look at each one: "
                    "it may be more than the recipient needs (a problem unless the profile is incomplete)."),
    ("under-shared", "the recipient's profile says it needs a category, and it did not go. Often intended (consent "
                     "refused, the owner shares it itself, it goes at a later stage), so it is not a failure: "
                     "check that each one is deliberate."),
    ("gaps", "no rule decides the request, so nothing goes (or the purpose's fallback decides). A gap is a "
             "question the protocol has not answered: add a rule."),
)


def console(file=None) -> Console:
    """A console for the command's output (standard output unless ``file``): colour only on a terminal
    and without ``NO_COLOR``; on a file or a CI log, lines up to 120 characters."""
    file = file if file is not None else sys.stdout
    terminal = file.isatty() if hasattr(file, "isatty") else False
    return Console(file=file, highlight=False, soft_wrap=False, width=None if terminal else 120,
                   no_color=bool(os.environ.get("NO_COLOR")) or not terminal, emoji=False)


def table(*columns: str, right: tuple[str, ...] = ()) -> Table:
    """A borderless table with bold headers; cells added with :func:`row` are shown literally."""
    t = Table(box=None, show_edge=False, pad_edge=False, header_style="bold", padding=(0, 2, 0, 0))
    for column in columns:
        t.add_column(column, justify="right" if column in right else "left")
    return t


def row(t: Table, *cells) -> None:
    """Add a row of literal text (never read as markup)."""
    t.add_row(*(Text(str(c)) for c in cells))


def say(out: Console, text: str, indent: int = 0, hang: int = 2) -> None:
    """Print prose wrapped to the console's width, later lines indented ``hang`` more than the first."""
    out.print(_wrapped(out, text, indent, hang))


def show_table(out: Console, t: Table) -> None:
    """Print a table; on a file or a CI log, as wide as its rows need, so that no cell is cut or folded."""
    if out.is_terminal:
        out.print(t)
        return
    import io

    from rich.measure import Measurement

    width = max(out.width, Measurement.get(out, out.options.update_width(10_000), t).maximum)
    wide = Console(file=io.StringIO(), width=width, no_color=True, highlight=False, emoji=False)
    wide.print(t)
    for line in wide.file.getvalue().splitlines():
        out.print(Text(line.rstrip()), soft_wrap=True)


def print_case_results(out: Console, results, cases_dir) -> None:
    """The sample cases: counts, failures in full, coverage, sharing by stage and what it means."""
    s = results.summary()
    say(out, f"Sample cases ({cases_dir}): {s['cases']} case{'s' if s['cases'] != 1 else ''}, "
             f"{s['expectations']} expectation{'s' if s['expectations'] != 1 else ''}. "
             "Each expectation says what the published guidance requires for one request.")
    for r in results.failures.to_dict("records"):
        out.print(Text(f"FAIL {r['case']} / {r['step']} / {r['request']}: {r['from']} -> {r['to']} "
                       f"{', '.join(r['categories'])} at {r['stage']} for {r['purpose']}"), soft_wrap=True)
        for sentence in r.get("in_words") or []:  # plain words first (the widgets say the same), ids after
            say(out, sentence, indent=5, hang=0)
        if r["problems"]:
            out.print(Text(f"     In short: {'; '.join(r['problems'])}"), soft_wrap=True)
        for line in str(r["explanation"]).splitlines():
            say(out, line, indent=5, hang=0)
    say(out, f"Rule coverage: {s['rules_exercised']} of {s['rules']} rules decided at least one request "
             "of the cases.")
    never = results.rules_never_exercised
    if never:
        say(out, f"never exercised: {', '.join(never)} (write a case that reaches "
                 f"{'it' if len(never) == 1 else 'them'}, or check {'it is' if len(never) == 1 else 'they are'} "
                 "still needed)", indent=2)
    by_stage = results.sharing_by_stage()
    if len(by_stage):
        out.print()
        out.print(Text("Sharing by stage (categories asked for in the cases):"))
        t = table("stage", "requested", "shared", "over-shared", "under-shared", "gaps",
                  right=("requested", "shared", "over-shared", "under-shared", "gaps"))
        for stage, r in by_stage.iterrows():
            row(t, stage, r.requested, r.shared, r.over_shared, r.under_shared, r.gaps)
        show_table(out, t)
        for name, meaning in MEANINGS:
            say(out, f"{name}: {meaning}", indent=2)
    for label, frame, note in (
            ("Over-sharing", results.over_sharing, "beyond the recipient's need-to-know: check each one"),
            ("Under-sharing", results.under_sharing, "needed but withheld: not a failure, check each is deliberate"),
            ("Gaps", results.gaps, "no rule decides these: add rules")):
        records = frame.to_dict("records")
        if not records:
            continue
        out.print()
        out.print(Text(f"{label} ({len(records)}, {note}):"))
        t = table("case / step", "from -> to", "category", "stage", "rule")
        for r in records:
            rule = r.get("rule") if isinstance(r.get("rule"), str) else (r.get("fallback") or "-")
            row(t, f"{r['case']} / {r['step']}", f"{r['from']} -> {r['to']}", r["category"], r["stage"],
                rule if isinstance(rule, str) else "-")
        show_table(out, t)


def print_guarantees(out: Console, report) -> None:
    """Each guarantee: proven over every possible request, or violated with its counterexample."""
    for result in report.results:
        g = result.guarantee
        if result.proven:
            say(out, f"PROVEN   {g.id}: {' '.join(g.statement.split())} ({result.space_size:,} possible requests)",
                hang=9)
        else:
            say(out, f"VIOLATED {g.id}: {' '.join(g.statement.split())}", hang=9)
            for line in result.explanation.splitlines():
                out.print(Text(f"         {line}"))


def count_line(what: str, passed: int, failed: int, passed_word: str = "passed", failed_word: str = "failed") -> str:
    """``Expectations: 118 passed, 0 failed.``"""
    return f"{what}: {passed} {passed_word}, {failed} {failed_word}."


__all__ = ["MEANINGS", "console", "count_line", "print_case_results", "print_guarantees", "row", "table"]


def _wrapped(out: Console, text: str, indent: int, hang: int = 2) -> Text:
    """``text`` wrapped to the console's width, starting ``indent`` spaces in, later lines ``hang`` more."""
    import textwrap

    return Text(textwrap.fill(text, width=max(out.width, 40), initial_indent=" " * indent,
                              subsequent_indent=" " * (indent + hang), break_long_words=False,
                              break_on_hyphens=False))


def print_review(out: Console, report, show_all: bool = False) -> None:
    """Review findings grouped by code: the code's title once, then each finding with its fix in plain words.

    Open and reopened findings are shown in full; accepted and mitigated ones are counted, and with
    ``show_all`` shown with who accepted them, when and why.
    """
    open_findings = [f for f in report.findings if f.status in ("open", "reopened")]
    closed = [f for f in report.findings if f.status not in ("open", "reopened")]
    blocking = sum(f.blocking for f in report.findings)
    _print_group(out, "Open findings", open_findings)
    if closed and show_all:
        out.print()
        _print_group(out, "Accepted or mitigated", closed)
    out.print()
    severities = {}
    for f in report.findings:
        severities[f.severity.value] = severities.get(f.severity.value, 0) + 1
    kinds = ", ".join(f"{n} {s}{'s' if n != 1 and s != 'info' else ''}" for s, n in sorted(severities.items()))
    out.print(Text(f"{len(report.findings)} finding{'s' if len(report.findings) != 1 else ''} ({kinds or 'none'}): "
                   f"{len(open_findings)} open, {len(closed)} accepted or mitigated; "
                   f"{blocking} blocking sign-off (an open error)."), soft_wrap=True)
    if closed and not show_all:
        out.print(Text(f"{len(closed)} accepted or mitigated finding{'s are' if len(closed) != 1 else ' is'} not shown: "
                       "add --all to see who accepted each one, when and why."), soft_wrap=True)


def _print_group(out: Console, heading: str, findings) -> None:
    if not findings:
        out.print(Text(f"{heading}: none."))
        return
    out.print(Text(f"{heading} ({len(findings)}):", style="bold"))
    by_code: dict[str, list] = {}
    for f in findings:
        by_code.setdefault(f.code, []).append(f)
    for code, group in by_code.items():
        first = group[0]
        title = first.title[:1].upper() + first.title[1:]
        out.print()
        out.print(Text(f"{code} {first.severity.value}: {title} ({len(group)})", style="bold"))
        fixes = {f.fix for f in group}
        if len(fixes) == 1 and first.fix:
            out.print(_wrapped(out, f"Fix: {first.fix[:1].upper() + first.fix[1:]}"
                               + ("" if first.fix.endswith(".") else "."), 2))
        for f in group:
            out.print(_wrapped(out, f"- {f.message[:1].upper() + f.message[1:]}", 2))
            if f.fix and len(fixes) > 1:
                out.print(_wrapped(out, f"Fix: {f.fix[:1].upper() + f.fix[1:]}"
                                   + ("" if f.fix.endswith(".") else "."), 4))
            if f.mark is not None:
                did = "reopened: it was marked" if f.status == "reopened" else f.status
                after = ", but what it is about has changed since" if f.status == "reopened" else ""
                out.print(_wrapped(out, f"{did[:1].upper() + did[1:]} by {f.mark.by} on {f.mark.date.isoformat()}"
                                        f"{after}. Why: {' '.join(f.mark.reason.split())}", 4))
            out.print(Text(f"    id: {f.id}", style="dim"))
