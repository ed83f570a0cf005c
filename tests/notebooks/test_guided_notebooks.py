"""The guided notebooks: committed clean, parameterised, and run headless by papermill on both shipped protocols."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import nbformat
import pytest

import protocolkit
from protocolkit.cli.main import main
from protocolkit.cli.notebooks import GUIDED, notebooks_folder, run_notebooks

PROTOCOLS = ("mash", "supporting_families")
# What each notebook must show once run, whatever the protocol (read from its executed outputs).
SHOWS = {
    "01_model_partners": ["Role under UK GDPR", "Checks (the same as protocolkit validate)"],
    "02_draft_rules": ["rules;", "guarantees hold over every possible request"],
    "03_test_cases": ["Every expectation holds.", "Who knows what about this family now"],
    "04_review": ["findings in all", "Who may receive what, stage by stage", "Decisions recorded"],
    "05_export_agreement": ["Wrote ", "agreement"],
}


def _outputs_text(notebook: Path) -> str:
    nb = nbformat.read(notebook, as_version=4)
    parts = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            assert output.get("output_type") != "error", output
            parts += [str(v) for v in output.get("data", {}).values()] + [output.get("text", "")]
    return "\n".join(parts)


@pytest.mark.parametrize("name", GUIDED)
def test_committed_without_outputs_and_with_literal_parameters(name):
    nb = nbformat.read(notebooks_folder() / f"{name}.ipynb", as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code)
    first = code[0]
    assert first.metadata.get("tags") == ["parameters"]
    for statement in ast.parse(first.source).body:  # literal defaults only
        assert isinstance(statement, ast.Assign)
        ast.literal_eval(statement.value)
    names = {t.id for s in ast.parse(first.source).body for t in s.targets}
    assert {"protocol_path", "output_dir"} <= names
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")
    for cell in code[1:]:  # cells call the package: imports, a session, one call; no business logic
        tree = ast.parse(cell.source)
        assert not any(isinstance(n, (ast.For, ast.While, ast.If, ast.FunctionDef, ast.ClassDef, ast.Lambda))
                       for n in ast.walk(tree)), cell.source
        assert len(cell.source.splitlines()) <= 4, cell.source


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("name", GUIDED)
def test_runs_headless_on_both_protocols(name, protocol, tmp_path):
    path = protocolkit.example_path(protocol)
    written = run_notebooks(path, tmp_path, only=[name], formats=["json", "html"])
    executed = tmp_path / f"{name}.ipynb"
    assert executed in written and executed.with_suffix(".html") in written
    text = _outputs_text(executed)
    title = protocolkit.load(path).metadata.title
    for expected in SHOWS[name]:
        assert expected in text, (expected, name, protocol)
    if name == "01_model_partners":
        assert title in text
    if name == "05_export_agreement":
        metadata_id = protocolkit.load(path).metadata.id
        assert json.loads((tmp_path / "files" / f"{metadata_id}.json").read_text())
        assert any(p.suffix == ".html" for p in (tmp_path / "files").iterdir())
    html = executed.with_suffix(".html").read_text()
    assert 'src="http' not in html and 'href="http' not in html.replace('href="https://jupyter', '')


def test_the_command_writes_an_evidence_pack(tmp_path, capsys):
    code = main(["notebooks", str(protocolkit.example_path("supporting_families")), "--out", str(tmp_path),
                 "--only", "03"])
    assert code == 0
    out = capsys.readouterr().out
    assert "03_test_cases.html" in out and "evidence pack" in out
    assert "Eastmoor" in (tmp_path / "03_test_cases.html").read_text()


def test_lab_prepares_parameterised_notebooks_without_running_them(tmp_path, capsys):
    protocol = protocolkit.example_path("supporting_families")
    code = main(["lab", str(protocol), "--dir", str(tmp_path), "--prepare-only"])
    assert code == 0
    out = capsys.readouterr().out
    assert "jupyterlab" in out and "01_model_partners" in out
    for name in GUIDED:
        nb = nbformat.read(tmp_path / f"{name}.ipynb", as_version=4)
        injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
        assert injected and str(protocol.resolve()) in injected[0].source
        assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")
    mine = tmp_path / "01_model_partners.ipynb"
    mine.write_text(mine.read_text().replace("Partners and data", "My notes"))
    main(["lab", str(protocol), "--dir", str(tmp_path), "--prepare-only"])
    assert "My notes" in mine.read_text()  # someone's work is kept unless --fresh


def test_an_unknown_notebook_is_refused_with_the_names(tmp_path, capsys):
    assert main(["notebooks", str(protocolkit.example_path("mash")), "--out", str(tmp_path), "--only", "07"]) == 2
    assert "01_model_partners" in capsys.readouterr().err


def test_a_new_repository_notebooks_open_its_own_protocol(tmp_path):
    from protocolkit.lifecycle.repository import init_repository

    folder = tmp_path / "repo"
    init_repository(folder, "supporting-families")
    for name in GUIDED:
        nb = nbformat.read(folder / "notebooks" / f"{name}.ipynb", as_version=4)
        params = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
        assert 'protocol_path = ".."' in params.source
        assert protocolkit.load((folder / "notebooks" / "..").resolve()).metadata.id == "eastmoor_supporting_families"
