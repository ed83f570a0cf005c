"""Sample cases: synthetic families with a timeline of stages, new facts and sharing requests.

A case file lives in a protocol folder's ``cases/`` (one case per file). Each step
names a stage, the facts that come to light, and the requests made at that point
with the outcomes the partnership expects. What the expectations mean is set out
in ``docs/semantics.md`` section 7; :func:`protocolkit.engine.run_cases` runs them.

Case files hold synthetic people only: no real names, addresses or NHS numbers.
"""

from __future__ import annotations

import datetime
import os
from pathlib import Path
from typing import Literal

from pydantic import Field, PrivateAttr, ValidationError, field_validator, model_validator
from ruamel.yaml.comments import CommentedMap

from . import codes
from .keys import ROLE_MARK, quiet_defaults, DottedKey, FactKey, Key, Model
from .rules import RequestedBy
from .source import PlainYamlFile, SourceMap, YamlFile, node_position, read_plain_yaml, read_yaml, to_plain
from ..errors import Finding, ProtocolValidationError

from .outcomes import OutcomeOrGap as ExpectedOutcome
FactValue = str | bool | dict[Key, str | bool]


def _text(v):
    return "yes" if v is True else "no" if v is False else v


def _fact_text(facts: dict) -> dict:
    """Facts as text; a per-subject fact given per role (``consent: {victim: refused}``) becomes one key per
    role (``consent@victim: refused``)."""
    out: dict = {}
    for k, v in facts.items():
        if isinstance(v, dict):
            out.update({f"{k}{ROLE_MARK}{role}": _text(value) for role, value in v.items()})
        else:
            out[k] = _text(v)
    return out


class FamilyMember(Model):
    """A synthetic member of the family the case is about."""

    id: Key = Field(description="Short id, such as 'child_1'.")
    role: str = Field(description="Their role in the family, such as 'mother' or 'child'.")
    age: int | None = Field(None, ge=0, le=120, description="Age in years.")
    notes: str | None = Field(None, description="Anything the workshop should know.")


class Expectation(Model):
    """What the partnership expects a request to get (``docs/semantics.md`` section 7)."""

    outcome: ExpectedOutcome | list[ExpectedOutcome] | None = Field(
        None, description="The request's overall outcome (or 'gap'), or a list of outcomes any of which is right.")
    not_: list[ExpectedOutcome] = Field(
        default_factory=list, alias="not", description="Outcomes the request must not get, such as [share].")
    escalate_to: str | None = Field(None, description="The role an escalation must name.")
    regime: Literal["uk_gdpr", "part3"] | None = Field(None, description="The data protection regime of the flow.")
    fallback: str | bool | None = Field(
        None, description="The fallback that must decide (its id), true for any fallback, false for none.")
    categories: dict[DottedKey, ExpectedOutcome] = Field(
        default_factory=dict, description="Expected outcome of particular categories."
    )
    obligations: list[Key] = Field(default_factory=list, description="Obligation types that must all be present.")
    absent_obligations: list[Key] = Field(default_factory=list, description="Obligation types that must not be present.")
    after_disclosure: list[Key] = Field(
        default_factory=list, description="Obligation types that must be present and done after the disclosure "
                                          "(share now, record afterwards: docs/semantics.md section 17).")
    sharing: Literal["required", "permitted", "discretion"] | None = Field(
        None, description="Whether what is shared must be shared (required: a duty), may be (permitted), or may be on "
                          "a named person's judgement (discretion): docs/semantics.md sections 4a and 7.")
    decided_by: str | None = Field(
        None, description="For sharing: discretion, the role whose judgement must decide, such as 'the school's "
                          "designated safeguarding lead'.")
    _quiet = quiet_defaults("after_disclosure", "sharing", "decided_by")

    @model_validator(mode="after")
    def _says_something(self) -> "Expectation":
        if self.outcome is None and not self.not_ and not self.categories:
            raise ValueError("an expectation names an 'outcome' (or a list of them), 'not' or 'categories'")
        if self.sharing is not None or self.decided_by is not None:
            from .rules import SHARING_OUTCOMES

            if self.outcome is not None and not set(self.outcomes()) & set(SHARING_OUTCOMES):
                raise ValueError(f"'sharing' and 'decided_by' say how information is shared, but the expected outcome "
                                 f"({' or '.join(self.outcomes())}) shares nothing: expect share or share_minimum, or "
                                 "remove them")
            if self.decided_by is not None and self.sharing not in (None, "discretion"):
                raise ValueError(f"'decided_by' names whose judgement decides, which only a discretion has, but "
                                 f"'sharing' is {self.sharing}: write 'sharing: discretion', or remove 'decided_by'")
        return self

    def outcomes(self) -> list[str]:
        """The outcomes any of which passes (empty: any outcome not forbidden)."""
        return [] if self.outcome is None else [self.outcome] if isinstance(self.outcome, str) else list(self.outcome)


class CaseRequest(Model):
    """A sharing request made at one step of a case."""

    id: Key | None = Field(None, description="Id within the step (default: its position).")
    from_: Key = Field(alias="from", description="The sending partner.")
    to: Key = Field(description="The receiving partner.")
    categories: list[DottedKey] = Field(min_length=1, description="The categories asked for.")
    purpose: Key = Field(description="Why.")
    requester: Key | None = Field(
        None, description="Who asked: the sender (a proactive disclosure), the recipient, or a third party.")
    requested_by: RequestedBy | None = Field(
        None, description="Who asked, as a relation (proactive, recipient, third_party), when no requester is named.")
    about: Key | None = Field(
        None, description="Whose data the categories are: a data subject role (docs/semantics.md section 16).")
    facts: dict[FactKey, FactValue] = Field(default_factory=dict, description="Facts for this request only.")
    expect: Expectation | None = Field(None, description="What the partnership expects.")
    note: str | None = Field(None, description="Why the partnership expects it.")

    @field_validator("facts", mode="after")
    @classmethod
    def _facts_as_text(cls, value: dict) -> dict:
        return _fact_text(value)


class CaseStep(Model):
    """One point in the case's timeline."""

    id: Key | None = Field(None, description="Id within the case (default: its position).")
    stage: Key = Field(description="The stage the case is at.")
    title: str | None = Field(None, description="What happens, in a line.")
    date: datetime.date | None = Field(
        None, description="When it happens (YYYY-MM-DD): rules that count over a window need it (semantics section 15).")
    learn: dict[FactKey, FactValue] = Field(default_factory=dict, description="Facts that come to light now.")
    requests: list[CaseRequest] = Field(default_factory=list, description="Requests made at this step.")

    @field_validator("learn", mode="after")
    @classmethod
    def _facts_as_text(cls, value: dict) -> dict:
        return _fact_text(value)


class Case(Model):
    """A synthetic family and the timeline of its case."""

    id: Key = Field(description="The case's id.")
    title: str = Field(description="A title a workshop recognises.")
    scenario: str | None = Field(None, description="Where the scenario comes from.")
    description: str | None = Field(None, description="The story, read out in a workshop.")
    family: list[FamilyMember] = Field(default_factory=list, description="Synthetic family members.")
    facts: dict[FactKey, FactValue] = Field(default_factory=dict, description="Facts known at the start.")
    steps: list[CaseStep] = Field(min_length=1, description="The timeline.")

    _source: YamlFile | PlainYamlFile | None = PrivateAttr(None)

    @property
    def file(self) -> str | None:
        """The file the case was read from, as findings name it."""
        return self._source.display if self._source else None

    def locate(self, path: tuple) -> tuple[str | None, int | None, int | None]:
        """File, line and column of a path inside the case, such as ``("steps", 0, "requests", 1, "to")``."""
        if self._source is None:
            return None, None, None
        if isinstance(self._source, PlainYamlFile):
            line, column = self._source.position(path)
        else:
            line, column = node_position(self._source.doc, path)
        return self._source.display, line, column

    @field_validator("facts", mode="after")
    @classmethod
    def _facts_as_text(cls, value: dict) -> dict:
        return _fact_text(value)

    def step_ids(self) -> list[str]:
        """Each step's id, or ``step_N`` (1-based) for a step without one."""
        return [s.id or f"step_{i + 1}" for i, s in enumerate(self.steps)]


def load_cases(path: str | Path) -> list[Case]:
    """Load every ``*.yaml`` (or ``*.yml``) case in a folder (or one case file), in file-name order.

    A protocol folder may be given: its ``cases/`` subfolder is read. Raises one
    :class:`~protocolkit.errors.ProtocolValidationError` with every problem found.
    References to the protocol (partners, categories, ...) are checked when the cases
    run, against the protocol they run on.

    Examples
    --------
    >>> import protocolkit
    >>> cases = protocolkit.load_cases(protocolkit.example_path("mash"))
    >>> cases[0].id
    'single_parent_other_adult'
    """
    from .loading import display_name

    path = Path(path)
    root = path
    if path.is_dir() and (path / "cases").is_dir():
        path = path / "cases"
    elif path.name == "cases" or not path.is_dir():
        root = path.parent.parent if path.parent.name == "cases" else path.parent
    if path.is_dir():
        try:
            files = sorted((path / name for name in os.listdir(path) if name.endswith((".yaml", ".yml"))
                            and not name.startswith(".")), key=lambda p: p.name)
        except OSError as exc:
            raise ProtocolValidationError([codes.MISSING_FILE.finding(  # file access, as for any file it cannot read
                f"cannot list the case folder: {exc.strerror or exc}", "make the folder readable",
                file=display_name(path))]) from None
    else:
        files = [path]
    cases, findings = [], []
    for file in files:
        case, problems = _load_case(file, root)
        findings += problems
        if case is not None:
            cases.append(case)
    seen: dict[str, str | None] = {}
    for case in cases:
        if case.id in seen:
            file, line, column = case.locate(("id",))
            findings.append(codes.CASE_STRUCTURE.finding(
                f"case id '{case.id}' is used by {seen[case.id]} too", "give each case its own id",
                file=file, line=line, column=column, key="id"))
        seen[case.id] = case.file
    if findings:
        raise ProtocolValidationError(findings)
    return cases


def _load_case(file: Path, root: Path) -> tuple[Case | None, list[Finding]]:
    from .loading import display_name, findings_from_validation_error

    # plain data is read fast (a case file may hold 100,000 requests); anything else, or a case with
    # problems, is read again the round-trip way, whose errors name the line
    plain = read_plain_yaml(file, display_name(file), root=root)
    if plain is not None and isinstance(plain[0], dict):
        try:
            case = Case.model_validate(plain[0])
        except ValidationError:
            pass
        else:
            case._source = plain[1]
            return case, []
    yaml_file, findings = read_yaml(file, display_name(file), root=root)
    if yaml_file is None:
        return None, findings
    if not isinstance(yaml_file.doc, CommentedMap):
        return None, [codes.CASE_STRUCTURE.finding(
            "a case file must be a mapping (id:, title:, steps:, ...)", "start the file with 'id:'",
            file=yaml_file.display, line=1, column=1)]
    try:
        case = Case.model_validate(to_plain(yaml_file.doc))
    except ValidationError as exc:
        source = SourceMap(folder=file.parent, main=yaml_file, files={yaml_file.display: yaml_file})
        return None, [
            codes.CASE_STRUCTURE.finding(f.message, f.fix, file=f.file, line=f.line, column=f.column, key=f.key)
            for f in findings_from_validation_error(exc, source, root=Case)
        ]
    case._source = yaml_file
    return case, []
