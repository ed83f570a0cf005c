"""The registry of export formats: a name, the file extensions it writes and its writer.

A writer is ``write(protocol, out_dir, **options) -> list[Path]``: it writes its files
into ``out_dir`` (which exists) and returns their paths in the order written. Writers
are named as ``"module:function"`` and imported only when used, so the registry itself
is light and ``import protocolkit.export`` loads no document or policy library.

This module does not check that a protocol may be exported (errors, readiness for
signature): :func:`export` leaves that to the writers' callers, see
:mod:`protocolkit.cli.export`.

Examples
--------
>>> fmt = register("txt-demo", ".txt", lambda protocol, out: [], "A demonstration.")
>>> get_format("txt-demo").extensions, fmt.kind
(('.txt',), 'document')
>>> "txt-demo" in format_names()
True
>>> _ = FORMATS.pop("txt-demo")
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import Any, Callable

Writer = Callable[..., "list[Path]"]


@dataclass(frozen=True)
class ExportFormat:
    """One export format.

    Parameters
    ----------
    name : str
        What ``--format`` calls it, such as ``"docx"``.
    extensions : tuple of str
        The extensions of the files it writes, with the dot.
    description : str
        One plain sentence for the command's help and its report.
    writer : str or callable
        ``"package.module:function"`` (imported when first used) or the function itself.
    kind : str
        ``"document"`` (read by people) or ``"rules"`` (read by systems).
    """

    name: str
    extensions: tuple[str, ...]
    description: str
    writer: str | Writer
    kind: str = "document"

    def load_writer(self) -> Writer:
        """The writer function, importing its module on first use."""
        if callable(self.writer):
            return self.writer
        module, _, attr = self.writer.partition(":")
        return getattr(import_module(module), attr)

    def write(self, protocol: Any, out_dir: str | Path, **options: Any) -> list[Path]:
        """Write this format into ``out_dir`` (created when missing); the files written."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        return list(self.load_writer()(protocol, out, **options))


#: Every registered format by name, in the order ``--format all`` writes them.
FORMATS: dict[str, ExportFormat] = {}


def register(name: str, extensions: tuple[str, ...] | str, writer: str | Writer, description: str,
             kind: str = "document") -> ExportFormat:
    """Add (or replace) a format in the registry and return it.

    Examples
    --------
    >>> fmt = register("txt-demo", ".txt", lambda protocol, out: [], "A demonstration.")
    >>> fmt.extensions
    ('.txt',)
    >>> _ = FORMATS.pop("txt-demo")
    """
    if isinstance(extensions, str):
        extensions = (extensions,)
    fmt = ExportFormat(name, tuple(extensions), description, writer, kind)
    FORMATS[name] = fmt
    return fmt


def get_format(name: str) -> ExportFormat:
    """The format with this name; ``KeyError`` listing the known names otherwise."""
    try:
        return FORMATS[name]
    except KeyError:
        raise KeyError(f"no export format {name!r}; known: {', '.join(FORMATS)}") from None


#: The formats that embed the agreement's diagrams, and those that render the agreement (or its cards).
WITH_DIAGRAMS = frozenset({"docx", "html", "md"})
AGREEMENT_FORMATS = frozenset({"docx", "html", "md", "cards"})


def format_names() -> list[str]:
    """The registered format names, in registry order."""
    return list(FORMATS)


def export(protocol: Any, names: str | list[str], out_dir: str | Path, **options: Any) -> dict[str, list[Path]]:
    """Write one or more formats (``"all"`` for every one); the files written per format.

    Options a writer does not take are not passed to it. The protocol is promised unchanged while the formats
    are written (:func:`protocolkit.model.unchanged.unchanged`), so what each writer works out from its content
    (its fingerprint, content hash, checks) is worked out once for all of them.
    """
    from ..model.unchanged import unchanged

    with unchanged(protocol):
        return _export(protocol, names, out_dir, **options)


def _export(protocol: Any, names: str | list[str], out_dir: str | Path, **options: Any) -> dict[str, list[Path]]:
    import inspect

    wanted = format_names() if names == "all" else [names] if isinstance(names, str) else list(names)
    written: dict[str, list[Path]] = {}
    order = wanted
    if len(wanted) > 1 and set(wanted) & WITH_DIAGRAMS and options.get("diagrams", True):
        # The diagrams are the slow part: start drawing them first, and write the formats that
        # embed none while they are drawn (the same files, in less time).
        from .documents.render import start_diagrams

        start_diagrams(protocol, today=options.get("today"))
        order = sorted(wanted, key=lambda n: (n in WITH_DIAGRAMS, n in AGREEMENT_FORMATS))
    for name in order:
        fmt = get_format(name)
        writer = fmt.load_writer()
        params = inspect.signature(writer).parameters
        takes_any = any(p.kind is p.VAR_KEYWORD for p in params.values())
        kwargs = {k: v for k, v in options.items() if takes_any or k in params}
        written[name] = fmt.write(protocol, out_dir, **kwargs)
    return {name: written[name] for name in wanted}


# -- the agreement, for people ---------------------------------------------------------------------
_DOCS = "protocolkit.export.documents"
register("docx", ".docx", f"{_DOCS}.docx:write_docx", "The agreement as a Word document (A4), for signature.")
register("html", ".html", f"{_DOCS}.html:write_html", "The agreement as one self-contained web page that prints on A4.")
register("md", ".md", f"{_DOCS}.markdown:write_markdown",
         "The agreement as Markdown, for review in a repository (diagrams as PNG files beside it).")
register("cards", ".html", f"{_DOCS}.cards:write_cards",
         "One quick-reference card per partner, each a page of its own: what it may share, with whom, at which stage.")

# -- the rules, for systems: registered here by the machine-readable exporters ------------------
register("json", ".json", "protocolkit.export.canonical:write_json",
         "The canonical JSON of the protocol, with its JSON Schema: the form every other export derives from.",
         kind="rules")
register("rego", ".rego", "protocolkit.export.rego:write_rego",
         "The rules as a Rego policy for Open Policy Agent, with tests from the sample cases.", kind="rules")
register("cedar", (".cedar", ".json"), "protocolkit.export.cedar:write_cedar",
         "The rules as Cedar policies, with their schema and entities (partners, kinds, categories).", kind="rules")
register("odrl", ".jsonld", "protocolkit.export.odrl:write_odrl",
         "The agreement as an ODRL 2.2 policy in JSON-LD with W3C DPV terms.", kind="rules")
register("csv", ".csv", "protocolkit.export.register:write_csv",
         "The register of flows: sender, recipient, categories, stage, purpose, lawful bases, regime, retention.",
         kind="rules")
