"""The command line's contract, checked for every command at once.

- Exit codes: a protocol with errors is 1 for every command that reads one; a bad option
  or an unknown name is 2 (argparse's usage error, or one line naming the closest match).
- ``--json`` is one convention: ``--json FILE`` writes the JSON and prints the usual text;
  ``--json -`` prints only the JSON on standard output; a bare ``--json`` (the old form of
  decide and why-not) still works as ``--json -`` and says on standard error that it is deprecated.
- Help: every subcommand has a description and an example; every argument has help text.
- Colour: none when the output is not a terminal.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

import protocolkit
from protocolkit.cli.main import _parser, main

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "engine" / "cli_protocol"
REQUEST = ["--from", "police", "--to", "mash", "--data", "criminal.intelligence", "--stage", "screening",
           "--purpose", "safeguarding", "--fact", "risk=amber"]


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def commands(tmp_path) -> dict[str, list]:
    """For each command that reads a protocol, the options that complete it (the path comes first)."""
    return {
        "validate": [], "summary": [], "decide": REQUEST, "why-not": REQUEST, "review": [], "prove": [], "test": [],
        "graph": ["--stage", "screening", "--out", tmp_path / "x.svg"], "show": ["partners"],
        "export": ["--format", "md", "--out", tmp_path / "docs"], "status": [],
        "sign": ["--name", "A. Example", "--role", "DPO", "--organisation", "police"],
        "notebooks": ["--out", tmp_path / "pack"],
    }


#: Commands that start a server or a browser, or create a protocol rather than read one: their
#: handling of a protocol with errors goes through the same load and is tested in their own modules.
NOT_RUN_HERE = {"lab", "workshop", "init", "schema", "diff"}


@pytest.fixture
def broken(tmp_path) -> Path:
    """The fixture protocol with an unknown partner kind: an error in the protocol."""
    folder = tmp_path / "broken"
    folder.mkdir()
    text = (FIXTURE / "protocol.yaml").read_text(encoding="utf-8")
    assert "kind: police" in text
    (folder / "protocol.yaml").write_text(text.replace("kind: police", "kind: polise"), encoding="utf-8")
    return folder


def test_every_command_that_reads_a_protocol_is_covered(tmp_path):
    sub = next(a for a in _parser()._actions if isinstance(a, argparse._SubParsersAction))
    assert set(sub.choices) == set(commands(tmp_path)) | NOT_RUN_HERE


@pytest.mark.parametrize("command", sorted(commands(Path("x"))))
def test_a_protocol_with_errors_exits_1_with_the_finding_and_no_traceback(command, broken, tmp_path, capsys):
    code, out, err = run(capsys, command, broken, *commands(tmp_path)[command])
    assert code == 1, (out, err)
    assert "polise" in out + err
    assert "Traceback" not in out + err


@pytest.mark.parametrize("command", sorted(set(commands(Path("x"))) | {"lab", "workshop", "init", "diff"}))
def test_a_bad_option_exits_2(command, tmp_path, capsys):
    complete = [str(a) for a in commands(tmp_path).get(command, [])]
    with pytest.raises(SystemExit) as stop:
        main([command, str(FIXTURE), *complete, "--no-such-option"])
    assert stop.value.code == 2
    assert "unrecognized arguments: --no-such-option" in capsys.readouterr().err


@pytest.mark.parametrize("command, argv, message", [
    ("decide", ["--from", "polise", *REQUEST[2:]], "unknown partner 'polise'; did you mean 'police'?"),
    ("why-not", [*REQUEST[:8], "--purpose", "safegaurding"], "unknown purpose 'safegaurding'"),
    ("graph", ["--stage", "screenig", "--out", "x.svg"], "unknown stage 'screenig'"),
    ("review", ["--mark", "RV999/none", "--status", "accepted", "--by", "B", "--reason", "R"],
     "no current review finding has the id 'RV999/none'"),
])
def test_an_unknown_name_exits_2_with_one_line(command, argv, message, tmp_path, capsys):
    folder = tmp_path / "p"
    folder.mkdir()
    (folder / "protocol.yaml").write_bytes((FIXTURE / "protocol.yaml").read_bytes())
    argv = [str(tmp_path / a) if a == "x.svg" else a for a in argv]
    code, out, err = run(capsys, command, folder, *argv)
    assert code == 2
    assert err.startswith("error: ") and message in err and err.count("\n") == 1


def test_a_path_that_is_not_there_exits_2(tmp_path, capsys):
    code, out, err = run(capsys, "summary", tmp_path / "nowhere")
    assert code == 2 and "does not exist" in err


JSON_COMMANDS = [("decide", REQUEST), ("why-not", REQUEST[:-2] + ["--fact", "risk=green"]), ("review", []),
                 ("prove", []), ("test", [])]


@pytest.mark.parametrize("command, extra", JSON_COMMANDS)
def test_json_dash_prints_only_json_on_standard_output(command, extra, capsys):
    code, out, err = run(capsys, command, FIXTURE, *extra, "--json", "-")
    assert code in (0, 1)
    json.loads(out)  # the whole of standard output is one JSON document
    assert "deprecated" not in err


@pytest.mark.parametrize("command, extra", JSON_COMMANDS)
def test_json_file_writes_the_file_and_prints_the_usual_text(command, extra, tmp_path, capsys):
    target = tmp_path / "out.json"
    code, out, err = run(capsys, command, FIXTURE, *extra, "--json", target)
    as_file = json.loads(target.read_text(encoding="utf-8"))
    assert out.strip() and not out.lstrip().startswith(("{", "["))  # the text a reader reads, not JSON
    assert "deprecated" not in err
    code, out, err = run(capsys, command, FIXTURE, *extra, "--json", "-")
    assert json.loads(out) == as_file  # the same JSON either way


@pytest.mark.parametrize("command", ["decide", "why-not"])
def test_bare_json_still_prints_json_and_says_it_is_deprecated(command, capsys):
    extra = dict(JSON_COMMANDS)[command]
    code, out, err = run(capsys, command, FIXTURE, *extra, "--json")
    assert code == 0
    json.loads(out)
    assert "'--json' without a file is deprecated" in err and "--json -" in err


def test_every_subcommand_has_a_description_an_example_and_help_for_every_argument():
    sub = next(a for a in _parser()._actions if isinstance(a, argparse._SubParsersAction))
    missing = []
    for name, parser in sub.choices.items():
        if not parser.description:
            missing.append(f"{name}: no description")
        if not parser.epilog or f"protocolkit {name}" not in parser.epilog:
            missing.append(f"{name}: no example")
        for action in parser._actions:
            if not isinstance(action, argparse._HelpAction) and not action.help:
                missing.append(f"{name}: {action.dest} has no help")
        assert f"protocolkit {name}" in parser.format_help()
    assert missing == []


def test_no_colour_when_the_output_is_not_a_terminal(capsys):
    code, out, err = run(capsys, "review", protocolkit.example_path("mash"))
    assert "\x1b[" not in out and "\\x1b" not in out
    code, out, err = run(capsys, "test", FIXTURE)
    assert "\x1b[" not in out and "\\x1b" not in out
