"""The agreement as a Word document (A4) for signature: styled headings, a table of contents field,
real Word tables, the diagrams embedded as PNG, the stamp in every page's footer.

The same protocol gives the same bytes: the document properties are set from the
protocol (never the clock) and the package is re-zipped with fixed timestamps.
python-docx is imported only here.
"""

from __future__ import annotations

import datetime as dt
import io
import struct
import zipfile
from pathlib import Path

from ...model.protocol import Protocol
from .text import clean

ACCENT = (0x1F, 0x4E, 0x79)
FIXED_TIME = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_MARGIN_CM = 2.0
_CARD_MARGIN_CM = 1.5


def _png_size(data: bytes) -> tuple[int, int]:
    width, height = struct.unpack(">II", data[16:24])
    return width, height


class _Writer:
    def __init__(self, context: dict):
        import docx
        from docx.enum.text import WD_ALIGN_PARAGRAPH
        from docx.oxml import OxmlElement
        from docx.oxml.ns import qn
        from docx.shared import Cm, Pt, RGBColor

        from docx.text.run import Run

        from docx.shared import Emu

        self.docx, self.Cm, self.Pt, self.RGB, self.Run, self.Emu = docx, Cm, Pt, RGBColor, Run, Emu
        self.OxmlElement, self.qn, self.ALIGN = OxmlElement, qn, WD_ALIGN_PARAGRAPH
        self.doc = docx.Document()
        self.context = context
        self.break_pending = False   # a page break asked for, made by the next block (see pagebreak)
        self.spacer = None           # the empty paragraph under the last table or note, while it is the last
        # a partner's card printed on its own is one A4 page: narrower margins give its tables the room
        self.margin = _CARD_MARGIN_CM if "card" in context else _MARGIN_CM
        self.usable = 21.0 - 2 * self.margin
        self.max_height = 21.0
        self._page()
        self._styles()
        self._remember_style_ids()

    # -- set-up -------------------------------------------------------------------------------------
    def _page(self) -> None:
        section = self.doc.sections[0]
        section.page_width, section.page_height = self.Cm(21.0), self.Cm(29.7)
        section.left_margin = section.right_margin = self.Cm(self.margin)
        section.top_margin, section.bottom_margin = self.Cm(self.margin), self.Cm(self.margin)
        footer = section.footer.paragraphs[0]
        footer.alignment = self.ALIGN.CENTER
        run = footer.add_run(clean(self.context["stamp"].line()) + "   page ")
        run.font.size = self.Pt(7)
        self._field(footer, "PAGE", "1", size=7)

    def _styles(self) -> None:
        styles = self.doc.styles
        normal = styles["Normal"]
        normal.font.name, normal.font.size = "Liberation Sans", self.Pt(10)
        normal.element.rPr.rFonts.set(self.qn("w:eastAsia"), "Liberation Sans")
        normal.paragraph_format.space_after = self.Pt(4)
        for level, size in ((1, 15), (2, 12.5), (3, 11)):
            style = styles[f"Heading {level}"]
            style.font.name, style.font.size, style.font.bold = "Liberation Sans", self.Pt(size), True
            style.font.color.rgb = self.RGB(*ACCENT)
            style.paragraph_format.space_before = self.Pt(14 if level == 1 else 10)
            style.paragraph_format.keep_with_next = True
        for name, size, bold, italic in (("Title", 24, True, False), ("Subtitle", 13, False, True)):
            style = styles[name]
            style.font.name, style.font.size, style.font.bold, style.font.italic = "Liberation Sans", self.Pt(size), bold, italic
            style.font.color.rgb = self.RGB(*ACCENT)

    def _remember_style_ids(self) -> None:
        """Look each style name up once: python-docx scans every style of the document on each lookup (a
        paragraph's or table's ``style = "..."``), and the styles no longer change once set up."""
        part = self.doc.part
        look_up, known = part.get_style_id, {}

        def get_style_id(style_or_name, style_type):
            if not isinstance(style_or_name, str):
                return look_up(style_or_name, style_type)
            key = (style_or_name, style_type)
            if key not in known:
                known[key] = look_up(style_or_name, style_type)
            return known[key]

        part.get_style_id = get_style_id

    def _run(self, paragraph, text: str):
        """``paragraph.add_run(text)``: the same ``w:r`` and ``w:t``, without python-docx's character-by-character
        reading of the text where it has no tab or line break to turn into their own elements."""
        if not text or "\t" in text or "\n" in text or "\r" in text:
            return paragraph.add_run(text)
        r = paragraph._p.add_r()
        r.add_t(text)
        return self.Run(r, paragraph)

    # -- pieces -------------------------------------------------------------------------------------
    def _field(self, paragraph, instruction: str, result: str, size: float | None = None) -> None:
        def fld(kind: str):
            el = self.OxmlElement("w:fldChar")
            el.set(self.qn("w:fldCharType"), kind)
            return el

        run = paragraph.add_run()
        run._r.append(fld("begin"))
        instr = self.OxmlElement("w:instrText")
        instr.set(self.qn("xml:space"), "preserve")
        instr.text = f" {instruction} "
        run._r.append(instr)
        run._r.append(fld("separate"))
        shown = paragraph.add_run(result)
        if size:
            shown.font.size = self.Pt(size)
        end = paragraph.add_run()
        end._r.append(fld("end"))

    def runs(self, paragraph, runs, size: float | None = None) -> None:
        for text, style in runs:
            run = self._run(paragraph, clean(text, strip=False))
            run.bold = style == "b" or None
            run.italic = style == "i" or None
            if style == "code":
                run.font.name = "Liberation Mono"
            if size:
                run.font.size = self.Pt(size)

    def heading(self, blk) -> None:
        self._starts_page(self.doc.add_heading(clean(blk["text"]), level=blk["level"]))

    def paragraph(self, blk) -> None:
        style = {"title": "Title", "subtitle": "Subtitle"}.get(blk["style"])
        para = self._starts_page(self.doc.add_paragraph(style=style))
        size = {"small": 8.5, "lead": 11.5, "caption": 8.5, "card": 7.5}.get(blk["style"])
        if blk["style"] == "card":  # a partner's card is one A4 page: little space between its lines
            para.paragraph_format.space_after = self.Pt(2)
        self.runs(para, blk["runs"], size)

    def note(self, blk) -> None:
        colour = {"missing": "FFF7E0", "warning": "FDECEE", "info": "EEF4FA"}.get(blk["kind"], "FFF7E0")
        table = self.doc.add_table(rows=1, cols=1)
        table.style = "Table Grid"
        table.autofit = False
        table.columns[0].width = self.Cm(self.usable)
        table.rows[0].cells[0].width = self.Cm(self.usable)
        cell = table.rows[0].cells[0]
        self._shade(cell, colour)
        self.runs(cell.paragraphs[0], blk["runs"], 9.5)
        self.spacer = self.doc.add_paragraph()   # space under the table (dropped if a new page follows)
        self.spacer.paragraph_format.space_after = self.Pt(2)

    def bullets(self, blk) -> None:
        for item in blk["items"]:
            self.runs(self.doc.add_paragraph(style="List Bullet"), item)

    def _shade(self, cell, colour: str) -> None:
        shading = self.OxmlElement("w:shd")
        shading.set(self.qn("w:val"), "clear")
        shading.set(self.qn("w:color"), "auto")
        shading.set(self.qn("w:fill"), colour)
        cell._tc.get_or_add_tcPr().append(shading)

    def table(self, blk) -> None:
        """A Word table: the table itself from python-docx, its rows written as XML in one piece (python-docx
        builds a cell in a dozen element look-ups and insertions; a table of 300 cells took 0.1 s). The rows are
        the elements python-docx writes for ``cell.width``, ``add_run``, ``font.size``, ``bold``, the shading and
        ``space_after``, in the same order, so the document's bytes are the same."""
        from xml.sax.saxutils import escape

        from docx.oxml import parse_xml
        from docx.oxml.ns import nsdecls
        from docx.oxml.simpletypes import ST_HpsMeasure, ST_TwipsMeasure

        header, rows = blk["header"], blk["rows"]
        has_header = any(header)
        size = {"small": 8, "card": 7}.get(blk["style"], 9)
        table = self.doc.add_table(rows=0, cols=len(header))
        table.style = "Table Grid"
        table.autofit = False
        widths = blk["widths"] or [1] * len(header)
        total = sum(widths)
        for c, column in enumerate(table.columns):
            column.width = self.Cm(self.usable * widths[c] / total)
        cell_widths = [ST_TwipsMeasure.convert_to_xml(self.Cm(self.usable * widths[c] / total))
                       for c in range(len(header))]
        # a cell a row leaves empty keeps the width python-docx gave every column at first (the page's width shared)
        unset = ST_TwipsMeasure.convert_to_xml(self.Emu(self.doc._block_width // len(header))) if header else "0"
        sz = f'<w:sz w:val="{ST_HpsMeasure.convert_to_xml(self.Pt(size))}"/>'
        shade = '<w:shd w:val="clear" w:color="auto" w:fill="E8EEF3"/>'
        after = {"signatures": ST_TwipsMeasure.convert_to_xml(self.Pt(22)),
                 "card": ST_TwipsMeasure.convert_to_xml(self.Pt(1))}
        out = []
        for r, values in enumerate(([header] if has_header else []) + rows):
            is_head = has_header and r == 0
            out.append('<w:tr><w:trPr><w:tblHeader w:val="true"/></w:trPr>' if is_head else "<w:tr>")
            for c, value in enumerate(values):
                strong = is_head or (blk["style"] == "keyvalue" and c == 0)
                spaced = (blk["style"] == "signatures" and not is_head and c >= 3) or blk["style"] == "card"
                out.append(f'<w:tc><w:tcPr><w:tcW w:type="dxa" w:w="{cell_widths[c]}"/>{shade if strong else ""}'
                           f'</w:tcPr><w:p>')
                if spaced:
                    out.append(f'<w:pPr><w:spacing w:after="{after[blk["style"]]}"/></w:pPr>')
                out.append(f'<w:r><w:rPr>{"<w:b/>" if strong else ""}{sz}</w:rPr>{_run_content(clean(value), escape)}'
                           f'</w:r></w:p></w:tc>')
            out += [f'<w:tc><w:tcPr><w:tcW w:type="dxa" w:w="{unset}"/></w:tcPr><w:p/></w:tc>'] * (len(header) - len(values))
            out.append("</w:tr>")
        tbl = table._tbl
        for tr in list(parse_xml(f'<w:tbl {nsdecls("w")}>{"".join(out)}</w:tbl>')):
            tbl.append(tr)
        self.spacer = self.doc.add_paragraph()   # space under the table (dropped if a new page follows)
        self.spacer.paragraph_format.space_after = self.Pt(2)

    def image(self, blk, images: dict[str, bytes]) -> None:
        data = images.get(blk["name"])
        if data:
            w, h = _png_size(data)
            width_cm = min(self.usable, self.max_height * w / h)
            para = self.doc.add_paragraph()
            para.alignment = self.ALIGN.CENTER
            para.add_run().add_picture(io.BytesIO(data), width=self.Cm(width_cm))
        caption = self.doc.add_paragraph()
        caption.alignment = self.ALIGN.CENTER
        self.runs(caption, [[blk["caption"], "i"]], 8.5)

    def toc(self, blocks) -> None:
        from .blocks import headings

        self.doc.add_heading("Contents", level=1)
        para = self.doc.add_paragraph()
        # The field's shown result lists the headings, so the contents read well before Word updates it.
        lines = "\n".join(clean(hd["text"]) for hd in headings(blocks, 1))
        self._field(para, 'TOC \\o "1-2" \\h \\z \\u', lines)

    def orientation(self, landscape: bool, margin: float | None = None) -> None:
        from docx.enum.section import WD_ORIENT, WD_SECTION

        section = self.doc.add_section(WD_SECTION.NEW_PAGE)
        section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
        long, short = self.Cm(29.7), self.Cm(21.0)
        section.page_width, section.page_height = (long, short) if landscape else (short, long)
        if margin is not None or self.margin != _MARGIN_CM:   # a part with its own margins, or the end of one
            self.margin = _MARGIN_CM if margin is None else margin
            section.left_margin = section.right_margin = self.Cm(self.margin)
            section.top_margin = section.bottom_margin = self.Cm(self.margin)
        self.usable = (29.7 if landscape else 21.0) - 2 * self.margin
        self.max_height = (21.0 if landscape else 29.7) - 2 * self.margin - 2.0

    def pagebreak(self) -> None:
        """A new page before the next block: the next heading or paragraph starts one ("page break before"),
        so a page the last block filled is not followed by an empty one; any other block gets a break of its own."""
        self.break_pending = True

    def _starts_page(self, para):
        if self.break_pending:
            para.paragraph_format.page_break_before = True
            self.break_pending = False
            # the space under a table just before is no use at the foot of a page, and would make a page
            # of its own if the table filled the last one
            if self.spacer is not None and para._p.getprevious() is self.spacer._p:
                self.spacer._p.getparent().remove(self.spacer._p)
        self.spacer = None
        return para

    def flush_break(self) -> None:
        """Before a block that cannot start a page itself (a table, an image, a list): the break as a paragraph."""
        from docx.enum.text import WD_BREAK

        if self.break_pending:
            self.doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
            self.break_pending = False

    def properties(self) -> None:
        cover, stamp = self.context["cover"], self.context["stamp"]
        props = self.doc.core_properties
        props.title = clean(cover["title"])[:255]
        props.subject = clean(stamp.line())[:255]
        props.author = props.last_modified_by = "protocolkit"
        props.identifier = stamp.sha256
        props.version = clean(cover["version"])[:64]
        props.keywords = f"{stamp.protocol}; {stamp.status}; sha256 {stamp.sha256}"
        props.revision = 1
        props.created = props.modified = FIXED_TIME.replace(tzinfo=None)
        props.last_printed = FIXED_TIME.replace(tzinfo=None)
        props.comments = "Generated from the protocol files by protocolkit."
        props.category = "Information sharing agreement"
        props.content_status = clean(cover["status_words"])[:255]
        props.language = "en-GB"


def _run_content(text: str, escape) -> str:
    """The inside of a ``w:r`` for ``text`` as python-docx's ``run.text`` writes it: a tab as ``w:tab``, a line
    break as ``w:br``, the rest as ``w:t`` (kept spaces marked ``xml:space="preserve"``)."""
    out, pending = [], []

    def flush():
        piece = "".join(pending)
        if piece:
            keep = ' xml:space="preserve"' if len(piece.strip()) < len(piece) else ""
            out.append(f"<w:t{keep}>{escape(piece)}</w:t>")
        pending.clear()

    if "\t" not in text and "\n" not in text and "\r" not in text:
        pending.append(text)
    else:
        for char in text:
            if char == "\t":
                flush()
                out.append("<w:tab/>")
            elif char in "\r\n":
                flush()
                out.append("<w:br/>")
            else:
                pending.append(char)
    flush()
    return "".join(out)


def render_docx(blocks: list[dict], context: dict, images: dict[str, bytes]) -> bytes:
    """The DOCX bytes of the blocks (fixed zip timestamps and properties)."""
    writer = _Writer(context)
    for blk in blocks:
        t = blk["t"]
        if t == "orientation":
            writer.break_pending = False   # a new section starts a new page itself
        elif t not in ("h", "p", "pagebreak"):
            writer.flush_break()
        if t == "h":
            writer.heading(blk)
        elif t == "p":
            writer.paragraph(blk)
        elif t == "note":
            writer.note(blk)
        elif t == "ul":
            writer.bullets(blk)
        elif t == "table":
            writer.table(blk)
        elif t == "image":
            writer.image(blk, images)
        elif t == "toc":
            writer.toc(blocks)
        elif t == "pagebreak":
            writer.pagebreak()
        elif t == "orientation":
            writer.orientation(blk["landscape"], blk.get("margin"))
    writer.properties()
    members = _package_members(writer.doc)
    if members is None:   # a python-docx without the package writer's steps: save, then fix the zip
        buffer = io.BytesIO()
        writer.doc.save(buffer)
        return fixed_zip(buffer.getvalue())
    return _zip_of(members)


def _package_members(document) -> list[tuple[str, bytes]] | None:
    """The package's members (name, bytes) in the order ``Document.save`` writes them, without zipping them:
    saving deflates every member (the diagrams too) and :func:`fixed_zip` would inflate and deflate them all again.
    None where python-docx does not have the steps its ``PackageWriter.write`` takes."""
    from docx.opc.pkgwriter import PackageWriter

    steps = ("_write_content_types_stream", "_write_pkg_rels", "_write_parts")
    if not all(hasattr(PackageWriter, step) for step in steps):
        return None

    class Collect:
        def __init__(self):
            self.members: list[tuple[str, bytes]] = []

        def write(self, pack_uri, blob) -> None:   # what python-docx's zip writer does with each member
            self.members.append((pack_uri.membername, blob))

    package = document.part.package
    for part in package.parts:   # as OpcPackage.save
        part.before_marshal()
    parts = package.parts
    collect = Collect()
    PackageWriter._write_content_types_stream(collect, parts)
    PackageWriter._write_pkg_rels(collect, package.rels)
    PackageWriter._write_parts(collect, parts)
    return collect.members


def _zip_of(members: list[tuple[str, bytes]]) -> bytes:
    """A zip of the members, in order, each with the fixed timestamp and attributes of :func:`fixed_zip`."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in members:
            fixed = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            fixed.create_system = 3
            target.writestr(fixed, data)
    return out.getvalue()


def fixed_zip(data: bytes) -> bytes:
    """The same zip with every entry's timestamp and attributes fixed, entries in their original order."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            fixed.create_system = 3
            target.writestr(fixed, source.read(info.filename))
    return out.getvalue()


def write_docx(protocol: Protocol, out_dir: Path, *, today: dt.date | None = None, warnings: list | None = None,
               diagrams: bool = True) -> list[Path]:
    """Write ``<protocol id>-agreement.docx``."""
    from .render import agreement_blocks, images_for

    blocks, context = agreement_blocks(protocol, today=today, warnings=warnings, diagrams=diagrams)
    images = images_for(protocol, blocks, context) if diagrams else {}
    path = Path(out_dir) / f"{protocol.metadata.id}-agreement.docx"
    path.write_bytes(render_docx(blocks, context, images))
    return [path]
