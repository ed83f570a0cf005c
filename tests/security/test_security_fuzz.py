"""A standing fuzz target over whole protocol folders.

Each example builds a protocol folder with a random include graph (``..``, absolute paths,
symbolic links in and out of the folder, a device, a FIFO, loops, globs), random control and
bidirectional characters (and ``$``, ``\\N``) in its text fields and a random case folder, then
runs one command with one output format. The only outcomes allowed: exit 0 or 1 with a
result, or exit 2 with a project error; nothing read from outside the folder (a file there
holds a marker that must never appear), nothing written outside the chosen output (and
Python's and matplotlib's caches); every JSON and XML output well-formed; no raw control
character printed. ``PROTOCOLKIT_FUZZ_EXAMPLES`` sets the number of examples (default 12).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from protocolkit.diagrams import FORMATS
from protocolkit.export.formats import format_names

from helpers import CASE, SMALL, FileAudit, rules_file, run_cli

EXAMPLES = int(os.environ.get("PROTOCOLKIT_FUZZ_EXAMPLES", "12"))
MARKER = "outside-marker-5519"
RAW_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")

HOSTILE = st.text(alphabet=st.sampled_from(
    list("abc $\\NGE{}") + ["\x1b", "\x07", "\x00", "\x9b", "\r", "\n", "\t", "\u202e", "\u2066", "\x7f", "é"]),
    min_size=1, max_size=12)

INCLUDES = ["a.yaml", "sub/b.yaml", "../outside/secret.yaml", "{abs}", "link_out.yaml", "link_in.yaml",
            "loop.yaml", "dev.yaml", "fifo.yaml", "*.yaml", "sub/*.yaml", "../*/*.yaml", "sub/../a.yaml",
            "missing.yaml", "sub", "/dev/zero", "~/x.yaml"]
CASE_FILES = ["good", "fifo", "dev", "loop", "out", "yml", "broken"]


def _commands() -> list[tuple[str, ...]]:
    decide = ("--from", "police", "--to", "csc", "--data", "criminal.intelligence", "--stage", "screening",
              "--purpose", "safeguarding", "--fact", "risk=amber")
    commands = [("validate",), ("summary",), ("review", "--json", "{out}/review.json"), ("prove", "--json", "{out}/p.json"),
                ("test", "--json", "{out}/t.json", "--junit", "{out}/t.xml"), ("decide", *decide),
                ("decide", *decide, "--json"), ("why-not", *decide), ("schema", "--out", "{out}/schema.json")]
    for view, suffixes in FORMATS.items():
        commands += [("graph", "--view", view, "--out", f"{{out}}/g{suffix}") for suffix in suffixes]
    commands += [("export", "--format", name, "--out", "{out}/export", "--today", "2025-06-01") for name in format_names()]
    return commands


COMMANDS = _commands()


def _yaml(text: str) -> str:
    return json.dumps(text)


def build(root: Path, names: list[str], includes: list[str], cases: list[str]) -> Path:
    folder = root / "p"
    shutil.copytree(SMALL, folder)
    outside = root / "outside"
    outside.mkdir()
    (outside / "secret.yaml").write_text(rules_file("R_OUT", title=MARKER) + f"# {MARKER}\n", encoding="utf-8")
    text = (folder / "protocol.yaml").read_text(encoding="utf-8")
    for old, new in zip(("    name: Testshire Police\n", "    title: Schools never receive police intelligence at referral\n",
                         "    rationale: Too much, too early.\n"), names):
        key = old.split(":")[0]
        text = text.replace(old, f"{key}: {_yaml(new)}\n", 1)
    if includes:
        text += "include:\n" + "".join(f"  - {_yaml(i.format(abs=outside / 'secret.yaml'))}\n" for i in includes)
    (folder / "protocol.yaml").write_text(text, encoding="utf-8")
    (folder / "a.yaml").write_text(rules_file("RA", title=names[-1] if names else "A"), encoding="utf-8")
    (folder / "sub").mkdir()
    (folder / "sub" / "b.yaml").write_text(rules_file("RB"), encoding="utf-8")
    (folder / "link_out.yaml").symlink_to(outside / "secret.yaml")
    (folder / "link_in.yaml").symlink_to("a.yaml")
    (folder / "loop.yaml").symlink_to("loop.yaml")
    (folder / "dev.yaml").symlink_to("/dev/zero")
    os.mkfifo(folder / "fifo.yaml")
    if cases:
        (folder / "cases").mkdir()
    for i, kind in enumerate(cases):
        path = folder / "cases" / f"c{i}.yaml"
        if kind == "good":
            path.write_text(CASE.format(id=f"c{i}"), encoding="utf-8")
        elif kind == "yml":
            path.with_suffix(".yml").write_text(CASE.format(id=f"c{i}"), encoding="utf-8")
        elif kind == "broken":
            path.write_text(CASE.format(id=f"c{i}").replace("police", _yaml("po\x1blice"), 1), encoding="utf-8")
        elif kind == "fifo":
            os.mkfifo(path)
        elif kind == "dev":
            path.symlink_to("/dev/zero")
        elif kind == "loop":
            path.symlink_to(path.name)
        else:
            path.symlink_to(outside / "secret.yaml")
    return folder


def allowed_write(path: str, roots: list[Path]) -> bool:
    if "__pycache__" in path or "/.cache/" in path or "fontconfig" in path or "matplotlib" in path:
        return True
    real = Path(os.path.realpath(path))
    return any(real == r or r in real.parents for r in roots)


def check_outputs(out: Path) -> None:
    for path in out.rglob("*"):
        if path.suffix in (".json",):
            json.loads(path.read_text(encoding="utf-8"))
        elif path.suffix in (".xml", ".graphml", ".gexf", ".svg", ".html"):
            if path.suffix == ".html":
                continue  # HTML is not XML; the exporter's own tests check it
            ET.fromstring(path.read_bytes())


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(names=st.lists(HOSTILE, min_size=0, max_size=3),
       includes=st.lists(st.sampled_from(INCLUDES), max_size=4),
       cases=st.lists(st.sampled_from(CASE_FILES), max_size=3),
       command=st.sampled_from(COMMANDS))
def test_whole_folders_give_a_result_or_a_located_error(names, includes, cases, command):
    root = Path(tempfile.mkdtemp(prefix="protocolkit-folder-fuzz-"))
    try:
        folder = build(root, names, includes, cases)
        out = root / "out"
        out.mkdir()
        name, *rest = command
        args = [name] + ([] if name == "schema" else [str(folder)]) + [a.format(out=out) for a in rest]
        with FileAudit() as audit:
            code, stdout, stderr = run_cli(*args)
        assert code in (0, 1, 2), (args, code)
        printed = stdout + stderr
        assert "Traceback" not in printed
        assert MARKER not in printed
        assert not RAW_CONTROL.search(printed), repr(printed[:500])
        assert not [p for p in audit.reads if "outside" in p and "secret" in p], audit.reads
        assert not [p for p in audit.reads if p.startswith("/dev/")], audit.reads
        bad_writes = [p for p in audit.writes if not allowed_write(p, [out])]
        assert not bad_writes, bad_writes
        if code == 2:
            assert stderr.strip(), "exit 2 says why"
        check_outputs(out)
        for path in out.rglob("*"):
            if path.is_file() and path.suffix in (".json", ".md", ".rego", ".xml", ".dot", ".graphml", ".gexf"):
                assert MARKER not in path.read_text(encoding="utf-8", errors="replace")
    finally:
        for fifo in list(root.rglob("*")):
            if fifo.is_fifo():
                fifo.unlink()
        shutil.rmtree(root, ignore_errors=True)
