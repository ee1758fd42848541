"""The audit trail: one event per change (services and admin), the scoped history panel, audited exports."""

from __future__ import annotations

import datetime
import io

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from core.models import AuditEvent
from core.selectors import audit_events_for
from households.models import Assignment, Role
from surveys import approval
from surveys.models import CriteriaSet, Denominator, Rule
from tests.factories import FOUR, POOR_INCOME, assess, fill_commune, make_household, make_user, record_procedure


@pytest.fixture(autouse=True)
def _english_messages():
    # Messages are checked in English; the same code paths answer in Vietnamese by default.
    with translation.override("en"):
        yield


@pytest.fixture
def root(db):
    return make_user("root", is_superuser=True, is_staff=True)


def admin_form_data(response, **overrides) -> dict:
    """The POST data the admin change page would send unchanged, with `overrides` applied."""
    data: dict = {}

    def put(bound):
        value = bound.value()
        if value is None or value is False:
            return
        if value is True:
            value = "on"
        data[bound.html_name] = value if isinstance(value, (list, tuple)) else str(value)

    form = response.context["adminform"].form
    for name in form.fields:
        put(form[name])
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for name in formset.management_form.fields:
            put(formset.management_form[name])
        for sub in formset.forms:
            for name in sub.fields:
                put(sub[name])
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


# --- history panel -----------------------------------------------------------------------------------------


def test_list_history_gathers_revisions_steps_and_appeals_and_is_scoped(officer_a, officer_b, department, commune_a, round_2024):
    households = fill_commune(officer_a, commune_a, round_2024, hamlets=("Khu phố 1",))
    commune_list = approval.commune_list_get_or_create(actor=officer_a, round=round_2024, commune=commune_a)
    record_procedure(officer_a, commune_list)
    appeal = approval.appeal_lodge(actor=officer_a, household=households[0], round=round_2024, complaint="Khiếu nại")
    actions = [e.action for e in audit_events_for(commune_list, officer_a)]
    assert actions[0] == "appeal.lodged" and "hamlet_meeting.recorded" in actions and "public_posting.recorded" in actions
    assert "commune_list.created" in actions and "assessment.created" not in actions
    assert audit_events_for(commune_list, officer_b) == []
    assert audit_events_for(commune_list, department)[0].action_label == "Appeal lodged"
    # A household's history includes its assessments and appeals; an assessment's includes its appeals.
    household_actions = {e.action for e in audit_events_for(households[0], officer_a)}
    assert {"household.created", "assessment.created", "appeal.lodged"} <= household_actions
    assert {e.action for e in audit_events_for(appeal.assessment, officer_a)} == {"assessment.created", "appeal.lodged"}
    assert audit_events_for(households[0], officer_b) == []


def test_history_panel_shows_time_actor_action_changes_and_reason(officer_a, district_officer, commune_a, round_2024):
    fill_commune(officer_a, commune_a, round_2024, hamlets=("Khu phố 1",))
    commune_list = approval.commune_list_get_or_create(actor=officer_a, round=round_2024, commune=commune_a)
    record_procedure(officer_a, commune_list)
    approval.commune_list_submit(actor=officer_a, commune_list=commune_list)
    approval.commune_list_return(actor=district_officer, commune_list=commune_list, reason="Thiếu biên bản <họp>")
    html = render_to_string("core/history.html", {"events": audit_events_for(commune_list, officer_a)})
    assert 'data-action="commune_list.returned"' in html and "district_a" in html
    assert "submitted" in html and "returned" in html and "→" in html
    assert "Thiếu biên bản &lt;họp&gt;" in html  # escaped
    assert "<time datetime=" in html


# --- every service write: one event ------------------------------------------------------------------------


def test_one_event_per_service_write(officer_a, district_officer, department, commune_a, round_2024):
    fill_commune(officer_a, commune_a, round_2024, hamlets=("Khu phố 1",))
    before = AuditEvent.objects.count()
    commune_list = approval.commune_list_get_or_create(actor=officer_a, round=round_2024, commune=commune_a)
    record_procedure(officer_a, commune_list)  # one meeting (one hamlet) + one posting + the chairman's decision
    approval.commune_list_submit(actor=officer_a, commune_list=commune_list)
    approval.commune_list_review(actor=district_officer, commune_list=commune_list)
    approval.commune_list_approve(actor=department, commune_list=commune_list)
    approval.commune_list_open_revision(actor=department, commune_list=commune_list, reason="Sửa")
    actions = list(AuditEvent.objects.filter(pk__gt=0).order_by("id").values_list("action", flat=True))[before:]
    assert actions == [
        "commune_list.created",
        "hamlet_meeting.recorded",
        "public_posting.recorded",
        "commune_list.recognised",
        "commune_list.submitted",
        "commune_list.district_reviewed",
        "commune_list.approved",
        "commune_list.revision_opened",
    ]
    for event in AuditEvent.objects.filter(action__startswith="commune_list.").exclude(action="commune_list.created"):
        assert event.actor is not None and event.actor_username and event.changes


# --- admin writes are audited ------------------------------------------------------------------------------


def test_household_edited_in_admin_is_audited_once_with_members(client, root, officer_a, commune_a, round_2024):
    household = make_household(officer_a, commune_a)
    assessment = assess(officer_a, household, round_2024, POOR_INCOME, FOUR)
    client.force_login(root)
    change = reverse("admin:households_household_change", args=[household.pk])
    page = client.get(change)
    data = admin_form_data(
        page,
        head_name="Trần Thị Lan",
        **{"members-0-able_to_work": None, "members-1-able_to_work": None, "members-2-able_to_work": None},
    )
    before = AuditEvent.objects.count()
    response = client.post(change, data)
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    household.refresh_from_db()
    assert household.head_name == "Trần Thị Lan" and household.version == 2
    event = AuditEvent.objects.get(action="household.updated")
    assert event.changes["head_name"] == ["Nguyễn Văn Hùng", "Trần Thị Lan"] and event.reason == "admin"
    old_members, new_members = event.changes["members"]
    assert [m["able_to_work"] for m in old_members] == [True] * 3 and [m["able_to_work"] for m in new_members] == [False] * 3
    # The members changed, so the open assessment was recomputed (and audited by its service).
    assessment.refresh_from_db()
    assert assessment.able_to_work_count == 0 and assessment.group == "social_protection"
    assert AuditEvent.objects.count() == before + 2
    # Saving again with no change writes nothing.
    client.post(change, admin_form_data(client.get(change)))
    assert AuditEvent.objects.count() == before + 2


def test_assignments_in_admin_are_audited(client, root, officer_b, commune_a):
    client.force_login(root)
    response = client.post(
        reverse("admin:households_assignment_add"), {"user": officer_b.pk, "unit": commune_a.pk, "role": Role.COMMUNE_CHAIRMAN}
    )
    assert response.status_code == 302
    assignment = Assignment.objects.get(user=officer_b, unit=commune_a)
    created = AuditEvent.objects.get(action="assignment.created")
    assert created.changes["role"] == [None, "commune_chairman"] and created.target_id == str(assignment.pk)
    client.post(reverse("admin:households_assignment_delete", args=[assignment.pk]), {"post": "yes"})
    assert not Assignment.objects.filter(pk=assignment.pk).exists()
    deleted = AuditEvent.objects.get(action="assignment.deleted")
    assert deleted.changes["role"] == ["commune_chairman", None] and deleted.actor == root


def test_criteria_set_edited_in_admin_is_audited_with_rule_changes(client, root):
    draft = CriteriaSet.objects.get(code="VN-2016")
    client.force_login(root)
    change = reverse("admin:surveys_criteriaset_change", args=[draft.pk])
    page = client.get(change)
    rule_forms = page.context["inline_admin_formsets"][1].formset.forms
    first = rule_forms[0]
    new_upto = (first.instance.income_upto or 0) + 1
    response = client.post(change, admin_form_data(page, notes="Đã kiểm tra", **{f"{first.prefix}-income_upto": str(new_upto)}))
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="criteriaset.updated")
    assert event.changes["notes"][1] == "Đã kiểm tra"
    old_rules, new_rules = event.changes["rules"]
    assert len(old_rules) == 1 and new_rules[0]["income_upto"] == new_upto
    draft.refresh_from_db()
    assert draft.version == 2


def test_criteria_set_of_an_approved_list_keeps_its_rule_table(
    client, root, officer_a, district_officer, department, commune_a, round_2024
):
    fill_commune(officer_a, commune_a, round_2024, hamlets=("Khu phố 1",))
    commune_list = approval.commune_list_get_or_create(actor=officer_a, round=round_2024, commune=commune_a)
    record_procedure(officer_a, commune_list)
    approval.commune_list_submit(actor=officer_a, commune_list=commune_list)
    approval.commune_list_review(actor=district_officer, commune_list=commune_list)
    approval.commune_list_approve(actor=department, commune_list=commune_list)
    frozen = round_2024.criteria_set
    rule = Rule.objects.filter(criteria_set=frozen).order_by("area_type", "position").first()
    client.force_login(root)
    change = reverse("admin:surveys_criteriaset_change", args=[frozen.pk])
    page = client.get(change)
    rules_inline = page.context["inline_admin_formsets"][1]
    assert not rules_inline.has_change_permission and not rules_inline.has_add_permission
    data = admin_form_data(page, notes="Ghi chú mới", group_rule="no_member_able")
    data.update({"rules-0-income_upto": "1", "rules-0-id": str(rule.pk)})
    response = client.post(change, data)
    assert response.status_code == 302
    frozen.refresh_from_db()
    rule.refresh_from_db()
    assert frozen.notes == "Ghi chú mới" and frozen.group_rule == "all_sp_or_unable" and rule.income_upto != 1


def test_denominator_edited_in_admin_is_audited(client, root, round_2024, commune_a):
    denominator = Denominator.objects.create(round=round_2024, commune=commune_a, total_households=100)
    client.force_login(root)
    change = reverse("admin:surveys_denominator_change", args=[denominator.pk])
    response = client.post(change, admin_form_data(client.get(change), total_households="120"))
    assert response.status_code == 302
    assert AuditEvent.objects.get(action="denominator.updated").changes == {"total_households": [100, 120]}


# --- exports of personal data ------------------------------------------------------------------------------


def test_xlsx_exports_are_audited_and_neutralise_formulas(client, officer_a, commune_a, round_2024):
    household = make_household(officer_a, commune_a, hamlet_name="Khu phố 1")
    household.head_name = '=HYPERLINK("http://x")'
    household.save()
    assess(officer_a, household, round_2024, POOR_INCOME, FOUR)
    client.force_login(officer_a)
    response = client.get(reverse("approval:posting_xlsx", args=[round_2024.code, commune_a.code]))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][0] == household.code and rows[1][1] == '\'=HYPERLINK("http://x")'
    event = AuditEvent.objects.get(action="export.posting_list")
    assert event.actor == officer_a and event.changes == {"rows": [None, 1], "format": [None, "xlsx"]}
    recognition = client.get(reverse("approval:recognition_xlsx", args=[round_2024.code, commune_a.code]))
    assert len(load_workbook(io.BytesIO(b"".join(recognition.streaming_content))).sheetnames) == 3
    assert AuditEvent.objects.filter(action="export.recognition_list").count() == 1


def test_recognition_list_shows_escaped_households(client, officer_a, department, commune_a, province, round_2024):
    from surveys.rounds import round_create

    round_2025 = round_create(
        actor=department,
        code="BD-2025",
        year=2025,
        criteria_set=round_2024.criteria_set,
        province=province,
        starts_on=datetime.date(2025, 9, 1),
        ends_on=datetime.date(2025, 12, 14),
    )
    escaped = make_household(officer_a, commune_a)
    stays = make_household(officer_a, commune_a)
    assess(officer_a, escaped, round_2024, POOR_INCOME, FOUR)
    assess(officer_a, stays, round_2024, POOR_INCOME, FOUR)
    assess(officer_a, escaped, round_2025, 9_000_000)
    assess(officer_a, stays, round_2025, POOR_INCOME, FOUR)
    client.force_login(officer_a)
    page = client.get(reverse("approval:print_recognition", args=[round_2025.code, commune_a.code]))
    assert [a.household for a in page.context["escaped"]] == [escaped]
    assert [a.household for a in page.context["poor"]] == [stays]
    assert b"@media print" in page.content


def test_printable_lists_are_audited_as_exports(client, officer_a, commune_a, round_2024):
    household = make_household(officer_a, commune_a)
    assess(officer_a, household, round_2024, POOR_INCOME, FOUR)
    client.force_login(officer_a)
    client.get(reverse("approval:print_posting", args=[round_2024.code, commune_a.code]))
    client.get(reverse("approval:print_recognition", args=[round_2024.code, commune_a.code]))
    events = {e.action: e.changes for e in AuditEvent.objects.filter(action__startswith="export.")}
    assert events == {
        "export.posting_list": {"rows": [None, 1], "format": [None, "print"]},
        "export.recognition_list": {"rows": [None, 1], "format": [None, "print"]},
    }


def test_an_unnamed_action_is_refused(province):
    """Every intent is an AuditAction with its label: a typo in an action name fails at once, not in the history panel."""
    from core.audit import audit
    from core.audit_actions import AuditAction

    with pytest.raises(ValueError):
        audit(actor=None, action="household.creatd", target=province)
    assert not AuditEvent.objects.filter(action="household.creatd").exists()
    assert audit(actor=None, action=AuditAction.ADMINUNIT_UPDATED, target=province).action == "adminunit.updated"
    from django.utils import translation

    with translation.override("vi"):
        assert str(AuditAction.HOUSEHOLD_CREATED.label) == "Đăng ký hộ gia đình"
