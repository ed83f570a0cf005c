"""Regression tests for command-line paths that used to crash or pass falsely.

Each test names the input a practitioner typed and what the command must answer:
a one-line error with the fix and exit code 2, never a traceback or a false pass.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from protocolkit import example_path
from protocolkit.cli.main import main

MASH = example_path("mash")


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_test_with_a_misspelt_cases_folder_is_an_error_not_a_pass(capsys):
    code, out, err = run(capsys, "test", MASH, "--cases", MASH / "case")
    assert code == 2
    assert "passed" not in out
    assert "does not exist" in err and "case" in err


def test_test_with_an_empty_cases_folder_is_an_error(tmp_path, capsys):
    code, out, err = run(capsys, "test", MASH, "--cases", tmp_path)
    assert code == 2
    assert "holds no case files" in err


@pytest.mark.parametrize("view", ["lanes", "heatmap"])
def test_graph_with_a_misspelt_stage_names_the_stage_and_the_closest_match(tmp_path, capsys, view):
    code, out, err = run(capsys, "graph", MASH, "--view", view, "--stage", "screenig", "--out", tmp_path / "x.png")
    assert code == 2
    assert err.startswith("error: unknown stage 'screenig'")
    assert "'screening'" in err
    assert "Traceback" not in err


def test_graph_into_a_missing_folder_is_one_line_with_the_fix(tmp_path, capsys):
    target = tmp_path / "nodir" / "x.png"
    code, out, err = run(capsys, "graph", MASH, "--stage", "referral", "--out", target)
    assert code == 2
    assert err.count("\n") == 1 and "does not exist" in err and "nodir" in err
    assert not target.parent.exists()


def test_one_faulty_case_file_fails_alone_and_every_other_case_runs(tmp_path, capsys):
    import shutil

    folder = shutil.copytree(MASH, tmp_path / "p")
    first = sorted((folder / "cases").glob("*.yaml"))[0]
    text = first.read_text(encoding="utf-8")
    (folder / "cases" / first.name).write_text(text.replace("from: ", "from: no_such_partner_", 1), encoding="utf-8")
    (folder / "cases" / "zz_not_yaml.yaml").write_text("id: [unclosed\n", encoding="utf-8")
    code, out, err = run(capsys, "test", folder)
    assert code == 1
    assert "2 case file(s) could not run; every other case ran" in out
    assert f"{first.name}:" in out and "zz_not_yaml.yaml:" in out and "no_such_partner_" in out
    others = len(list((folder / "cases").glob("*.yaml"))) - 2
    assert f"{others} cases" in out  # the run summary counts every other case
    assert out.strip().splitlines()[-1].endswith(" failed") and " 2 failed" in out.strip().splitlines()[-1]


@pytest.mark.parametrize("target, expected", [
    ("nowhere", "does not exist: name a protocol folder (the one holding protocol.yaml) or its protocol.yaml"),
    ("examples", "holds protocols, not one protocol: name one of its folders (mash, supporting_families)"),
    ("examples/mash/rules/screening.yaml", "is one of the files the protocol in examples/mash includes: name the "
                                           "protocol folder examples/mash (or its protocol.yaml) instead"),
])
def test_validate_pointed_at_what_is_not_a_protocol_says_what_it_expected(target, expected, capsys, monkeypatch):
    monkeypatch.chdir(Path(__file__).resolve().parents[2])
    code, out, err = run(capsys, "validate", target)
    assert code == 2
    assert err.startswith(f"error: {target} ") and expected in err and err.count("\n") == 1
