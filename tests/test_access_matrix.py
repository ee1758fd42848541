"""Every route × every persona (from Django's URL resolver; a new route not in ROUTES fails the test).

The private household lives in commune A (Binh Duong, 74). Personas: anonymous; the officer, chairman and
district officer over A; an officer of another commune (B); department staff of 74 and of another
province (75); an API reader; a user without any role. For each route the table says who may read it:
- "public": anyone;
- "personal": the personal data of commune A: its officer, chairman, district and department staff read
  it; everyone else gets no page of it (401/403/404, or a login redirect) and never sees a name, code,
  citizen ID or income of it;
- "list": personal data filtered by scope: every signed-in role gets a page, but only A's people see A;
- "aggregate": numbers only (any role; live numbers only for the province's own department staff);
- "staff": department staff only.
The web pages and the API give the same answers to the same question (checked for live numbers).
"""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from households.models import AdminUnit, Member, Role, Structure
from households.units import load_legacy
from surveys.models import CommuneList
from tests.factories import assess, make_household, make_user

pytestmark = pytest.mark.django_db

CODE, CID = "A-PRIVATE", "074199900001"
R = "BD-2024"
A = "25747"

# name → (class, path, method); the path's {code}/{round}/{commune} are filled in below.
ROUTES = {
    "set_language": ("public", "/i18n/setlang/", "post"),
    "javascript-catalog": ("public", "/jsi18n/", "get"),
    "login": ("public", "/accounts/login/", "get"),
    "logout": ("public", "/accounts/logout/", "post"),
    "two-factor": ("signed_in", "/accounts/2fa/", "get"),
    "password_change": ("signed_in", "/accounts/password_change/", "get"),
    "password_change_done": ("signed_in", "/accounts/password_change/done/", "get"),
    "api-root": ("signed_in", "/api/v1/", "get"),
    "api-schema": ("public", "/api/schema/", "get"),
    "api-docs": ("public", "/api/docs/", "get"),
    "api-redoc": ("public", "/api/redoc/", "get"),
    "api-token": ("public", "/api/v1/auth/token/", "post"),
    "api-tokens": ("signed_in", "/api/v1/auth/tokens/", "get"),  # the caller's own tokens
    "api-token-revoke": ("signed_in", "/api/v1/auth/tokens/abcdefgh/", "delete"),
    "api-classify": ("aggregate", "/api/v1/classify/", "post"),
    "api-rates": ("aggregate", f"/api/v1/rates/?round={R}&unit=74&level=commune", "get"),
    "api-flows": ("aggregate", f"/api/v1/flows/?round={R}&unit=74&level=commune", "get"),
    "api-changes": ("list", "/api/v1/changes/", "get"),  # household-level changes only where the caller reads personal data
    "criteria-set-list": ("signed_in", "/api/v1/criteria-sets/", "get"),
    "criteria-set-detail": ("signed_in", "/api/v1/criteria-sets/VN-2022/", "get"),
    "unit-list": ("signed_in", "/api/v1/units/?code=74", "get"),
    "unit-detail": ("signed_in", "/api/v1/units/74/", "get"),
    "round-list": ("signed_in", "/api/v1/rounds/", "get"),
    "round-detail": ("signed_in", f"/api/v1/rounds/{R}/", "get"),
    "household-list": ("list", "/api/v1/households/", "get"),
    "household-detail": ("personal", f"/api/v1/households/{CODE}/", "get"),
    "household-audit": ("personal", f"/api/v1/households/{CODE}/audit/", "get"),
    "household-set-status": ("personal_write", f"/api/v1/households/{CODE}/status/", "post"),
    "assessment-list": ("list", f"/api/v1/assessments/?round={R}", "get"),
    "assessment-detail": ("personal", f"/api/v1/assessments/{R}/{CODE}/", "get"),
    "assessment-audit": ("personal", f"/api/v1/assessments/{R}/{CODE}/audit/", "get"),
    "commune-list-list": ("signed_in", "/api/v1/commune-lists/", "get"),  # communes and counts, no household
    "commune-list-bulk": ("list", "/api/v1/commune-lists/bulk/", "post"),  # per-list outcomes, no household
    "commune-list-detail": ("personal", f"/api/v1/commune-lists/{R}/{A}/", "get"),
    "commune-list-audit": ("personal", f"/api/v1/commune-lists/{R}/{A}/audit/", "get"),
    "commune-list-entries": ("personal", f"/api/v1/commune-lists/BD-2023/{A}/entries/", "get"),
    "commune-list-meetings": ("personal", f"/api/v1/commune-lists/{R}/{A}/meetings/", "get"),
    "commune-list-postings": ("personal", f"/api/v1/commune-lists/{R}/{A}/postings/", "get"),
    "commune-list-recognition": ("personal_write", f"/api/v1/commune-lists/{R}/{A}/recognition/", "post"),
    "application-list": ("list", "/api/v1/applications/", "get"),
    "applications": ("list", "/lists/applications/", "get"),
    "application_add": ("list", "/lists/applications/new/", "post"),  # the household is named in the form
    "application_decide": ("personal_write", "/lists/applications/1/decide/", "post"),
    "application-decide": ("personal_write", "/api/v1/applications/1/decide/", "post"),
    "lists-in-force": ("list", f"/api/v1/lists-in-force/?unit={A}&date=2026-01-01", "get"),
    # DCI search (a JSON message; the form post here is refused, 415): tests/test_dci.py tries it by scope and role
    "dci-sync-search": ("list", "/api/v1/dci/registry/sync/search", "post"),
    "commune-list-submit": ("personal_write", f"/api/v1/commune-lists/{R}/{A}/submit/", "post"),
    "commune-list-review": ("personal_write", f"/api/v1/commune-lists/{R}/{A}/review/", "post"),
    "commune-list-approve": ("personal_write", f"/api/v1/commune-lists/{R}/{A}/approve/", "post"),
    "commune-list-return": ("personal_write", f"/api/v1/commune-lists/{R}/{A}/return/", "post"),
    "commune-list-open-revision": ("personal_write", f"/api/v1/commune-lists/{R}/{A}/open-revision/", "post"),
    # web pages
    "dashboard": ("signed_in", "/", "get"),
    "household-create": ("signed_in", "/households/new/", "get"),
    "household-edit": ("personal", f"/households/{CODE}/edit/", "get"),
    "household-status": ("personal_write", f"/households/{CODE}/status/", "post"),
    "hamlet-options": ("personal", "/hamlets/options/?commune={commune_pk}", "get"),
    "units-rehome": ("staff", "/units/rehome/", "get"),
    "data-quality": ("list", "/quality/", "get"),
    "assessment-entry": ("personal", f"/households/{CODE}/assessment/", "get"),
    "assessment-preview": (
        "personal",
        f"/households/{CODE}/assessment/preview/",
        "post",
        {"round": R, "income_per_capita": "1000"},
    ),
    "index": ("signed_in", "/lists/", "get"),
    "queue": ("signed_in", "/lists/queue/", "get"),
    "queue-bulk": ("list", "/lists/queue/bulk/", "post", {"action": "approve", "lists": f"{R}|{A}|1"}),
    "appeals": ("list", "/lists/appeals/", "get"),
    "appeal_new": ("signed_in", "/lists/appeals/new/", "get"),
    "appeal": ("personal", "/lists/appeals/{appeal_pk}/", "get"),
    "overview": ("list", f"/lists/{R}/", "get"),
    "detail": ("personal", f"/lists/{R}/{A}/", "get"),
    "start": ("personal_write", f"/lists/{R}/{A}/start/", "post"),
    "meeting_add": ("personal_write", f"/lists/{R}/{A}/meetings/", "post"),
    "posting_add": ("personal_write", f"/lists/{R}/{A}/postings/", "post"),
    "recognition_add": ("personal_write", f"/lists/{R}/{A}/recognition/record/", "post"),
    "certificate": ("personal", f"/lists/BD-2023/{A}/certificate/{CODE}/", "get"),  # poor on BD-2023's approved list
    "round_decision": ("staff", f"/lists/{R}/decision/", "post"),
    "round_decision_file": ("signed_in", f"/lists/{R}/decision/1/file/", "get"),
    "step_withdraw": ("personal_write", f"/lists/{R}/{A}/postings/1/withdraw/", "post"),
    "print_posting": ("personal", f"/lists/{R}/{A}/posting/", "get"),
    "posting_xlsx": ("personal", f"/lists/{R}/{A}/posting.xlsx", "get"),
    "print_recognition": ("personal", f"/lists/{R}/{A}/recognition/", "get"),
    "recognition_xlsx": ("personal", f"/lists/{R}/{A}/recognition.xlsx", "get"),
    "transition": ("personal_write", f"/lists/{R}/{A}/submit/", "post"),
    "rates": ("aggregate", f"/reports/rates/?round={R}", "get"),
    "dashboard-charts": ("aggregate", "/reports/dashboard-charts/", "get"),
    "rates-export": ("aggregate", f"/reports/rates.xlsx?round={R}", "get"),
    "flows": ("aggregate", f"/reports/flows/?round={R}", "get"),
    "flows-export": ("aggregate", f"/reports/flows.csv?round={R}", "get"),
    "deprivation": ("aggregate", f"/reports/deprivation/?round={R}", "get"),
    "deprivation-export": ("aggregate", f"/reports/deprivation.csv?round={R}", "get"),
    "households-export": ("list", f"/reports/households.csv?round={R}", "get"),
    "import": ("importer", "/reports/import/", "get"),
    "import-template": ("signed_in", "/reports/import/template.xlsx", "get"),  # a blank workbook: unit codes only
    "import-preview": ("importer", "/reports/import/unknown-token/", "get"),
    "import-apply": ("importer", "/reports/import/unknown-token/apply/", "post"),
    "import-progress": ("importer", "/reports/import/unknown-token/progress/", "get"),
    "import-cancel": ("importer", "/reports/import/unknown-token/cancel/", "post"),
    "jobs": ("signed_in", "/jobs/", "get"),  # the caller's own jobs
    "job-file": ("signed_in", "/jobs/1/file/", "get"),  # the caller's own export's file (anyone else: 404)
    "import-errors": ("importer", "/reports/import/unknown-token/errors.xlsx", "get"),
    "simulation": ("staff", "/reports/simulation/", "get"),
    # possible duplicates: reviewers with both communes in scope (district officers, department staff)
    "duplicates": ("list", "/duplicates/", "get"),
    "duplicate": ("personal", "/duplicates/{duplicate_pk}/", "get"),
    "duplicate-decide": ("personal_write", "/duplicates/{duplicate_pk}/decide/", "post"),  # no decision posted: 400
    "duplicates-scan": ("staff", "/duplicates/scan/", "post"),
    "duplicates-check": ("list", "/duplicates/check/", "post"),  # the registration form's warning; no commune: empty
    # offline entry (issue 16): the app's page is for the roles that enter households (the import's roles, the policy's
    # `edit`); its worker and manifest hold no data; the package is one commune's personal data
    "offline-app": ("importer", "/offline/", "get"),
    "offline-sw": ("public", "/offline/sw.js", "get"),
    "offline-manifest": ("public", "/offline/manifest.webmanifest", "get"),
    "offline-session": ("signed_in", "/offline/session/", "get"),  # the caller's own name and communes
    "offline-package": ("personal", f"/offline/package/?commune={A}", "get"),
}
SKIP = ("admin/",)
OWN_DATA_LISTS = {"household-list", "assessment-list", "appeals"}
IN_SCOPE = {"officer_a", "chairman_a", "district_officer", "department"}
OUT_OF_SCOPE = {"officer_b", "dept75"}
NO_PERSONAL_ROLE = {"api_reader", "outsider"}


def _names(resolver=None, prefix=""):
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            yield from _names(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern) and not (prefix + str(entry.pattern)).startswith(SKIP):
            yield entry.name


def test_every_route_is_in_the_table():
    assert set(_names()) == set(ROUTES)


@pytest.fixture
def world(officer_a, chairman_a, district_officer, department, officer_b, api_reader, outsider, commune_a, round_2024):
    from surveys.approval.appeals import appeal_lodge

    household = make_household(officer_a, commune_a, code=CODE)
    Member.objects.filter(household=household, relation="head").update(citizen_id=CID)
    assess(officer_a, household, round_2024, 1_234_567, ["WATER", "LATRINE", "NUTRITION"])
    CommuneList.objects.create(round=round_2024, commune=commune_a)
    from surveys.models import CriteriaSet
    from surveys.rounds import round_create
    from tests.factories import approved_list

    r2023 = round_create(
        actor=department,
        code="BD-2023",
        year=2023,
        criteria_set=CriteriaSet.objects.get(code="VN-2022"),
        province=round_2024.province,
    )
    assess(officer_a, household, r2023, 1_234_567, ["WATER", "LATRINE", "NUTRITION"])
    approved_list(r2023, commune_a, poor=1)
    appeal = appeal_lodge(actor=officer_a, household=household, round=round_2024, complaint="Khiếu nại")
    from dedupe.models import DuplicateCandidate

    twin = make_household(officer_a, commune_a, code="A-TWIN")  # the same members again: a duplicate to review
    duplicate = DuplicateCandidate.objects.create(household_a=household, household_b=twin, score=100, reasons=["name_exact"])
    load_legacy("75")
    dept75 = make_user("dept75", Role.DEPARTMENT_STAFF, AdminUnit.objects.get(structure=Structure.LEGACY, code="75"))
    return {
        "personas": {
            "officer_a": officer_a,
            "chairman_a": chairman_a,
            "district_officer": district_officer,
            "department": department,
            "officer_b": officer_b,
            "dept75": dept75,
            "api_reader": api_reader,
            "outsider": outsider,
            "anonymous": None,
        },
        "fill": {"commune_pk": commune_a.pk, "appeal_pk": appeal.pk, "duplicate_pk": duplicate.pk},
        "head": household.head_name,
    }


def _leaks(body: str, head: str) -> list[str]:
    return [secret for secret in (CODE, CID, "1.234.567", "1234567") if secret in body]


def test_every_route_with_every_persona(client, world):
    failures = []
    # Personas outer, routes inner: one sign-in per persona, as a user browsing would.
    for persona, user in world["personas"].items():
        client.logout()
        if user is not None:
            client.force_login(user)
        for name, (kind, template, method, *data) in ROUTES.items():
            path = template.format(**world["fill"])
            if user is not None and name == "logout":
                continue  # would end the persona's session for the routes after it
            response = getattr(client, method)(path, *data)
            status = response.status_code
            body = response.content.decode(errors="replace") if not getattr(response, "streaming", False) else ""
            api = path.startswith("/api/")
            if status >= 500:
                failures.append((name, persona, status, "server error"))
                continue
            if persona == "anonymous" and kind not in ("public",):
                denied = status in (401, 403) if api else (status == 302 and "/accounts/login/" in response["Location"])
                if not denied:
                    failures.append((name, persona, status, "anonymous let in"))
                continue
            if kind in ("personal", "personal_write"):
                if persona in OUT_OF_SCOPE | NO_PERSONAL_ROLE:
                    if status not in (403, 404) or _leaks(body, world["head"]):
                        failures.append((name, persona, status, "out of scope"))
                elif kind == "personal" and status not in (200, 403) and not (status == 302 and name == "transition"):
                    failures.append((name, persona, status, "in scope refused"))
            elif kind == "list":
                if persona in OUT_OF_SCOPE | NO_PERSONAL_ROLE and _leaks(body, world["head"]):
                    failures.append((name, persona, status, "list leaks"))
                if persona in IN_SCOPE and name in OWN_DATA_LISTS and not _leaks(body, world["head"]):
                    failures.append((name, persona, status, "own data missing"))
            elif kind == "staff":
                allowed = persona in ("department", "dept75")
                if (status == 200) != allowed and not (allowed and status in (302, 403)):
                    failures.append((name, persona, status, "staff page"))
            elif kind == "aggregate":
                if persona == "outsider" and status == 200:
                    failures.append((name, persona, status, "aggregate for a user without a role"))
                if _leaks(body, world["head"]):
                    failures.append((name, persona, status, "aggregate leaks"))
            elif kind == "importer":
                if persona in ("api_reader", "outsider", "chairman_a", "district_officer") and status == 200:
                    failures.append((name, persona, status, "import for a role that cannot import"))
    assert failures == [], "\n".join(map(str, failures))


def test_live_numbers_cross_province_answer_alike_on_the_web_and_the_api(client, world):
    from tests.factories import client_for

    for persona, expected in (("department", 200), ("dept75", 403), ("officer_a", 403), ("api_reader", 403)):
        user = world["personas"][persona]
        api = client_for(user).get("/api/v1/rates/", {"round": R, "unit": "74", "level": "province", "status": "all"}).status_code
        client.force_login(user)
        web = client.get("/reports/rates/", {"round": R, "status": "all"}).status_code
        assert (persona, api, web) == (persona, expected, expected)
