"""The stable codes of validation findings, their severity and meaning.

Codes never change meaning once published: tools, CI scripts and accepted
review marks refer to them. ``PK1xx`` are structural problems in the files,
``PK2xx`` legal-sense checks, ``PK3xx`` problems in sample case files.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import Finding, Severity


@dataclass(frozen=True)
class Code:
    """A finding code: identifier, default severity and a one-line title."""

    code: str
    severity: Severity
    title: str

    def finding(self, message: str, fix: str = "", **where) -> Finding:
        """Make a :class:`~protocolkit.errors.Finding` of this code."""
        return Finding(self.code, self.severity, message, fix, **where)


E, W = Severity.ERROR, Severity.WARNING

YAML_SYNTAX = Code("PK100", E, "the file is not valid YAML")
STRUCTURE = Code("PK101", E, "a value has the wrong type or shape")
UNKNOWN_KEY = Code("PK102", E, "a key the format does not have")
MISSING_KEY = Code("PK103", E, "a required key is missing")
UNKNOWN_REFERENCE = Code("PK110", E, "a reference to something the protocol does not define")
DUPLICATE_ID = Code("PK111", E, "two entries share one id")
CATEGORY_CYCLE = Code("PK112", E, "the category tree has a cycle")
FACT_VALUE = Code("PK113", E, "a value outside a fact's allowed set")
MISSING_FILE = Code("PK114", E, "an included file does not exist")
BAD_CONDITION = Code("PK115", E, "a condition on a fact cannot be read")
RULE_SHAPE = Code("PK116", E, "a rule's outcome lacks what it needs")
EMPTY_SCOPE = Code("PK117", W, "a rule can never match anything")
FREE_TEXT_DEADLINE = Code("PK125", Severity.INFO, "a deadline written as free text, not as a duration and an event")
CONTRADICTORY_CONSTRAINTS = Code("PK118", E, "fact constraints leave a fact value, or every case, impossible")

SPECIAL_WITHOUT_ART9 = Code("PK201", E, "special category data flows without an Art 9 condition")
CRIMINAL_WITHOUT_ART10 = Code("PK202", E, "criminal offence data flows without an Art 10 / Sch 1 condition")
PUBLIC_BODY_NO_POWER = Code("PK203", W, "a public body names no statutory power")
CONSENT_FOR_SAFEGUARDING = Code("PK204", W, "consent used as the lawful basis for safeguarding sharing")
REVIEW_DATE_PAST = Code("PK205", W, "the protocol's review date has passed")
NO_ART6_BASIS = Code("PK206", E, "a flow has no Article 6 lawful basis (nor DPA 2018 Part 3)")
OTHER_REGIME = Code("PK208", W, "a flow relies on lawful bases of the other data protection regime")
LEGITIMATE_INTERESTS_PUBLIC_BODY = Code(
    "PK207", W, "legitimate interests relied on by a public body performing its tasks"
)
# Entry-level legal checks (protocolkit.model.legal), numbered from PK210.
HEADING_CITED = Code("PK210", W, "a heading or a definition cited as if it were a lawful basis")
CONDITION_MISSING = Code("PK211", E, "a basis cited without the condition that completes it")
GATEWAY_SENDER = Code("PK212", E, "a gateway relied on by a kind of partner it does not cover")
GATEWAY_RECIPIENT = Code("PK213", E, "a gateway relied on to share with a recipient it does not reach")
GATEWAY_PURPOSE = Code("PK214", E, "a gateway or regime relied on for a purpose it does not serve")
PUBLIC_TASK_NO_LAW = Code("PK215", E, "public task with no basis in law the sender can use")
CONSENT_CONDITION = Code("PK216", E, "a without-consent condition relied on where consent is given")
NO_POLICY_DOCUMENT = Code("PK217", W, "a condition that needs an appropriate policy document, and none named")
NO_RETENTION = Code("PK218", W, "a partner receives data no retention statement covers")
NO_DPIA = Code("PK219", E, "data matching with no DPIA reference")
NOT_IN_FORCE = Code("PK220", W, "a provision not yet in force relied on")
NOTICE_OPTIONAL = Code("PK221", E, "a notice that compels disclosure treated as optional")
# Review patterns a validator can see (protocolkit.model.patterns).
GILLICK_TO_FAMILY = Code("PK222", E, "a competent young person's refusal overridden for a parent or relative")
CONTACT_ON_ANOTHERS_FACTS = Code("PK223", E, "someone's contact details gated on another person's facts")
CLOSURE_REFUSES_TRANSFER = Code("PK224", W, "closure refuses a case transfer to or from another area")
MEETING_AS_CONTROLLER = Code("PK225", E, "a multi-agency meeting recorded as a controller")
COUNCIL_AS_CONTROLLERS = Code("PK226", W, "services of one council recorded as separate controllers")
NAMED_NOT_DECLARED = Code(
    "PK227", W, "a partner named like a meeting or a council's service, with no data saying which it is")
CONTACT_ON_ANOTHERS_RATING = Code("PK228", W, "someone's contact details decided on another person's risk rating")

CASE_STRUCTURE = Code("PK301", E, "a sample case file has the wrong shape")
CASE_UNKNOWN_REFERENCE = Code("PK302", E, "a sample case names something the protocol lacks")
CASE_IMPOSSIBLE_FACTS = Code("PK303", E, "a sample case states facts the protocol's fact constraints rule out")

ALL_CODES: dict[str, Code] = {
    c.code: c for c in list(globals().values()) if isinstance(c, Code)
}

# PK4xx: the protocol's lifecycle (sign-off, versions, review dates)
EDITED_SINCE_SIGNED = Code("PK401", E, "an agreed or published protocol was edited after it was signed")
REVIEW_DATE_NEAR = Code("PK402", W, "the protocol's review date is within 60 days")
UNSIGNED_PARTNER = Code("PK403", W, "a partner that sends or receives information has not signed this version")
