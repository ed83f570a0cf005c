"""The agreement documents: identical bytes on every run, refusal of protocols with errors,
warnings in the front matter, self-contained HTML, per-partner cards, the export command."""

from __future__ import annotations

import re
import shutil
import zipfile

import pytest

import protocolkit
from protocolkit.cli.main import main
from protocolkit.errors import ProtocolValidationError
from protocolkit.export.documents.docx import write_docx
from protocolkit.export.documents.html import write_html
from protocolkit.export.documents.markdown import write_markdown

from documents_support import SMALL, TODAY

WRITERS = (write_markdown, write_html, write_docx)


@pytest.fixture(scope="module")
def small():
    return protocolkit.load(SMALL)


@pytest.mark.parametrize("writer", WRITERS, ids=lambda w: w.__name__)
def test_two_runs_give_identical_bytes(writer, small, tmp_path):
    from protocolkit.export.documents import images, render

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = writer(small, tmp_path / "a", today=TODAY)
    render._CONTEXT.clear()   # the second run gathers everything and draws every diagram again
    images._CACHE.clear()
    second = writer(small, tmp_path / "b", today=TODAY)
    assert [p.name for p in first] == [p.name for p in second]
    for a, b in zip(first, second):
        assert a.read_bytes() == b.read_bytes(), f"{a.name} differs between two runs"


def test_docx_has_fixed_timestamps_and_properties(small, tmp_path):
    (path,) = write_docx(small, tmp_path, today=TODAY, diagrams=False)
    with zipfile.ZipFile(path) as z:
        assert {info.date_time for info in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        core = z.read("docProps/core.xml").decode()
    from protocolkit.export.canonical import stamp as stamp_of

    assert stamp_of(small).sha256 in core
    assert "2000-01-01T00:00:00Z" in core


def test_every_document_carries_the_stamp(small, tmp_path):
    from protocolkit.export.canonical import stamp as stamp_of

    sha = stamp_of(small).sha256
    md = write_markdown(small, tmp_path, today=TODAY, diagrams=False)[0].read_text()
    html = write_html(small, tmp_path, today=TODAY, diagrams=False)[0].read_text()
    with zipfile.ZipFile(write_docx(small, tmp_path, today=TODAY, diagrams=False)[0]) as z:
        body = z.read("word/document.xml").decode() + z.read("word/footer1.xml").decode()
    for text in (md, html, body):
        assert sha in text and "version 0.3" in text and "draft" in text.lower()


def test_html_is_self_contained_with_inlined_diagrams(small, tmp_path):
    (path,) = write_html(small, tmp_path, today=TODAY)
    html = path.read_text()
    assert html.count('src="data:image/png;base64,') == 8          # 7 stages and the lanes view
    assert not re.search(r'(src|href)="(?!data:|#)', html), "the page must fetch nothing"
    assert "@media print" in html and "size: A4" in html


def test_a_protocol_with_legal_errors_is_not_exported(tmp_path):
    folder = tmp_path / "p"
    shutil.copytree(SMALL, folder)
    text = (folder / "protocol.yaml").read_text()
    # R3 now lets special category data (ethnicity) go without an Art 9 condition: a draft may be tested, not signed
    (folder / "protocol.yaml").write_text(text.replace("[identity.name, identity.date_of_birth, education.attendance]",
                                                       "[identity.name, identity.ethnicity]"))
    protocol = protocolkit.load(folder)      # a draft with a legal-sense error still loads
    with pytest.raises(ProtocolValidationError) as caught:
        write_html(protocol, tmp_path, today=TODAY, diagrams=False)
    assert [f.code for f in caught.value.findings] == ["PK201"]
    assert not list(tmp_path.glob("*.html"))
    assert main(["export", str(folder), "--format", "md", "--out", str(tmp_path / "out")]) == 1
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


def test_warnings_are_listed_in_the_front_matter(tmp_path):
    folder = tmp_path / "p"
    shutil.copytree(SMALL, folder)
    text = (folder / "protocol.yaml").read_text()
    (folder / "protocol.yaml").write_text(text.replace("review_date: 2099-01-01", "review_date: 2020-01-01"))
    protocol = protocolkit.load(folder)
    md = write_markdown(protocol, tmp_path, today=TODAY, diagrams=False)[0].read_text()
    front = md[: md.index("**Contents**")]
    assert "Points to resolve before signature" in front
    assert "PK205" in front and "review date" in front.lower()


def test_cards_one_page_per_partner_and_alone(small, tmp_path, capsys):
    assert main(["export", str(SMALL), "--format", "cards", "--out", str(tmp_path), "--today", "2026-11-27"]) == 0
    names = sorted(p.name for p in tmp_path.glob("*.html"))
    assert names == sorted(f"agreement_small-card-{p.id}.html" for p in small.partners)
    school = (tmp_path / "agreement_small-card-school.html").read_text()
    assert "What I may share, with whom, at which stage" in school and "Testshire Primary" in school
    assert "R3" in school
    out = capsys.readouterr().out
    assert "quick-reference card" in out and "4 files written" in out
    alone = tmp_path / "alone"
    assert main(["export", str(SMALL), "--format", "cards", "--partner", "police", "--out", str(alone)]) == 0
    assert [p.name for p in alone.iterdir()] == ["agreement_small-card-police.html"]
    assert main(["export", str(SMALL), "--format", "cards", "--partner", "polise", "--out", str(alone)]) == 2
    assert "did you mean police" in capsys.readouterr().err


def test_export_command_all_formats(tmp_path, capsys):
    assert main(["export", str(SMALL), "--format", "all", "--out", str(tmp_path), "--today", "2026-11-27"]) == 0
    out = capsys.readouterr().out
    for suffix in (".docx", ".html", ".md", ".json"):
        assert list(tmp_path.glob(f"*{suffix}")), suffix
        assert suffix in out
    assert "The agreement as a Word document" in out


def test_a_protocols_own_templates_override_the_shipped_ones(tmp_path):
    from protocolkit.errors import ProtocolError

    folder = tmp_path / "p"
    shutil.copytree(SMALL, folder)
    (folder / "templates").mkdir()
    (folder / "templates" / "agreement.css").write_text("body { color: rebeccapurple; }\n")
    (folder / "templates" / "agreement.j2").write_text(
        '{{ h(1, "Our own agreement") }}\n{{ p("Agreed by " ~ (signatories | length) ~ " signatories.") }}\n')
    protocol = protocolkit.load(folder)
    md = write_markdown(protocol, tmp_path, today=TODAY, diagrams=False)[0].read_text()
    assert "# Our own agreement" in md and "Agreed by 2 signatories." in md and "Purpose and benefits" not in md
    html = write_html(protocol, tmp_path, today=TODAY, diagrams=False)[0].read_text()
    assert "rebeccapurple" in html and "Our own agreement" in html
    (folder / "templates" / "agreement.j2").write_text('{{ h(1, "Ours") }}\nstray text\n')
    from protocolkit.export.documents import render

    render._CONTEXT.clear()
    with pytest.raises(ProtocolError, match="agreement.j2 printed text outside a block on output line 3: .stray text"):
        write_markdown(protocolkit.load(folder), tmp_path, today=TODAY, diagrams=False)


def test_shipped_templates_are_found_from_the_package():
    from protocolkit.export.documents.templates import shipped_template_dir

    folder = shipped_template_dir()
    assert {"agreement.j2", "card.j2", "agreement.html.j2", "agreement.css", "golden_rules.yaml"} <= {
        p.name for p in folder.iterdir()}
