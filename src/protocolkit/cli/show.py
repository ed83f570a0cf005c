"""``protocolkit show``: list the names a user can type, with their plain-English labels.

A practitioner asking "what do I type after ``--data``?" gets the category tree; after
``--fact``, each fact with its allowed values. The listing is read from the protocol's
vocabulary (the shipped defaults merged with the protocol's own entries), so it is exactly
what ``decide``, ``why-not``, the cases and the rules accept.
"""

from __future__ import annotations

import argparse

from rich.console import Console
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from ..model.loading import load
from ..model.vocabulary import Vocabulary

SECTIONS = ("partners", "kinds", "categories", "stages", "purposes", "facts", "subjects", "obligations", "rules",
            "bases")

EXAMPLE = "example: protocolkit show examples/mash categories"


def register(subparsers) -> None:
    """Add the ``show`` subcommand."""
    p = subparsers.add_parser(
        "show", help="list the ids you can type (partners, categories, stages, purposes, facts, ...)",
        description="List the names a protocol understands, with their labels: the ids to use in "
                    "--from/--to, --data, --stage, --purpose and --fact, in rules and in case files.",
        epilog=EXAMPLE, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("path", help="the protocol folder (or its protocol.yaml)")
    p.add_argument("what", choices=SECTIONS, metavar="WHAT",
                   help=f"what to list: {', '.join(SECTIONS)}")
    p.set_defaults(handler=run)


def run(args) -> int:
    """Print the chosen section; returns the exit code."""
    vocabulary = Vocabulary.of(protocol := load(args.path))
    console = Console(highlight=False, soft_wrap=False)
    if not console.is_terminal:  # a file or a CI log: room for whole rows
        console = Console(highlight=False, soft_wrap=False, width=120)
    if args.what == "categories":
        console.print(_category_tree(vocabulary))
        console.print("Special category (UK GDPR Art 9) is marked [Art 9]; criminal offence data (Art 10) [Art 10]. "
                      "A rule or request on a category covers everything below it.")
        return 0
    table = _table(args.what, vocabulary, protocol)
    for column in table.columns:  # ids are what the reader types: never cut or wrapped
        if column.header in ("id", "kind", "part of", "broader kind", "values"):
            column.no_wrap = True
            column.min_width = max((len(cell) for cell in column.cells), default=2)
    console.print(table)
    return 0


def _table(what: str, v: Vocabulary, protocol) -> Table:
    table = _PlainTable(show_edge=False, pad_edge=False, box=None, header_style="bold")
    if what == "partners":
        table.title = "Partners (use with --from and --to)"
        for column in ("id", "name", "kind", "part of"):
            table.add_column(column)
        for p in v.partners.values():
            table.add_row(p.id, p.name, p.kind, p.part_of or "")
    elif what == "kinds":
        table.title = "Partner kinds (use in rules as from/to kinds)"
        for column in ("id", "label", "broader kind"):
            table.add_column(column)
        for k in v.kinds.values():
            table.add_row(k.id, k.label, k.parent or "")
    elif what == "stages":
        table.title = "Stages of a case, in order (use with --stage)"
        for column in ("order", "id", "label"):
            table.add_column(column)
        for n, s in enumerate(v.stages, 1):
            table.add_row(str(n), s.id, s.label)
    elif what == "purposes":
        table.title = "Purposes (use with --purpose)"
        for column in ("id", "label"):
            table.add_column(column)
        for p in v.purposes.values():
            table.add_row(p.id, p.label)
    elif what == "facts":
        table.title = "Facts of a case (use with --fact KEY=VALUE); a fact not stated is 'unknown'"
        for column in ("id", "question", "values"):
            table.add_column(column)
        for f in v.facts.values():
            values = (" < " if f.ordered else ", ").join(f.values)
            table.add_row(f.id, f.label + (" (each person's own: fact@role)" if f.per_subject else ""), values)
    elif what == "subjects":
        table.title = "Whose data a request is about (use with --about ROLE, and fact@ROLE for a person's own facts)"
        for column in ("id", "label"):
            table.add_column(column)
        for role in (v.subjects or {}).values():
            table.add_row(role.id, role.label)
    elif what == "obligations":
        table.title = "Obligation types (what a rule can require)"
        for column in ("id", "label"):
            table.add_column(column)
        for o in v.obligation_types.values():
            table.add_row(o.id, o.label)
    elif what == "bases":
        table.title = "Lawful bases and gateways (use in rules' lawful_bases)"
        for column in ("id", "name", "verified"):
            table.add_column(column)
        for b in v.lawful_bases.values():
            checked = "yes" if getattr(b, "verified", True) else "unverified: check with your legal adviser"
            table.add_row(b.id, v.label("lawful_bases", b.id), checked)
    else:  # rules
        table.title = "Rules, in protocol order"
        for column in ("id", "title", "outcome"):
            table.add_column(column)
        for r in protocol.rules:
            table.add_row(r.id, r.title or "", str(r.outcome))
    return table


class _PlainTable(Table):
    """A table whose cells are shown literally: names from a protocol file are never read as markup."""

    def add_row(self, *cells: str) -> None:  # type: ignore[override]
        super().add_row(*(Text(cell) for cell in cells))


def _category_tree(v: Vocabulary) -> Tree:
    tree = Tree("Data categories (use with --data)")
    nodes: dict[str, Tree] = {}
    for category in sorted(v.categories.values(), key=lambda c: len(v.category_ancestors(c.id))):
        parent = v.category_parent(category.id)
        marks = "".join((" [Art 9]" if v.is_special(category.id) else "",
                         " [Art 10]" if v.is_criminal(category.id) else ""))
        label = Text(f"{category.id}  {category.label}{marks}")
        nodes[category.id] = nodes.get(parent, tree).add(label)
    return tree
