"""Workshop mode without a browser: the notebook, its parameters, the offline template, the command."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import nbformat
import pytest

from protocolkit.cli.main import main
from protocolkit.workshop import server


def test_workshop_notebook_is_committed_clean_with_parameters_first():
    notebook = nbformat.read(server.workshop_notebook(), as_version=4)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert "parameters" in code[0].metadata.get("tags", [])
    assert "protocol_path" in code[0].source
    assert all(c.outputs == [] and c.execution_count is None for c in code)
    assert all(c.metadata.get("jupyter", {}).get("source_hidden") for c in code)  # no code on the projector


def test_prepare_injects_the_parameters_and_a_kernel_for_this_python(tmp_path):
    notebook_path = server.prepare(tmp_path, {"protocol_path": "/data/mash", "case": "C01"})
    notebook = nbformat.read(notebook_path, as_version=4)
    tags = [c.metadata.get("tags", []) for c in notebook.cells]
    injected = tags.index(["injected-parameters"])
    assert "parameters" in tags[injected - 1]
    assert "protocol_path = '/data/mash'\ncase = 'C01'" in notebook.cells[injected].source
    spec = json.loads((tmp_path / "jupyter" / "kernels" / "python3" / "kernel.json").read_text())
    assert spec["argv"][0] == sys.executable


def test_the_offline_template_is_on_jupyter_path_and_names_no_outside_address(tmp_path):
    env = server.environment(tmp_path, base={"JUPYTER_PATH": "/elsewhere"})
    paths = env["JUPYTER_PATH"].split(":")
    assert paths[:2] == [str(tmp_path / "jupyter"), str(server.JUPYTER_DIR)] and paths[-1] == "/elsewhere"
    template = server.template_directory()
    assert json.loads((template / "conf.json").read_text()) == {"base_template": "lab"}
    text = (template / "index.html.j2").read_text()
    code = re.sub(r"\{#.*?#\}", "", text, flags=re.S)  # comments may name what was removed
    assert re.findall(r"https?://[^\s\"'<>]+", code) == []
    assert "{%- block html_head_js_mermaidjs -%}" in code  # nbconvert's mermaid CDN import is emptied


def test_voila_command_serves_loopback_only_with_the_template_and_culling(tmp_path):
    command = server.voila_command(tmp_path / "workshop.ipynb", 8123, cull_idle_timeout=300)
    assert "--Voila.ip=127.0.0.1" in command and "--port=8123" in command
    assert f"--template={server.TEMPLATE}" in command and "--no-browser" in command
    assert "--MappingKernelManager.cull_idle_timeout=300" in command


def test_workshop_command_names_a_missing_protocol(tmp_path, capsys):
    assert main(["workshop", str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err
    assert "nowhere" in err and "error" in err.lower()


def test_a_failed_start_leaves_no_working_folder(tmp_path, monkeypatch):
    made: list[str] = []
    real_mkdtemp = server.tempfile.mkdtemp

    def mkdtemp(**options):
        made.append(real_mkdtemp(dir=tmp_path, **options))
        return made[-1]

    monkeypatch.setattr(server.tempfile, "mkdtemp", mkdtemp)
    monkeypatch.setattr(server, "workshop_notebook", lambda: tmp_path / "missing.ipynb")
    with pytest.raises(FileNotFoundError):
        server.start(tmp_path)
    assert len(made) == 1 and not Path(made[0]).exists()
