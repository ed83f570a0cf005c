"""JSON Schemas of the file formats, for editors' autocompletion and for other tools.

Generated from the pydantic models, so the schema and the loader can never disagree.
"""

from __future__ import annotations

from .cases import Case
from .protocol import Protocol

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def protocol_schema() -> dict:
    """The JSON Schema of ``protocol.yaml`` (an included file holds a subset of its sections).

    Examples
    --------
    >>> schema = protocol_schema()
    >>> schema["properties"]["rules"]["type"]
    'array'
    """
    schema = Protocol.model_json_schema(by_alias=True, mode="validation")
    return {"$schema": SCHEMA_DIALECT, "$id": "https://protocolkit.invalid/schema/protocol.json", **schema}


def case_schema() -> dict:
    """The JSON Schema of a sample case file."""
    schema = Case.model_json_schema(by_alias=True, mode="validation")
    return {"$schema": SCHEMA_DIALECT, "$id": "https://protocolkit.invalid/schema/case.json", **schema}
