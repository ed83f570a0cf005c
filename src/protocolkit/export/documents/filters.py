"""Jinja2 filters that turn the context's records into table rows and list items of plain text.

Each returns lists of strings (or runs); the renderers escape them. Kept apart from the
templates so a protocol's own template can reuse them.
"""

from __future__ import annotations

from ...model.naming import beyond
from .blocks import b


def _zip(left, right):
    return [[a, b_] for a, b_ in zip(left, right)]


def partner_rows(partners):
    rows = []
    for x in partners:
        name = x["name"] + (f" (part of {x['part_of']})" if x["part_of"] else "")
        if x.get("legal_entity"):   # the legal person it is a service of: the controller in law (section 2's table)
            name += f" (a service of {x['legal_entity']}, its legal entity)"
        rows.append([name, x["kind"], x["role"], x["public_body"], "; ".join(x["powers"]) or "none named"])
    return rows


def outside_rows(rows):
    return [[r["label"], r["kind"], r["description"]] for r in rows]


def need_rows(rows):
    return [[r["recipient"], r["categories"], r["purposes"], r["why"]] for r in rows]


def flow_rows(flows):
    rows = []
    for f in flows:
        mode = f" ({f['sharing']})" if f.get("sharing") else ""
        whose = f", {f['whose']}" if f.get("whose") else ""
        who = f"{f['from']} to {f['to']}{mode}: {f['data']}{whose} ({f['stages']}; {f['purposes']})"
        art6 = "; ".join(x["short"] for x in f["art6"]) or "none named"
        conditions = "; ".join(x["short"] for x in f["conditions"]) or "none"
        gateways = "; ".join(x["short"] for x in f["gateways"]) or "none"
        rows.append([f"{f['rule']}: {f['title']}", who, art6, conditions, gateways, f["regime"]])
    return rows


def rule_rows(rules, third: str = "when"):
    return [[r["rule"], f"{r['title']} ({r['from']} to {r['to']}; {r['stages']}"
             + (f"; {r['whose']})" if r.get("whose") else ")"), r.get(third) or r["when"]] for r in rules]


def example_items(requests):
    items = []
    for r in requests:
        head = f"{r['from']} to {r['to']}: {r['data']}, for {r['purpose']}. "
        result = f"Agreement: {r['actual_words']}" + (f" (rule {r['rule']})" if r["rule"] else "") + ". "
        items.append([head, b(result), r["note"]])
    return items


def _what_it_is(row) -> str:
    """A basis's name and summary; without the name where it only repeats the citation beside it."""
    name = beyond(row["label"], row["citation"]) if row["summary"] else row["label"]
    return ". ".join(part for part in (name, row["summary"]) if part)


def basis_rows(rows):
    from .context import UNVERIFIED

    return [[r["citation"], _what_it_is(r),
             "Yes" if r["verified"] else f"No: {UNVERIFIED}"] for r in rows]


def fallback_rows(rows):
    return [[f"{r['title']} ({r['id']})", r["purposes"], r["when"], r["outcome"],
             f"{r['rationale']}" + (f" Duties: {r['obligations']}." if r["obligations"] else "")] for r in rows]


def contact_rows(rows):
    return [[r["partner"], r["role"], r["name"], r["reach"]] for r in rows]


def statement_rows(rows):
    return [[r["partners"], r["categories"], r["text"]] for r in rows]


def retention_rows(rows):
    return [[r["partners"], r["categories"], r["period"] or "see text", r["text"]] for r in rows]


def golden_rows(rules):
    from .context import UNVERIFIED

    rows = []
    for g in rules:
        text = f"{g['number']}. {g['text']}" + ("" if g["verified"] else f" ({UNVERIFIED})")
        where = ", ".join(g["where"]) if g["where"] else "Not cited by any rule: not yet shown to be implemented"
        rows.append([text, where])
    return rows


def signatory_rows(rows):
    return [[s["organisation"], s["name"], s["role"], "", ""] for s in rows]


def card_rows(rows):
    return [[r["to"], r["what"], r["stages"], r["rules"]] for r in rows]


def decides_text(decides):
    return "; ".join(f"{d['role']} decides ({', '.join(d['rules'])})" for d in decides)


def keep_text(keep):
    if not keep["period"]:
        return "no period agreed yet" + ("" if keep["what"] == "everything" else f" ({keep['what']})")
    return f"{keep['period']} ({keep['what']})"


def judged_text(judged):
    return "; ".join(f"{d['role']} judges ({', '.join(d['rules'])})" for d in judged)


def form_rows(rows):
    return [[r["field"], r["entry"]] for r in rows]


def case_rows(case):
    rows = []
    for step in case["steps"]:
        for r in step["requests"]:
            request = f"{r['from']} to {r['to']}: {r['data']} ({r['purpose']})"
            result = r["actual_words"] + ("" if r["passed"] else " - NOT AS EXPECTED: " + "; ".join(r["problems"]))
            rows.append([f"{step['title']} ({step['stage']})", request, r["expected"], result, r["rule"] or "-"])
    return rows


def finding_rows(findings):
    rows = []
    for f in findings:
        decision = ""
        if f["mark"]:
            decision = f"{f['mark']['status'].capitalize()} by {f['mark']['by']} on {f['mark']['date']}: {f['mark']['reason']}"
        elif f["status"] in ("open", "reopened"):
            decision = f"Not yet decided. Suggested fix: {f['fix']}" if f["fix"] else "Not yet decided."
        rows.append([f"{f['id']} ({f['severity']})", f"{f['title']}: {f['message']}", f["status"], decision])
    return rows


def plural(count, word: str) -> str:
    """``1 finding``, ``2 findings``."""
    return f"{count} {word}{'' if count == 1 else 's'}"


FILTERS = {name: fn for name, fn in globals().items()
           if name.endswith(("_rows", "_items", "_text")) and callable(fn)}
FILTERS["zip"] = _zip
FILTERS["plural"] = plural
