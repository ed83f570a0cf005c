"""Page breaks and page margins in the Word file: a new page never leaves an empty one behind, and the
quick-reference cards (each one A4 page) have narrower margins than the rest of the agreement."""

from __future__ import annotations

import io

import docx
import pytest

import protocolkit
from documents_support import SMALL, TODAY
from protocolkit.export.documents.docx import render_docx
from protocolkit.export.documents.render import agreement_blocks

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


@pytest.fixture(scope="module")
def context():
    return agreement_blocks(protocolkit.load(SMALL), today=TODAY)[1]


def _cm(length) -> float:
    return round(length.cm, 2)


def _document(blocks, context) -> docx.Document:
    return docx.Document(io.BytesIO(render_docx(blocks, context, {})))


def _body(document) -> list:
    return [el for el in document.element.body if el.tag in (f"{W}p", f"{W}tbl")]


def _breaks(element) -> int:
    return sum(1 for br in element.iter(f"{W}br") if br.get(f"{W}type") == "page")


def _table(rows):
    return {"t": "table", "header": ["A", "B"], "rows": rows, "widths": [1, 1], "style": ""}


def test_a_heading_after_a_break_starts_the_page_itself_and_the_space_under_a_table_goes(context):
    doc = _document([{"t": "h", "text": "One", "level": 1}, _table([["a", "b"]]), {"t": "pagebreak"},
                     {"t": "h", "text": "Two", "level": 1}], context)
    body = _body(doc)
    # heading, table, heading: no empty paragraph holding a page break, none under the table
    assert [el.tag.removeprefix(W) for el in body] == ["p", "tbl", "p"]
    assert sum(_breaks(el) for el in body) == 0
    two = doc.paragraphs[-1]
    assert two.text == "Two" and two.paragraph_format.page_break_before is True
    assert doc.paragraphs[0].paragraph_format.page_break_before is None


def test_a_break_before_a_table_is_a_paragraph_of_its_own(context):
    doc = _document([{"t": "p", "runs": [["Before", ""]], "style": ""}, {"t": "pagebreak"}, _table([["a", "b"]])],
                    context)
    body = _body(doc)
    assert [el.tag.removeprefix(W) for el in body][:3] == ["p", "p", "tbl"]
    assert _breaks(body[1]) == 1


def test_a_break_at_the_end_or_before_a_new_section_adds_no_page(context):
    doc = _document([{"t": "p", "runs": [["Text", ""]], "style": ""}, {"t": "pagebreak"},
                     {"t": "orientation", "landscape": True}, {"t": "p", "runs": [["Wide", ""]], "style": ""},
                     {"t": "pagebreak"}], context)
    assert sum(_breaks(el) for el in _body(doc)) == 0
    assert all(p.paragraph_format.page_break_before is None for p in doc.paragraphs)
    assert len(doc.sections) == 2


def test_a_part_with_its_own_margins_and_the_return_to_the_documents(context):
    doc = _document([{"t": "p", "runs": [["Agreement", ""]], "style": ""},
                     {"t": "orientation", "landscape": False, "margin": 1.5},
                     {"t": "p", "runs": [["Card", ""]], "style": "card"},
                     {"t": "orientation", "landscape": False},
                     {"t": "p", "runs": [["Annex B", ""]], "style": ""}], context)
    margins = [(_cm(s.left_margin), _cm(s.right_margin), _cm(s.top_margin), _cm(s.bottom_margin)) for s in doc.sections]
    assert margins == [(2.0,) * 4, (1.5,) * 4, (2.0,) * 4]


def test_the_agreement_prints_its_cards_with_narrower_margins_and_no_empty_page_between_them():
    protocol = protocolkit.load(SMALL)
    blocks, context = agreement_blocks(protocol, today=TODAY)
    doc = _document(blocks, context)
    cards = [s for s in doc.sections if _cm(s.left_margin) == 1.5]
    assert len(cards) == 1 and _cm(cards[0].top_margin) == 1.5
    assert _cm(doc.sections[-1].left_margin) == 2.0   # Annex B onwards: the agreement's own margins again
    # every card after the first starts its own page from its heading: no page break paragraphs between them
    names = [p for p in doc.paragraphs if p.style.name == "Heading 2" and p.paragraph_format.page_break_before]
    assert len(names) == len(protocol.partners) - 1
    assert not [p for p in doc.paragraphs if not p.text and _breaks(p._p) and
                p._p.getnext() is not None and p._p.getnext().tag == f"{W}sectPr"]
