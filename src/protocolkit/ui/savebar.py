"""The save bar: save (atomic, comments kept), undo, and the choice when a file changed on disk."""

from __future__ import annotations

from html import escape

import ipywidgets as widgets

from ..errors import ProtocolError
from .session import SaveResult, Session
from .reports import Snapshot


class SaveBar(Snapshot, widgets.VBox):
    """Save and undo buttons with the session's state; reload or overwrite when the files changed on disk.

    Examples
    --------
    >>> import protocolkit
    >>> from protocolkit.ui import Session, SaveBar
    >>> bar = SaveBar(Session(protocolkit.example_path("mash")))
    >>> bar.undo_button.disabled
    True
    """

    def __init__(self, session: Session):
        self.session = session
        self.save_button = widgets.Button(description="Save", button_style="success", icon="save")
        self.undo_button = widgets.Button(description="Undo", icon="undo")
        self.reload_button = widgets.Button(description="Reload from disk (drop my edits)", button_style="warning")
        self.overwrite_button = widgets.Button(description="Overwrite with my version", button_style="danger")
        self.state = widgets.HTML()
        self.message = widgets.HTML()
        self.conflict = widgets.HBox([self.reload_button, self.overwrite_button], layout=widgets.Layout(display="none"))
        self.last_result: SaveResult | None = None
        self.save_button.on_click(lambda _: self.save())
        self.undo_button.on_click(lambda _: self.undo())
        self.reload_button.on_click(lambda _: self.save("reload"))
        self.overwrite_button.on_click(lambda _: self.save("overwrite"))
        session.on_change(lambda s, what: self._show_state())
        super().__init__([widgets.HBox([self.save_button, self.undo_button, self.state]), self.message, self.conflict])
        self.add_class("pk-savebar")
        self._show_state()

    def save(self, on_conflict: str = "ask") -> SaveResult:
        """Save; on a conflict, show the two choices. Returns what happened."""
        try:
            result = self.session.save(on_conflict=on_conflict)
        except ProtocolError as exc:  # a reload of files that no longer validate
            result = SaveResult("refused", str(exc))
        self.last_result = result
        self.conflict.layout.display = "flex" if result.status == "conflict" else "none"
        css = {"saved": "pk-muted", "reloaded": "pk-flag-info"}.get(result.status, "pk-flag-error")
        self.message.value = f"<p class='{css}'>{escape(result.message)}</p>"
        self._show_state()
        return result

    def undo(self) -> str | None:
        """Undo the last edit."""
        undone = self.session.undo()
        self.message.value = f"<p class='pk-muted'>Undid: {escape(undone)}.</p>" if undone else ""
        return undone

    def _show_state(self) -> None:
        history = self.session.history
        self.undo_button.disabled = not history
        if not self.session.dirty:
            text = f"All changes saved to {escape(str(self.session.folder))}."
        else:
            text = (f"{len(history)} unsaved edit{'s' if len(history) != 1 else ''}"
                    + (f"; last: {escape(history[-1])}" if history else "") + ".")
        self.state.value = f"<span style='margin-left:1em'>{text}</span>"


__all__ = ["SaveBar"]
