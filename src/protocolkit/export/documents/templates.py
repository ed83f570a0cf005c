"""Finding and rendering the Jinja2 templates of the agreement.

The shipped templates live in the top-level ``templates/`` folder of a source
checkout, installed into the wheel as ``protocolkit/templates``. A protocol folder
may hold its own ``templates/`` folder: any template there replaces the shipped one
of the same name (``agreement.j2`` to change the text, ``agreement.html.j2`` or
``agreement.css`` to change the page).

The content template (``agreement.j2``, ``card.j2``) does not write HTML, Markdown or
Word: it calls block functions (:mod:`protocolkit.export.documents.blocks`) that each
emit one JSON line, and each format renders the blocks with its own escaping. So the
three documents always say the same thing and model text can never inject markup.
Templates are read from the package, never fetched.
"""

from __future__ import annotations

from pathlib import Path

from ...errors import ProtocolError


def shipped_template_dir() -> Path:
    """The folder of the shipped templates: inside the installed package, else the source checkout's.

    Examples
    --------
    >>> (shipped_template_dir() / "agreement.j2").exists()
    True
    """
    package = Path(__file__).resolve().parents[2]          # .../protocolkit
    for candidate in (package / "templates", package.parents[1] / "templates"):
        if (candidate / "agreement.j2").exists():
            return candidate
    raise ProtocolError("the agreement templates are missing from this installation: reinstall protocolkit")


def template_dirs(protocol_folder: Path | None) -> list[Path]:
    """Where templates are looked up, first match wins: the protocol's own ``templates/``, then the shipped ones."""
    dirs = []
    if protocol_folder is not None and (Path(protocol_folder) / "templates").is_dir():
        dirs.append(Path(protocol_folder) / "templates")
    dirs.append(shipped_template_dir())
    return dirs


_ENVIRONMENTS: dict[tuple, object] = {}


def environment(protocol_folder: Path | None, *, autoescape: bool = False):
    """A Jinja2 environment over the template folders, strict about undefined names.

    One environment per set of folders, kept for the process, so each template is compiled
    once (an export of every format renders the content templates some twenty times); Jinja2
    checks each template file's modification time and recompiles one that was edited.
    """
    import jinja2

    dirs = tuple(str(d) for d in template_dirs(protocol_folder))
    env = _ENVIRONMENTS.get((dirs, autoescape))
    if env is None:
        env = _ENVIRONMENTS[(dirs, autoescape)] = jinja2.Environment(
            loader=jinja2.FileSystemLoader(list(dirs)),
            undefined=jinja2.StrictUndefined, autoescape=autoescape, trim_blocks=True, lstrip_blocks=True,
            keep_trailing_newline=True,
        )
    return env


def read_asset(protocol_folder: Path | None, name: str) -> str:
    """The text of a non-template asset (such as the stylesheet), with the same override rule."""
    for folder in template_dirs(protocol_folder):
        if (folder / name).exists():
            return (folder / name).read_text(encoding="utf-8")
    raise ProtocolError(f"no template asset named {name!r}")
