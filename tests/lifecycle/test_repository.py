"""protocolkit init: a new repository works at once, and nothing is overwritten."""

from __future__ import annotations

import pytest

import protocolkit
from protocolkit.cli.main import main
from protocolkit.errors import ProtocolError
from protocolkit.lifecycle.repository import init_repository


def test_the_blank_template_validates_tests_and_teaches(tmp_path, capsys):
    folder = tmp_path / "eastshire-mash"
    assert main(["init", str(folder), "--title", "Eastshire MASH protocol"]) == 0
    assert "Started a protocol repository" in capsys.readouterr().out
    protocol = protocolkit.load(folder)
    assert protocol.metadata.title == "Eastshire MASH protocol"
    assert protocol.metadata.id == "eastshire_mash"
    assert protocol.metadata.status == "draft"
    assert main(["validate", str(folder)]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1].startswith("0 errors")
    assert main(["test", str(folder)]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == "2 passed, 0 failed"
    text = (folder / "protocol.yaml").read_text(encoding="utf-8")
    assert text.count("\n#") > 20, "the blank protocol teaches the format in comments"
    for needed in ("README.md", ".gitignore", ".github/workflows/protocol.yml", ".gitlab-ci.yml", "cases"):
        assert (folder / needed).exists(), needed
    assert any((folder / "notebooks").glob("*.ipynb"))


def test_the_blank_protocol_has_no_errors(tmp_path):
    folder = tmp_path / "p"
    init_repository(folder, "blank")
    _, findings = protocolkit.model.loading.load_with_findings(folder)
    assert [f.format() for f in findings if f.severity.value == "error"] == []


@pytest.mark.parametrize("template, example", [("mash", "mash"), ("supporting-families", "supporting_families")])
def test_an_example_template_copies_the_example(tmp_path, template, example):
    folder = tmp_path / "p"
    init_repository(folder, template)
    assert protocolkit.load(folder).metadata.id == protocolkit.load(protocolkit.example_path(example)).metadata.id
    assert len(protocolkit.load_cases(folder)) == len(protocolkit.load_cases(protocolkit.example_path(example)))
    readme = (folder / "README.md").read_text(encoding="utf-8")
    assert protocolkit.load(folder).metadata.title in readme


def test_init_refuses_a_folder_that_is_not_empty(tmp_path, capsys):
    (tmp_path / "keep.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(ProtocolError, match="not empty"):
        init_repository(tmp_path, "blank")
    assert main(["init", str(tmp_path)]) == 2
    assert "not empty" in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


def test_an_unknown_template_is_a_usage_error(tmp_path):
    with pytest.raises(SystemExit) as exc:
        main(["init", str(tmp_path / "x"), "--template", "mashh"])
    assert exc.value.code == 2


@pytest.mark.parametrize("template", ["mash", "supporting-families"])
def test_an_example_template_validates_and_passes_its_own_cases(tmp_path, capsys, template):
    folder = tmp_path / "p"
    assert main(["init", str(folder), "--template", template]) == 0
    capsys.readouterr()
    assert main(["validate", str(folder)]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1].startswith("0 errors")
    assert main(["test", str(folder)]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1].endswith(" 0 failed")
