"""The register of flows as CSV: the shape a record of processing or an Information Sharing Gateway upload expects.

One row per permitted flow and deciding rule: sender, recipient, the categories that rule lets
go between them at that stage for that purpose, the outcome, the lawful bases, the regime, the
conditions on facts, the obligations and the retention statements that apply to the recipient
and those categories. Flows come from :func:`protocolkit.graph.permitted_flows`, which derives
them from the engine: a row here can never disagree with a decision.

The regime is DPA 2018 Part 3 (law enforcement processing) where a basis of the flow belongs
to Part 3, UK GDPR and DPA 2018 otherwise; a protocol that states a regime on a rule is
followed instead.

Cells are safe to open in a spreadsheet: a cell starting with ``=``, ``+``, ``-``, ``@`` or a
tab is prefixed with an apostrophe, so no cell is read as a formula; line breaks inside a cell
become spaces.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from ..model.protocol import Protocol
from ..model.vocabulary import Vocabulary
from .canonical import ensure_exportable, stamp
from .records import records

COLUMNS = ["sender", "sender_name", "recipient", "recipient_name", "categories", "stage", "purpose", "outcome",
           "rule", "lawful_bases", "regime", "conditions", "obligations", "retention",
           "protocol", "version", "status", "sha256"]

PART3 = "DPA 2018 Part 3 (law enforcement)"
GDPR = "UK GDPR and DPA 2018"


def regime(vocab: Vocabulary, bases, rule=None) -> str:
    """The data protection regime of a flow from its lawful bases (or the rule's own ``regime``)."""
    stated = getattr(rule, "regime", None)
    if stated:
        return str(stated)
    kinds = {vocab.lawful_bases[b].kind for b in bases if b in vocab.lawful_bases}
    return PART3 if "dpa_part3" in kinds else GDPR


def _cell(value) -> str:
    text = "" if value is None else str(value)
    text = " ".join(text.splitlines()) if ("\n" in text or "\r" in text) else text
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t") else text


def _retention(protocol: Protocol, vocab: Vocabulary, recipient: str, categories: list[str], rule=None,
               inherited=None, memo: dict | None = None) -> str:
    """The retention cell: the statements that apply to the recipient and categories; and where the rule states
    its own retention or inherits it from a default (docs/semantics.md section 18), each category's period in
    effect and where it was stated, such as ``social_care: 35 years after case closure (rule R-1's own)``.
    ``memo`` keeps each (rule, recipient, category)'s periods for the rows of one register (many rows share them)."""
    out = []
    if rule is not None and (rule.retention or any(i.what == "retention" for i in (inherited or {}).get(rule.id, ()))):
        from ..model.retention import retention_in_effect

        by_words: dict[str, list[str]] = {}
        memo = {} if memo is None else memo
        for category in categories:
            key = (rule.id, recipient, category)
            in_effect = memo.get(key)
            if in_effect is None:
                memo[key] = in_effect = retention_in_effect(protocol, vocab, [rule], inherited or {}, recipient,
                                                            category)
            for r in in_effect:
                by_words.setdefault(f"{r.words} ({r.cite()})", []).append(category)
        return "; ".join(f"{', '.join(cats)}: {words}" for words, cats in by_words.items())
    for statement in protocol.retention:
        partners = statement.partners
        if partners != "any" and not set(vocab.partner_ancestors(recipient)) & set(partners):
            continue
        if statement.categories != "any":
            covered = vocab.categories_in(statement.categories)
            if not any(c in covered for c in categories):
                continue
        out.append(f"{statement.id}: {statement.period}" if statement.period else statement.id)
    return "; ".join(out)


def register_rows(protocol: Protocol) -> list[dict]:
    """The register as rows (dicts keyed by :data:`COLUMNS`), in a stable order.

    Examples
    --------
    >>> import protocolkit
    >>> rows = register_rows(protocolkit.load(protocolkit.example_path("mash")))
    >>> rows[0]["outcome"] in {"share", "share_minimum"}, rows[0]["sender"] != rows[0]["recipient"]
    (True, True)
    """
    from ..graph.flows import permitted_flows
    from ..model.defaults import effective_rules

    vocab = Vocabulary.of(protocol)
    inherited = effective_rules(protocol, vocab)[1] if protocol.defaults else {}
    the_stamp = stamp(protocol)
    flows = permitted_flows(protocol)
    rows: dict[tuple, dict] = {}
    for flow in records(flows):
        key = (flow["from"], flow["to"], flow["stage"], flow["purpose"], flow["rule"])
        row = rows.get(key)
        if row is None:
            rule = protocol.rule(flow["rule"])
            bases = list(flow["lawful_bases"])
            rows[key] = row = {
                "sender": flow["from"], "sender_name": vocab.label("partners", flow["from"]),
                "recipient": flow["to"], "recipient_name": vocab.label("partners", flow["to"]),
                "categories": [], "stage": flow["stage"], "purpose": flow["purpose"], "outcome": str(flow["outcome"]),
                "rule": flow["rule"], "lawful_bases": "; ".join(bases), "regime": regime(vocab, bases, rule),
                "conditions": "; ".join(c.describe() for c in rule.conditions()),
                "obligations": "; ".join(flow["obligations"]),
                "protocol": the_stamp.protocol, "version": the_stamp.version, "status": the_stamp.status,
                "sha256": the_stamp.sha256,
            }
        if flow["category"] not in row["categories"]:
            row["categories"].append(flow["category"])
    out = []
    stage_order = {s: i for i, s in enumerate(vocab.stage_ids)}
    memo: dict = {}
    for key in sorted(rows, key=lambda k: (k[0], k[1], stage_order.get(k[2], 0), k[3], k[4])):
        row = rows[key]
        row["retention"] = _retention(protocol, vocab, row["recipient"], row["categories"], protocol.rule(row["rule"]),
                                      inherited, memo)
        row["categories"] = "; ".join(row["categories"])
        out.append(row)
    return out


def register_csv(protocol: Protocol) -> str:
    """The register as CSV text (header first, LF line ends, UTF-8 when written)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in register_rows(protocol):
        writer.writerow({k: _cell(v) for k, v in row.items()})
    return buffer.getvalue()


def write_csv(protocol: Protocol, out_dir) -> list[Path]:
    """Write ``<id>.csv``, the register of flows. Refuses a protocol with errors."""
    ensure_exportable(protocol)
    path = Path(out_dir) / f"{protocol.metadata.id}.csv"
    path.write_text(register_csv(protocol), encoding="utf-8", newline="\n")
    return [path]
