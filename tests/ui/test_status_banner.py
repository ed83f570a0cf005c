"""Issue 12 in the workbench: the review date and the signatures are flagged in plain words, with the fix.

What must be flagged comes from the issue: a protocol past its review date or within 60
days of it, and one whose signatures do not cover every partner that sends or receives.
"""

import datetime as dt
import threading

import protocolkit
from protocolkit.lifecycle.approvals import sign
from protocolkit.ui import Session, StatusBanner, Workbench

REVIEW = dt.date(2099, 1, 1)  # the small test protocol's review date


def banner_on(folder, today):
    session = Session(folder, today=today)
    banner = StatusBanner(session)
    session.wait(timeout=120)
    return session, banner


def test_past_near_and_far_review_dates(small):
    _, past = banner_on(small, REVIEW + dt.timedelta(days=3))
    assert past.notices["review"] == "error"
    assert "overdue for review" in past.review_html.value and "passed 3 days ago" in past.review_html.value
    assert "set the next review date" in past.review_html.value and "PK205" in past.review_html.value

    _, near = banner_on(small, REVIEW - dt.timedelta(days=60))
    assert near.notices["review"] == "warning"
    assert "due in 60 days" in near.review_html.value and "1 January 2099" in near.review_html.value
    assert "book the partnership's review meeting" in near.review_html.value and "PK402" in near.review_html.value

    _, far = banner_on(small, REVIEW - dt.timedelta(days=61))
    assert far.notices["review"] is None and far.review_html.value == ""


def test_partners_that_share_without_signing_are_named(small):
    protocol = protocolkit.load(small)
    sign(protocol, name="A. Example", role="Head of Information Governance", organisation="police")
    text = (small / "protocol.yaml").read_text()
    (small / "protocol.yaml").write_text(text.replace("status: draft", "status: agreed"))  # status is not signed
    session, banner = banner_on(small, dt.date(2098, 1, 1))
    assert banner.notices["signatures"] == "warning"
    html = banner.signatures_html.value.replace("&#x27;", "'")
    assert "Not every partner has signed" in html and "Testshire Children's Social Care" in html
    assert "Testshire Police" not in html  # it signed
    assert "protocolkit sign" in html and "PK403" in html

    # an edit after signing: the signatures no longer cover the protocol
    session.edit("retitle a rule", lambda p: setattr(p.rules[0], "title", "A changed title"))
    assert banner.notices["signatures"] in ("checking", "error")
    session.wait(timeout=120)
    assert banner.notices["signatures"] == "error"
    assert "changed after it was signed" in banner.signatures_html.value and "PK401" in banner.signatures_html.value


def test_a_draft_says_who_has_not_signed_as_a_note(small):
    _, banner = banner_on(small, dt.date(2098, 1, 1))
    assert banner.notices["signatures"] == "info"
    assert "Not signed yet" in banner.signatures_html.value and "Testshire Police" in banner.signatures_html.value


def test_the_workbench_and_the_workshop_page_show_the_banner(small):
    from protocolkit.workshop.page import WorkshopPage

    session = Session(small, today=REVIEW - dt.timedelta(days=10))
    bench = Workbench(session)
    assert bench.children[0] is bench.banner and "due in 10 days" in bench.banner.review_html.value
    mash = Session(protocolkit.example_path("mash"), today=dt.date(2030, 1, 1))
    page = WorkshopPage(mash)
    assert "overdue for review" in page.banner.review_html.value
    session.wait(timeout=120)
    mash.wait(timeout=120)


def test_a_slow_check_started_before_an_edit_is_never_shown(small):
    session = Session(small)
    release, shown = threading.Event(), []
    session.later(lambda p: release.wait(30) and p.rules[0].title, shown.append)
    session.edit("retitle a rule", lambda p: setattr(p.rules[0], "title", "Newer"))
    session.later(lambda p: p.rules[0].title, shown.append)
    release.set()
    session.wait(timeout=60)
    assert shown == ["Newer"]  # the first result described a version that was no longer current
