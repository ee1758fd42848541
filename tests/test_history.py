"""The history panel reads as people read: labelled fields, values by name (never a database id), local times,
pages of 20 newest first, and downloads collapsed to one row per day and user."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from core.admin import AuditedAdminMixin
from core.audit import audit, audit_many
from core.audit_labels import ACTION_LABELS, action_label
from core.models import AuditEvent
from core.selectors import HISTORY_PAGE_SIZE, history_page
from households.models import Hamlet, Household, Member
from households.services import household_update
from surveys import approval
from surveys.models import Assessment, CommuneList
from tests.factories import FOUR, POOR_INCOME, assess, default_members, fill_commune, make_household, record_procedure

UTC = datetime.UTC
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _english_messages():
    # Messages are checked in English (the msgids); one test reads the page in Vietnamese.
    with translation.override("en"):
        yield


def _page(client, url, lang="en", **params) -> str:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
    response = client.get(url, params)
    assert response.status_code == 200
    section = re.search(r'<section class="card history".*?</section>', response.content.decode(), re.S)
    assert section is not None
    return section.group(0)


def _actions(html: str) -> list[str]:
    return re.findall(r'<tr data-action="([^"]+)"', html)


def _labels(html: str) -> list[str]:
    return re.findall(r"<dt>(.*?)</dt>", html)


def _set_time(event: AuditEvent, when: datetime.datetime) -> None:
    AuditEvent.objects.filter(pk=event.pk).update(created_at=when)  # events are append-only; tests move them in time


@pytest.fixture
def household(officer_a, commune_a, round_2024):
    household = make_household(officer_a, commune_a, code="HIST-1", hamlet_name="Khu phố 1")
    assess(officer_a, household, round_2024, POOR_INCOME, FOUR)
    return household


# --- labels and values -------------------------------------------------------------------------------------


def test_fields_are_labelled_and_values_shown_by_name(client, officer_a, commune_a, household):
    old_hamlet = household.hamlet
    new_hamlet = Hamlet.objects.create(commune=commune_a, name="Khu phố 9")
    members = default_members()
    members[0].able_to_work = False
    household_update(actor=officer_a, household=household, hamlet=new_hamlet, members=members, reason="Chuyển thôn")
    client.force_login(officer_a)
    html = _page(client, reverse("household-detail", args=[household.code]))
    labels = _labels(html)
    # Labels are the fields' verbose names, never the stored keys.
    assert {"Hamlet", "Category", "Income per person per month (VND)", "Deprived indicators"} <= set(labels)
    assert not [label for label in labels if "_" in label or label in ("hamlet", "income_per_capita", "members")]
    for raw in ("income_per_capita", "head_name", "able_to_work", "deprived_count", "near_poor"):
        assert raw not in html
    # Foreign keys by name, choices by label, money grouped, indicators by name, booleans as Yes/No.
    assert '<span class="before">Khu phố 1</span> → <span class="after">Khu phố 9</span>' in html
    hamlet_values = [re.sub(r"<[^>]+>", "", dd) for dd in re.findall(r"<dt>Hamlet</dt><dd>(.*?)</dd>", html)]
    # The household's and its assessment's moves, then the assessment's and the household's registration.
    assert hamlet_values == ["Khu phố 1 → Khu phố 9"] * 2 + ["Khu phố 1"] * 2
    assert old_hamlet.name == "Khu phố 1" and new_hamlet.pk != old_hamlet.pk
    assert ">Poor<" in html and "1.000.000 ₫" in html and "Health insurance" in html
    assert "Members · Nguyễn Văn Hùng" in html
    assert '<span class="before">Able to work: Yes</span> → <span class="after">Able to work: No</span>' in html


def test_an_id_that_names_no_row_shows_a_dash_not_the_number(client, officer_a, household):
    audit(
        actor=officer_a,
        action="household.updated",
        target=household,
        changes={"hamlet": ["987654", str(household.hamlet_id)], "merged_into": [None, "876543"]},
    )
    client.force_login(officer_a)
    html = _page(client, reverse("household-detail", args=[household.code]))
    assert "987654" not in html and "876543" not in html
    assert '<span class="before">—</span> → <span class="after">Khu phố 1</span>' in html
    assert '<dt>Merged into</dt><dd><span class="before">—</span> → <span class="after">—</span>' in html


def test_the_vietnamese_page_uses_the_translated_field_and_choice_labels(client, officer_a, household):
    with translation.override("vi"):
        income = str(Assessment._meta.get_field("income_per_capita").verbose_name)
        poor = str(dict(Assessment._meta.get_field("category").flatchoices)["poor"])
        able = str(Member._meta.get_field("able_to_work").verbose_name)
    assert income != "income per person per month (VND)" and poor != "Poor"  # translations exist
    client.force_login(officer_a)
    html = _page(client, reverse("household-detail", args=[household.code]), lang="vi")
    assert income[0].upper() + income[1:] in html and f">{poor}<" in html
    assert able != "able to work" and able[0].upper() + able[1:] in html  # the members on registration
    assert "income_per_capita" not in html


def test_every_action_written_has_a_label(client):
    """Actions are named once, in core.audit_actions.AuditAction, with their labels: no module writes one as a
    string, and the admin's "<model>.created|updated|deleted" are members too."""
    from core.audit_actions import AuditAction

    strings, used = {}, set()
    for folder in ("core", "households", "surveys", "dedupe", "dci", "offline"):
        for path in (ROOT / folder).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            source = path.read_text(encoding="utf-8")
            found = re.findall(r'\baction\s*=\s*"([a-z_]+\.[a-z_]+)"', source)
            if found:
                strings[str(path.relative_to(ROOT))] = found
            used |= set(re.findall(r"\bAuditAction\.([A-Z_]+)\b", source))
            used |= {f"EXPORT_{what.upper()}" for what in re.findall(r'audit_export\([^)]*\bwhat="([a-z_]+)"', source)}
    assert strings == {}
    assert {"HOUSEHOLD_CREATED", "COMMUNE_LIST_APPROVED", "EXPORT_POSTING_LIST", "SURVEY_IMPORTED"} <= used
    assert sorted(used - set(AuditAction.names)) == []
    admin_actions = set()
    for model_admin in admin.site._registry.values():
        if isinstance(model_admin, AuditedAdminMixin):
            admin_actions |= {f"{model_admin._audit_prefix()}.{verb}" for verb in ("created", "updated", "deleted")}
    assert "criteriaset.updated" in admin_actions
    assert sorted(admin_actions - set(AuditAction.values)) == []
    assert set(ACTION_LABELS) == set(AuditAction.values)
    # An action nobody labelled yet (an event stored before its action was renamed) still reads as words.
    assert action_label("benefit_card.reissued") == "Benefit card: reissued"
    assert action_label("export.benefit_cards") == "Downloaded: benefit cards"


# --- time ----------------------------------------------------------------------------------------------------


def test_times_are_local_and_day_first(client, officer_a, household):
    assert settings.TIME_ZONE == "Asia/Ho_Chi_Minh"
    event = AuditEvent.objects.filter(action="household.created", target_id=str(household.pk)).get()
    _set_time(event, datetime.datetime(2024, 10, 1, 20, 30, tzinfo=UTC))  # 03:30 the next morning in Viet Nam
    client.force_login(officer_a)
    html = _page(client, reverse("household-detail", args=[household.code]))
    assert ">02/10/2024 03:30</time>" in html and "20:30" not in html


def test_the_list_history_shows_statuses_people_and_local_times(client, officer_a, district_officer, commune_a, round_2024):
    fill_commune(officer_a, commune_a, round_2024, hamlets=("Khu phố 1",))
    commune_list = approval.commune_list_get_or_create(actor=officer_a, round=round_2024, commune=commune_a)
    record_procedure(officer_a, commune_list)
    approval.commune_list_submit(actor=officer_a, commune_list=commune_list)
    approval.commune_list_return(actor=district_officer, commune_list=commune_list, reason="Thiếu biên bản")
    submitted_at = CommuneList.objects.get(pk=commune_list.pk).submitted_at
    client.force_login(officer_a)
    html = _page(client, reverse("approval:detail", args=[round_2024.code, commune_a.code]))
    assert '<span class="before">Draft</span> → <span class="after">Submitted by the commune</span>' in html
    assert "<dt>Submitted by</dt>" in html and "officer_a" in html
    assert timezone.localtime(submitted_at).strftime("%d/%m/%Y %H:%M") in html
    assert "Hamlet meeting recorded" in html and "Khu phố 1" in html
    assert not re.search(r"\d{4}-\d{2}-\d{2}", re.sub(r'datetime="[^"]*"', "", html))  # dates read dd/mm/yyyy
    assert not [label for label in _labels(html) if "_" in label]


# --- pages ---------------------------------------------------------------------------------------------------


def test_history_shows_the_newest_twenty_with_links_to_older_pages(client, officer_a, household):
    audit_many(
        actor=officer_a,
        action="household.updated",
        items=[(household, {"address": [f"Số {i}", f"Số {i + 1}"]}) for i in range(30)],
    )
    total = AuditEvent.objects.filter(target_type="households.household", target_id=str(household.pk)).count()
    total += 1  # the assessment
    assert total == 32
    client.force_login(officer_a)
    url = reverse("household-detail", args=[household.code])
    first = _page(client, url, tab="members")
    assert len(_actions(first)) == HISTORY_PAGE_SIZE == 20
    assert "Số 30" in first and "Số 5<" not in first  # newest first
    assert 'href="?tab=members&amp;history_page=2#history-title"' in first and "Page 1 of 2" in first
    assert "<script" not in first
    second = _page(client, url, tab="members", history_page="2")
    assert len(_actions(second)) == total - 20
    assert _actions(second)[-1] == "household.created"
    assert 'href="?tab=members&amp;history_page=1#history-title"' in second and "Older events" not in second
    # A page past the end (an old link) or a garbled one shows the newest page.
    assert _actions(_page(client, url, history_page="99")) == _actions(first)
    assert _actions(_page(client, url, history_page="abc")) == _actions(first)


def test_names_cost_one_query_per_kind_of_row_not_per_event(officer_a, commune_a, household, django_assert_max_num_queries):
    other = Hamlet.objects.create(commune=commune_a, name="Khu phố 7")
    here = str(household.hamlet_id)

    def moves(n):
        audit_many(
            actor=officer_a,
            action="household.updated",
            items=[(household, {"hamlet": [here, str(other.pk)] if i % 2 else [str(other.pk), here]}) for i in range(n)],
        )

    def queries() -> int:
        loaded = Household.objects.select_related("commune", "hamlet").get(pk=household.pk)
        with CaptureQueriesContext(connection) as captured:
            page = history_page(loaded, officer_a)
        moved = [line for e in page if e.action == "household.updated" for line in e.change_lines if line.label == "Hamlet"]
        assert moved and all({line.before, line.after} == {"Khu phố 1", "Khu phố 7"} for line in moved)
        return len(captured)

    moves(2)
    queries()  # the visible communes are read once per user object (once per request), then reused
    few = queries()
    moves(15)
    assert queries() == few
    # May the user see it, its assessments' and appeals' ids, the events, the other hamlet's name, the indicators'.
    assert few <= 6


# --- downloads -----------------------------------------------------------------------------------------------


def test_downloads_collapse_to_one_row_per_local_day_and_user(client, officer_a, chairman_a, commune_a, round_2024):
    fill_commune(officer_a, commune_a, round_2024, hamlets=("Khu phố 1",))
    approval.commune_list_get_or_create(actor=officer_a, round=round_2024, commune=commune_a)
    args = [round_2024.code, commune_a.code]
    client.force_login(officer_a)
    for name in ("posting_xlsx", "posting_xlsx", "posting_xlsx", "print_recognition"):
        assert client.get(reverse(f"approval:{name}", args=args)).status_code == 200
    officer_downloads = list(AuditEvent.objects.filter(action__startswith="export.", actor_username="officer_a").order_by("id"))
    assert len(officer_downloads) == 4  # every download is still audited
    # Local days, not UTC days: the first is late on 1 October in Viet Nam; the other three on 2 October.
    for event, when in zip(
        officer_downloads,
        [
            datetime.datetime(2024, 10, 1, 16, 30, tzinfo=UTC),
            datetime.datetime(2024, 10, 1, 18, 0, tzinfo=UTC),
            datetime.datetime(2024, 10, 2, 10, 0, tzinfo=UTC),
            datetime.datetime(2024, 10, 2, 16, 0, tzinfo=UTC),
        ],
        strict=True,
    ):
        _set_time(event, when)
    client.force_login(chairman_a)
    client.get(reverse("approval:posting_xlsx", args=args))
    html = _page(client, reverse("approval:detail", args=args))
    rows = re.findall(
        r'<tr data-action="export" data-downloads="(\d+)">\s*<td><time[^>]*>([^<]*)</time></td>\s*<td>([^<]*)</td>', html
    )
    assert rows == [
        ("1", timezone.localdate().strftime("%d/%m/%Y"), "chairman_a"),
        ("3", "02/10/2024", "officer_a"),
        ("1", "01/10/2024", "officer_a"),
    ]
    assert "Downloaded 3 times" in html and "Downloaded 1 time<" in html
    assert "Posting list downloaded (2) · Recognition list downloaded" in html
    assert "export.posting_list" not in html and "export.recognition_list" not in html
    assert "commune_list.created" in _actions(html)
