"""Hostile text renders harmlessly in every document format.

A fixture protocol whose names, titles, statements, rationales and cases hold quotes,
newlines, HTML and Markdown syntax, template syntax, right-to-left and zero-width marks
and a 10,000-character name is exported as Markdown, HTML, Word and cards; each must
show the text as text, never as markup.
"""

from __future__ import annotations

import json
import re
import shutil
import zipfile
from html.parser import HTMLParser

import pytest

import protocolkit
from protocolkit.export.documents.cards import write_cards
from protocolkit.export.documents.docx import write_docx
from protocolkit.export.documents.html import write_html
from protocolkit.export.documents.markdown import write_markdown

from documents_support import SMALL, TODAY

SCRIPT = '<script>alert("x")</script><img src=x onerror=alert(1)>'
MARKDOWN = "# Heading | pipe | *bold* [link](http://evil.example) `code` ![img](http://evil.example/x.png)"
TEMPLATE = "{{ cover.title }} {% raw %}"
# Bidirectional overrides and isolates are refused by the model (PK101); right-to-left script and marks are not.
RTL = "\u05e9\u05dc\u05d5\u05dd (\u0645\u0631\u062d\u0628\u0627)\u200f 123"
ZERO_WIDTH = "zero\u200bwidth\u200djoiner\ufeff"
LONG = "Partner" + "x" * 9993   # 10,000 characters
QUOTES = "O'Brien \"quoted\" \\ backslash & ampersand --> <!--"


def hostile(text: str, one_line: bool = True) -> str:
    """Hostile text; names and titles hold one line (the model refuses line breaks there), free text may not."""
    newline = " " if one_line else "\nsecond line\n\t"
    return f"{text} {SCRIPT} {MARKDOWN}{newline}{TEMPLATE} {RTL} {ZERO_WIDTH} {QUOTES}"


@pytest.fixture(scope="module")
def protocol(tmp_path_factory):
    from ruamel.yaml import YAML

    folder = tmp_path_factory.mktemp("hostile")
    shutil.copytree(SMALL, folder, dirs_exist_ok=True)
    yaml = YAML()
    data = yaml.load((folder / "protocol.yaml").read_text())
    data["metadata"]["title"] = hostile("Title")
    data["metadata"]["summary"] = hostile("Summary", one_line=False)
    data["metadata"]["signatories"][0]["name"] = hostile("Signatory")
    data["partners"][0]["name"] = LONG
    data["partners"][1]["name"] = hostile("Council")
    data["partners"][3]["description"] = hostile("Description", one_line=False)
    for rule in data["rules"]:
        rule["title"] = hostile(rule["title"])
        rule["rationale"] = hostile("Rationale", one_line=False)
    data["rules"][4]["escalate_to"] = hostile("Manager")
    data["security"][0]["text"] = hostile("Security", one_line=False)
    data["retention"][0]["period"] = hostile("Period")
    data["guarantees"][0]["statement"] = hostile("Promise")
    data["need_to_know"][0]["rationale"] = hostile("Need", one_line=False)
    (folder / "protocol.yaml").write_text(json.dumps(data, ensure_ascii=True, default=str, indent=1))
    case = yaml.load((folder / "cases" / "01_challenging.yaml").read_text())
    case["title"] = hostile("Case")
    case["description"] = hostile("Case description", one_line=False)
    case["steps"][0]["requests"][0]["note"] = hostile("Note", one_line=False)
    (folder / "cases" / "01_challenging.yaml").write_text(json.dumps(case, ensure_ascii=True, indent=1))
    return protocolkit.load(folder)


class _Elements(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.attributes = set(), []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attributes += [name for name, _ in attrs]


ALLOWED_TAGS = {"html", "head", "meta", "title", "style", "body", "main", "h1", "h2", "h3", "p", "strong", "em",
                "bdi", "code", "aside", "ul", "li", "table", "colgroup", "col", "thead", "tbody", "tr", "th", "td",
                "figure", "figcaption", "img", "nav", "ol", "a", "div", "footer"}


def _check_html(text: str) -> None:
    parser = _Elements()
    parser.feed(text)
    assert parser.tags <= ALLOWED_TAGS, parser.tags - ALLOWED_TAGS
    assert not any(a.startswith("on") for a in parser.attributes), "an event handler attribute got through"
    assert "<script" not in text and "&lt;script&gt;" in text
    assert RTL in text and "<bdi>" in text     # right-to-left text kept, and isolated from its neighbours
    assert LONG in text


def test_html_shows_hostile_text_as_text(protocol, tmp_path):
    (path,) = write_html(protocol, tmp_path, today=TODAY, diagrams=False)
    text = path.read_text(encoding="utf-8")
    _check_html(text)
    assert "{{ cover.title }}" in text.replace("&#39;", "'"), "template syntax in data is printed, not run"
    assert "http://evil.example" not in re.findall(r'(?:src|href)="([^"]*)"', text)


def test_cards_show_hostile_text_as_text(protocol, tmp_path):
    for path in write_cards(protocol, tmp_path, today=TODAY):
        text = path.read_text(encoding="utf-8")
        parser = _Elements()
        parser.feed(text)
        assert parser.tags <= ALLOWED_TAGS and "<script" not in text


def _tokens(tokens):
    for token in tokens:
        yield token
        yield from _tokens(token.children or [])


def test_markdown_shows_hostile_text_as_text(protocol, tmp_path):
    from markdown_it import MarkdownIt   # CommonMark with tables, as GitHub reads it (markdown-it-py comes with rich)

    (path,) = write_markdown(protocol, tmp_path, today=TODAY, diagrams=False)
    text = path.read_text(encoding="utf-8")
    assert RTL in text and LONG in text
    tokens = list(_tokens(MarkdownIt("commonmark").enable("table").parse(text)))
    raw_html = {t.content.strip() for t in tokens if t.type in ("html_inline", "html_block")}
    assert all(re.fullmatch(r'(<a id="[a-z0-9_-]+">)?(</a>)?|<!-- protocol [^>]*-->', h) for h in raw_html), raw_html
    links = [t.attrs.get("href") for t in tokens if t.type == "link_open"]
    assert all(href.startswith("#") for href in links), "hostile text became a link"
    assert not [t for t in tokens if t.type == "image"], "hostile text became an image"
    headings = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open"]
    assert not [h for h in headings if "Heading |" in h and not h.startswith("Title")], headings
    # every table row keeps its cells: hostile pipes and newlines do not split or end a row
    rows = [t for t in tokens if t.type == "tr_open"]
    assert rows
    for table_open in (i for i, t in enumerate(tokens) if t.type == "table_open"):
        widths, depth = [], 0
        for t in tokens[table_open:]:
            if t.type == "tr_open":
                widths.append(0)
            elif t.type in ("th_open", "td_open"):
                widths[-1] += 1
            elif t.type == "table_close":
                break
        assert len(set(widths)) == 1, widths
    assert "<script" in "".join(t.content for t in tokens if t.type == "text"), "the text is still shown"


def test_docx_holds_hostile_text_as_text(protocol, tmp_path):
    import docx

    (path,) = write_docx(protocol, tmp_path, today=TODAY, diagrams=False)
    document = docx.Document(str(path))
    text = "\n".join(p.text for p in document.paragraphs)
    cells = "\n".join(c.text for t in document.tables for row in t.rows for c in row.cells)
    assert LONG in cells
    assert SCRIPT in text + cells                   # shown as text
    assert RTL in text + cells
    with zipfile.ZipFile(path) as z:
        xml = z.read("word/document.xml").decode("utf-8")
    assert "<script" not in xml and "&lt;script&gt;" in xml
