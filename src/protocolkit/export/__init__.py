"""Exports: the agreement as documents, and the rules in machine-readable forms.

Every export is generated from the one model (and the one engine where a decision is
needed); nothing is hand-written. :mod:`protocolkit.export.formats` is the registry of
formats the ``protocolkit export`` command offers. Importing this package loads no
document, RDF or policy library: each writer is imported when it is used.
"""

from .formats import FORMATS, ExportFormat, export, format_names, get_format, register

__all__ = ["FORMATS", "ExportFormat", "export", "format_names", "get_format", "register"]
