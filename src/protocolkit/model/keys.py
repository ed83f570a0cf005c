"""Identifier types shared by every model: what an id, a dotted key or a rule id may look like."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, SerializationInfo, ValidationInfo, field_validator, model_serializer

from .text import check_text

_KEY = re.compile(r"^[a-z][a-z0-9_]*$")
_DOTTED = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")
_FACT_KEY = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*(@[a-z][a-z0-9_]*)?$")
_RULE_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]*$")
_BASIS_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]*$")

#: Reserved fact value meaning "the case does not state this fact".
UNKNOWN = "unknown"

#: The scope value that matches everything in a dimension.
ANY = "any"


def _checker(pattern: re.Pattern, what: str, example: str):
    def check(value: str) -> str:
        if not pattern.fullmatch(value):  # a full match: 'R1\n' is not 'R1'
            raise ValueError(f"{value!r} is not a valid {what} (write it like {example!r})")
        return value

    return check


Key = Annotated[str, AfterValidator(_checker(_KEY, "id", "early_help"))]
"""A lower_snake_case identifier, such as ``early_help``."""

DottedKey = Annotated[str, AfterValidator(_checker(_DOTTED, "dotted id", "health.mental_health"))]
"""A dotted hierarchical identifier, such as ``health.mental_health``."""

FactKey = Annotated[str, AfterValidator(_checker(_FACT_KEY, "fact id", "consent or consent@victim"))]
"""A fact id, optionally with the data subject's role whose value it reads: ``consent@victim``."""

#: Separates a per-subject fact from the role whose value is meant: ``consent@victim``.
ROLE_MARK = "@"


def split_fact_key(key: str) -> tuple[str, str | None]:
    """A fact key as (fact, role): ``consent@victim`` is ``('consent', 'victim')``; ``risk`` is ``('risk', None)``.

    Examples
    --------
    >>> split_fact_key("consent@victim")
    ('consent', 'victim')
    >>> split_fact_key("risk")
    ('risk', None)
    """
    fact, mark, role = key.partition(ROLE_MARK)
    return fact, (role if mark else None)


RuleId = Annotated[str, AfterValidator(_checker(_RULE_ID, "rule id", "R12"))]
"""A rule identifier, such as ``R12`` or ``referral.police-1``."""

BasisId = Annotated[str, AfterValidator(_checker(_BASIS_ID, "lawful basis id", "UKGDPR.6.1.e"))]
"""A lawful basis identifier from the taxonomy, such as ``UKGDPR.6.1.e``."""


class Model(BaseModel):
    """Base of every protocol model: unknown keys are errors, names may be used for aliases."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, validate_assignment=True)

    @field_validator("*", mode="after")
    @classmethod
    def _plain_text(cls, value, info: ValidationInfo):
        """Refuse control and bidirectional-override characters (newlines and tabs in free text only)."""
        _check_strings(value, info.field_name)
        return value


def _check_strings(value, field: str | None) -> None:
    if isinstance(value, str):
        check_text(value, field)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for item in value:
            _check_strings(item, field)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_strings(key, None)
            _check_strings(item, field)


def dotted_parent(key: str) -> str | None:
    """The dotted prefix of a key, or None at a root.

    Examples
    --------
    >>> dotted_parent("health.mental_health")
    'health'
    >>> dotted_parent("health") is None
    True
    """
    head, sep, _ = key.rpartition(".")
    return head if sep else None


def quiet_defaults(*names: str):
    """A serializer for a model class that leaves out these fields while they hold their defaults.

    Fields added to the format later use it, so that files, content hashes and golden exports
    written before they existed stay byte-identical until a protocol uses them.
    """
    defaults: dict[type, tuple] = {}   # per class: (name, alias, default) of each quiet field, read once

    @model_serializer(mode="wrap")
    def _serialize(self, handler, info: SerializationInfo):
        data = handler(self)
        if isinstance(data, dict):
            fields = defaults.get(type(self))
            if fields is None:  # pydantic inspects a default factory's signature on every call: read them once
                model_fields = type(self).model_fields
                fields = defaults[type(self)] = tuple(
                    (name, model_fields[name].alias, model_fields[name].get_default(call_default_factory=True))
                    for name in names)
            for name, alias, default in fields:
                key = alias if info.by_alias and alias else name
                if key in data and getattr(self, name) == default:
                    del data[key]
        return data

    return _serialize
