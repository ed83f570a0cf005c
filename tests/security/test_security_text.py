"""Hostile text in a protocol is refused where it has no place and harmless wherever it is shown."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import protocolkit
from protocolkit.cli.terminal import printable
from protocolkit.diagrams import write
from protocolkit.model.loading import load_with_findings

from helpers import run_cli, small_copy

HOSTILE = "Police\x1b]0;pwned\x07\x1b[2J\x9b31m\u202eevil\x7f"


def replace_in(folder: Path, old: str, new: str, name: str = "protocol.yaml") -> None:
    path = folder / name
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def yaml_string(text: str) -> str:
    return json.dumps(text)  # a JSON string is a YAML double-quoted string


def errors_of(folder: Path) -> list:
    return [f for f in load_with_findings(folder)[1] if f.severity == "error"]


def assert_no_raw_controls(text: str) -> None:
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", text), repr(text)


# -- validation --------------------------------------------------------------------------------

@pytest.mark.parametrize("bad", ["R1\n", "R1\r\n", "R1 "])
def test_ids_must_match_whole(tmp_path, bad):
    folder = small_copy(tmp_path)
    replace_in(folder, "- id: R2\n", f"- id: {yaml_string(bad)}\n")
    errors = errors_of(folder)
    assert len(errors) == 1 and "rule id" in errors[0].message


def test_partner_id_with_trailing_newline_is_refused(tmp_path):
    folder = small_copy(tmp_path)
    replace_in(folder, "- id: school\n", '- id: "school\\n"\n')
    assert any("not a valid id" in f.message for f in errors_of(folder))


@pytest.mark.parametrize("bad", ["\x1b[2J", "\x07", "\x9b", "\x00", "\n", "\t", "\u202e", "\u2066"])
def test_control_characters_in_names_are_refused_where_they_are(tmp_path, bad):
    folder = small_copy(tmp_path)
    replace_in(folder, "    name: Testshire Police\n", f"    name: {yaml_string('Testshire' + bad + 'Police')}\n")
    (error,) = errors_of(folder)
    lines = (folder / "protocol.yaml").read_text().splitlines()
    assert error.line == next(i + 1 for i, line in enumerate(lines) if "Testshire" in line and "name:" in line)
    assert error.key == "partners[police].name"
    assert "control character" in error.message or "direction" in error.message
    assert_no_raw_controls(error.format())


def test_newline_and_tab_are_allowed_in_free_text_but_not_other_controls(tmp_path):
    folder = small_copy(tmp_path)
    replace_in(folder, "    rationale: Too much, too early.\n", '    rationale: "Too much,\\n\\ttoo early."\n')
    assert errors_of(folder) == []
    assert protocolkit.load(folder).rule("R2").rationale == "Too much,\n\ttoo early."
    replace_in(folder, '"Too much,', '"Too \\e[2J much,')
    (error,) = errors_of(folder)
    assert error.key == "rules[R2].rationale" and "control character" in error.message


# -- the terminal ------------------------------------------------------------------------------

def test_printable_escapes_controls_and_keeps_newlines_and_tabs():
    assert printable("a\x1b[2Jb\tc\nd\re\x9bf\u202eg\x7f") == "a\\x1b[2Jb\tc\nd\\x0de\\x9bf\\u202eg\\x7f"
    assert printable("Northbridge MASH – café") == "Northbridge MASH – café"


def test_validate_prints_a_hostile_key_escaped(tmp_path):
    folder = small_copy(tmp_path)
    replace_in(folder, "    name: Testshire Police\n", f"    name: Testshire Police\n    {yaml_string(HOSTILE)}: 1\n")
    code, out, err = run_cli("validate", folder)
    assert code == 1 and "\\x1b]0;pwned" in out
    assert_no_raw_controls(out + err)


def test_summary_of_a_hostile_name_never_reaches_the_terminal_raw(tmp_path):
    folder = small_copy(tmp_path)
    replace_in(folder, "    name: Testshire Police\n", f"    name: {yaml_string(HOSTILE)}\n")
    for command in (["summary", folder], ["review", folder],
                    ["decide", folder, "--from", "police", "--to", "csc", "--data", "criminal.intelligence",
                     "--stage", "screening", "--purpose", "safeguarding"]):
        code, out, err = run_cli(*command)
        assert code == 1, (command, out, err)  # an error in the protocol: 1, for every command
        assert_no_raw_controls(out + err)


def test_command_line_values_are_printed_escaped(tmp_path):
    folder = small_copy(tmp_path)
    code, out, err = run_cli("decide", folder, "--from", HOSTILE, "--to", "csc", "--data", "criminal.intelligence",
                             "--stage", "screening", "--purpose", "safeguarding")
    assert code == 2
    assert_no_raw_controls(out + err)


# -- writers -----------------------------------------------------------------------------------

def hostile_protocol(tmp_path: Path, name: str = HOSTILE):
    """A loaded protocol whose partner name was changed without validation (as a careless caller might)."""
    protocol = protocolkit.load(small_copy(tmp_path))
    protocol.partners[0].__dict__["name"] = name
    protocol.partners[1].__dict__["name"] = "Children\x00's \x01care \\N \\G \\E $5 and $10"
    return protocol


@pytest.mark.parametrize("suffix", [".graphml", ".gexf"])
def test_graph_files_are_well_formed_xml_whatever_the_names(tmp_path, suffix):
    out = write(hostile_protocol(tmp_path), tmp_path / f"g{suffix}")
    root = ET.fromstring(out.read_bytes())
    text = "".join(root.itertext()) + "".join(v for e in root.iter() for v in e.attrib.values())
    assert "pwned" in text
    assert_no_raw_controls(text)


@pytest.mark.parametrize("view", ["lanes", "heatmap"])
def test_matplotlib_views_are_well_formed_and_read_dollars_literally(tmp_path, view):
    protocol = hostile_protocol(tmp_path, name="Pays $5 and $10 \\frac{ $x^{$")
    out = write(protocol, tmp_path / f"{view}.svg", view=view)
    ET.fromstring(out.read_bytes())
    png = write(protocol, tmp_path / f"{view}.png", view=view)
    assert png.read_bytes().startswith(b"\x89PNG")


def test_matplotlib_views_of_control_characters_are_well_formed(tmp_path):
    out = write(hostile_protocol(tmp_path), tmp_path / "lanes.svg", view="lanes")
    ET.fromstring(out.read_bytes())


@pytest.mark.parametrize("engine", ["graphviz", "matplotlib"])
def test_dataflow_svg_shows_backslash_escapes_literally(tmp_path, engine):
    protocol = hostile_protocol(tmp_path, name="Police \\N \\G \\E \\L \\T \\H")
    out = write(protocol, tmp_path / "flows.svg", engine=engine)
    root = ET.fromstring(out.read_bytes())
    if engine == "graphviz":
        text = " ".join(root.itertext())
        assert "\\N" in text and "\\G" in text
        assert "Police police" not in text  # \N would become the node's name


def test_dot_file_keeps_backslashes_literal_for_graphviz(tmp_path):
    out = write(hostile_protocol(tmp_path, name="Police \\N"), tmp_path / "flows.dot")
    text = out.read_text()
    assert "Police \\\\N" in text
    assert_no_raw_controls(text.replace("\n", ""))


# -- never writing over an input -----------------------------------------------------------------

@pytest.mark.parametrize("command", [
    ["review", "{folder}", "--json", "{folder}/protocol.yaml"],
    ["prove", "{folder}", "--json", "{folder}/protocol.yaml"],
    ["test", "{folder}", "--json", "{folder}/protocol.yaml"],
    ["test", "{folder}", "--junit", "{folder}/protocol.yaml"],
    ["schema", "--out", "{folder}/protocol.yaml"],
])
def test_outputs_never_overwrite_an_input(tmp_path, command):
    folder = small_copy(tmp_path)
    before = (folder / "protocol.yaml").read_bytes()
    code, out, err = run_cli(*[c.format(folder=folder) for c in command])
    assert code == 2 and "protocol.yaml" in err and "input" in err, (out, err)
    assert (folder / "protocol.yaml").read_bytes() == before


def test_output_through_a_symlink_to_an_input_is_refused(tmp_path):
    folder = small_copy(tmp_path)
    (tmp_path / "report.json").symlink_to(folder / "protocol.yaml")
    before = (folder / "protocol.yaml").read_bytes()
    code, out, err = run_cli("review", folder, "--json", tmp_path / "report.json")
    assert code == 2 and (folder / "protocol.yaml").read_bytes() == before


def test_a_repeated_fact_is_an_error(tmp_path):
    folder = small_copy(tmp_path)
    code, out, err = run_cli("decide", folder, "--from", "police", "--to", "csc", "--data", "criminal.intelligence",
                             "--stage", "screening", "--purpose", "safeguarding", "--fact", "risk=red",
                             "--fact", "risk=green")
    assert code == 2 and "risk" in err and "twice" in err
