"""Help that tells a practitioner what each command is for and shows one example.

:func:`complete_help` runs once the parser is built: every subcommand that has no description
or example gets the ones below, and every argument without help text gets the usual wording for
its name. A command module may set its own; these never replace what a module says.
"""

from __future__ import annotations

import argparse

#: For each command: what it does (the description) and one example (shown under "example:").
COMMANDS: dict[str, tuple[str, str]] = {
    "validate": ("Check a protocol folder and its sample cases: one line per problem, with the file, line, "
                 "what is wrong and the fix. Exits 1 when there is an error.",
                 "protocolkit validate examples/mash"),
    "summary": ("Say what a protocol holds: its partners, and how many rules each stage has for each outcome.",
                "protocolkit summary examples/mash"),
    "schema": ("Print the JSON Schema of protocol files (or of case files), for an editor that checks YAML "
               "as you type.",
               "protocolkit schema --out protocol.schema.json"),
    "decide": ("Decide one sharing request and explain it: what may go (and how much), the duties, the lawful "
               "bases and the rules that decided. Exits 0 whatever the answer.",
               "protocolkit decide examples/mash --from police --to mash_decision_maker "
               "--data criminal.intelligence --stage screening --purpose safeguarding --fact risk=amber"),
    "why-not": ("For a request that may not go: is that intended (and which guarantee promises it), and what "
                "is the smallest change (facts of the case, recipient, stage, a rule edit) that would let it go.",
                "protocolkit why-not examples/mash --from school --to police --data criminal.intelligence "
                "--stage referral --purpose safeguarding"),
    "review": ("Review the protocol before sign-off: legal-sense gaps, over- and under-sharing, overlapping "
               "rules, onward chains, the review date and missing signatures. Exits 1 while an error finding "
               "is open. Mark a finding accepted or mitigated with --mark.",
               "protocolkit review examples/mash --all"),
    "prove": ("Check every guarantee (the partnership's promises) over every possible request, not only the "
              "sample cases. Ends with 'N passed, N failed'; exits 1 when one is violated.",
              "protocolkit prove examples/mash"),
    "test": ("Run the sample cases and the guarantees: each failure in full, rule coverage, sharing by stage "
             "with what over- and under-sharing mean. Ends with 'N passed, N failed'; exits 1 on a failure.",
             "protocolkit test examples/mash --junit results.xml"),
    "graph": ("Draw the protocol: the data flows of one stage, the stage lanes, or the exposure heatmap (.svg, "
              ".png), or write the network for other tools (.dot, .graphml, .gexf).",
              "protocolkit graph examples/mash --stage referral --out referral.svg"),
    "export": ("Write the agreement documents (docx, html, md, one-page cards) and the machine-readable rules "
               "(json, rego, cedar, odrl, csv). A protocol with errors is refused and nothing is written.",
               "protocolkit export examples/mash --format docx --out agreement/"),
    "workshop": ("Open the workshop page (Voila) for a facilitated session on this protocol, on this computer only.",
                 "protocolkit workshop examples/mash --case 04_police_intelligence_screening"),
    "lab": ("Open JupyterLab with the guided notebooks on a copy of the protocol.",
            "protocolkit lab examples/mash"),
    "notebooks": ("Run the guided notebooks headless and keep the executed notebooks as an evidence pack.",
                  "protocolkit notebooks examples/mash --out evidence/"),
}

#: Help for arguments that commands often leave without it, by destination name.
ARGUMENTS = {
    "path": "the protocol folder (or its protocol.yaml)",
    "stage": "the stage of the case (protocolkit show PATH stages lists them)",
    "purpose": "why it is shared (protocolkit show PATH purposes lists them)",
}


def complete_help(subparsers: argparse._SubParsersAction) -> None:
    """Give every subcommand a description and an example, and every argument help text, where missing."""
    for name, parser in subparsers.choices.items():
        description, example = COMMANDS.get(name, ("", ""))
        if not parser.description:
            parser.description = description or next(
                (a.help for a in subparsers._choices_actions if a.dest == name), None)
        if not parser.epilog and example:
            parser.epilog = f"example: {example}"
            parser.formatter_class = argparse.RawDescriptionHelpFormatter
        for action in parser._actions:
            if not action.help and action.dest in ARGUMENTS:
                action.help = ARGUMENTS[action.dest]


__all__ = ["ARGUMENTS", "COMMANDS", "complete_help"]
