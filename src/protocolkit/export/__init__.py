"""Exports of a protocol: the agreement's documents and machine-readable rules, all from one model.

Every export derives from the canonical form (:mod:`protocolkit.export.canonical`) and
carries its stamp (protocol id, version, status, SHA-256 of the canonical JSON). Nothing
here is imported by ``import protocolkit``; the heavy formats load their libraries on use.
"""
