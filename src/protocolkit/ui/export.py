"""Export: write the agreement and the machine-readable rules from the notebook, with a link to each file.

Calls :func:`protocolkit.export.export` (the formats ``protocolkit export`` offers) on the
session's protocol as it is now. Unsaved edits are exported as they stand; the panel says so.
"""

from __future__ import annotations

import os
from html import escape
from pathlib import Path

import ipywidgets as widgets

from ..errors import ProtocolError
from ..export import FORMATS, export, format_names
from ._text import STYLE
from .reports import Snapshot
from .session import Session


class ExportPanel(Snapshot, widgets.VBox):
    """Choose formats and a folder, write them, and follow a link to each file written.

    Parameters
    ----------
    session : Session
    out_dir : str or Path, optional
        Where to write (default: ``export`` beside the protocol folder).
    formats : list of str, optional
        The formats ticked at first (default: every one).

    Examples
    --------
    >>> import protocolkit, tempfile
    >>> from protocolkit.ui import Session, ExportPanel
    >>> panel = ExportPanel(Session(protocolkit.example_path("mash")), tempfile.mkdtemp(), formats=["json"])
    >>> [p.suffix for p in panel.write()["json"]][:1]
    ['.json']
    """

    def __init__(self, session: Session, out_dir: str | Path | None = None, formats: list[str] | None = None):
        self.session = session
        names = format_names()
        chosen = names if formats in (None, "all") else list(formats)
        unknown = [f for f in chosen if f not in names]
        if unknown:
            raise ValueError(f"unknown export format {', '.join(unknown)}: use {', '.join(names)}")
        self.checks = {name: widgets.Checkbox(value=name in chosen, indent=False,
                                              description=f"{name}: {FORMATS[name].description}",
                                              layout=widgets.Layout(width="95%")) for name in names}
        default = Path(out_dir) if out_dir else session.folder.parent / "export"
        self.out_dir = widgets.Text(value=str(default), description="Write to", layout=widgets.Layout(width="95%"))
        self.write_button = widgets.Button(description="Write the documents", button_style="primary", icon="file")
        self.status = widgets.HTML()
        self.links = widgets.HTML()
        self.written: dict[str, list[Path]] = {}
        self.write_button.on_click(lambda _: self._write_clicked())
        super().__init__([widgets.HTML(STYLE + "<p>Tick the documents and rule formats to write.</p>"),
                          *self.checks.values(), self.out_dir, self.write_button, self.status, self.links])
        self.add_class("pk-export")

    @property
    def formats(self) -> list[str]:
        """The formats ticked."""
        return [name for name, box in self.checks.items() if box.value]

    def write(self) -> dict[str, list[Path]]:
        """Write the ticked formats; returns the files written per format, and lists them as links."""
        if not self.formats:
            raise ValueError("tick at least one format to write")
        out = Path(self.out_dir.value).expanduser()
        self.written = export(self.session.protocol, self.formats, out)
        unsaved = (" The protocol has unsaved edits: they are in these files, but not yet in the protocol's own "
                   "files." if self.session.dirty else "")
        count = sum(len(files) for files in self.written.values())
        self.status.value = f"<p>Wrote {count} files to {escape(str(out))}.{escape(unsaved)}</p>"
        self.links.value = self._links_html()
        return self.written

    def written_report(self):
        """What the last :meth:`write` wrote, as an HTML report (for a notebook run headless)."""
        from .reports import HTMLReport

        return HTMLReport(self.status.value + self.links.value)

    def _write_clicked(self) -> None:
        try:
            self.write()
        except (ProtocolError, ValueError, OSError) as exc:
            self.status.value = f"<p class='pk-flag-error'>Nothing more was written: {escape(str(exc))}</p>"

    def _links_html(self) -> str:
        items = []
        for name, files in self.written.items():
            for path in files:
                try:
                    href = os.path.relpath(path, Path.cwd())
                except ValueError:  # another drive
                    href = str(path)
                items.append(f"<li>{escape(FORMATS[name].description)}: "
                             f"<a href='{escape(Path(href).as_posix())}' target='_blank'>{escape(Path(path).name)}</a></li>")
        return "<ul>" + "".join(items) + "</ul>"


__all__ = ["ExportPanel"]
