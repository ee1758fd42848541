"""The offline entry app in a real Chromium (issue 16), on a 10-inch tablet's viewport: take a commune offline, register
and assess without a connection, reload, come back online and see it on the server; a conflict chosen field by field;
a retry after a lost answer that creates nothing twice; and the browser's rule evaluator against the Python one."""

from __future__ import annotations

import itertools
import re

import pytest
from playwright.sync_api import expect

from core.models import AuditEvent
from households.models import Household
from offline.models import IdempotencyRecord
from offline.selectors import criteria_json
from surveys import classification as cl
from surveys.models import Assessment, CommuneList, CriteriaSet, ListStatus
from surveys.services import assessment_save, criteria_spec
from tests import test_classification, test_scores
from tests.browser.conftest import login
from tests.factories import assess, make_household

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TABLET = {"viewport": {"width": 800, "height": 1280}, "locale": "vi-VN", "has_touch": True}


@pytest.fixture
def tablet(browser):
    context = browser.new_context(**TABLET)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield context, page
    context.close()


def take_offline(page, base: str) -> None:
    login(page, base, "officer_a", "pw-officer_a")
    page.click("nav.mainnav a[data-offline-link]")
    page.wait_for_selector("body[data-ready]")
    page.click("#btn-take")
    expect(page.locator("#register")).to_be_visible()
    # The service worker keeps the app's page and files: it controls the page once installed.
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")


def go_offline(context, page) -> None:
    context.set_offline(True)
    expect(page.locator("#net")).to_have_attribute("data-online", "false")


def go_online(context, page) -> None:
    context.set_offline(False)
    expect(page.locator("#net")).to_have_attribute("data-online", "true")


def drafts(page, status: str | None = None):
    return page.locator("#draft-list li[data-draft]" + (f"[data-status='{status}']" if status else ""))


def test_a_morning_offline_reaches_the_register_at_noon(live_server, tablet, officer_a, commune_a, round_2024):
    context, page = tablet
    base = live_server.url
    make_household(officer_a, commune_a, code="25747-0001")
    take_offline(page, base)
    expect(page.locator("tr[data-household='25747-0001']")).to_be_visible()

    go_offline(context, page)
    page.reload()  # the page comes from the service worker's copy
    page.wait_for_selector("body[data-ready]")
    expect(page.locator("#net")).to_have_attribute("data-online", "false")

    # Register a household with two members, then assess it: everything stays on the device.
    page.click("#btn-new")
    expect(page.locator("#hh-code")).to_have_value("25747-0002")  # continues the commune's numbering
    page.fill("#hh-hamlet", "Khu phố 4")
    page.fill("#m0-full_name", "Lò Văn Páo")
    page.fill("#m0-birth_year", "1975")
    page.select_option("#m0-ethnicity", "03")  # Thái
    page.click("#btn-add-member")
    page.fill("#m1-full_name", "Lò Thị Xuân")
    page.fill("#m1-birth_year", "1940")
    page.select_option("#m1-sex", "F")
    page.select_option("#m1-relation", "parent")
    expect(page.locator("#m1-able_to_work")).not_to_be_checked()  # 86 years old: follows the birth year
    page.click("#btn-save-assess")
    page.wait_for_url(re.compile(r"#/assess/25747-0002$"))
    page.fill("#as-total", "2.000.000")  # ÷ 2 members = 1.000.000 per person, urban line 2.000.000
    for code in ("HEALTH_INSURANCE", "WATER", "LATRINE"):
        page.check(f"#dep-{code}")
    preview = page.locator("#as-preview [data-category]")
    expect(preview).to_have_attribute("data-category", "poor")
    expect(preview).to_have_attribute("data-source", "device")
    expect(preview).to_contain_text("1.000.000 ₫")
    page.click("#assess-form button[type=submit]")
    expect(drafts(page, "waiting")).to_have_count(2)

    # A third household, only begun: every keystroke is kept, unfinished.
    page.click("#btn-new")
    page.fill("#m0-full_name", "Vừa Mới Gõ")
    expect(page.locator("#hh-draft-state")).not_to_be_empty()

    # Closing and reopening the page without a connection loses nothing.
    page.reload()
    page.wait_for_selector("body[data-ready]")
    page.goto(f"{base}/offline/#/")
    page.wait_for_selector("body[data-ready]")
    expect(drafts(page, "waiting")).to_have_count(2)
    expect(drafts(page, "unfinished")).to_have_count(1)
    expect(drafts(page, "unfinished")).to_contain_text("Vừa Mới Gõ")
    assert not Household.objects.filter(code="25747-0002").exists()

    # Noon: the connection is back; the waiting drafts go to the server; the unfinished one stays.
    go_online(context, page)
    expect(drafts(page, "waiting")).to_have_count(0)
    expect(drafts(page)).to_have_count(1)
    household = Household.objects.get(code="25747-0002")
    assert household.members.count() == 2 and household.hamlet.name == "Khu phố 4"
    assert household.members.get(relation="head").ethnic_group.code == "03"
    assessment = Assessment.objects.get(household=household, round=round_2024)
    assert (assessment.category, assessment.income_per_capita, assessment.group) == ("poor", 1_000_000, "poverty_reduction")
    # The server's category, not the preview, is what the device now shows.
    expect(page.locator("tr[data-household='25747-0002'] [data-category]")).to_have_attribute("data-source", "server")
    expect(page.locator("tr[data-household='25747-0002'] [data-category]")).to_have_attribute("data-category", "poor")

    page.goto(f"{base}/households/?q=25747-0002")
    expect(page.locator("tr[data-household='25747-0002'] [data-category='poor']")).to_be_visible()


def test_a_conflict_is_chosen_field_by_field(live_server, tablet, officer_a, department, commune_a, round_2024):
    context, page = tablet
    household = make_household(officer_a, commune_a, code="25747-0030")
    assess(officer_a, household, round_2024, 1_800_000, ["WATER", "LATRINE"])  # version 1
    take_offline(page, live_server.url)
    go_offline(context, page)
    page.click("tr[data-household='25747-0030'] a >> nth=0")
    expect(page.locator("#as-income")).to_have_value("1.800.000")
    page.fill("#as-income", "1.500.000")
    page.check("#dep-NUTRITION")  # the officer saw a third deprivation
    page.click("#assess-form button[type=submit]")
    expect(drafts(page, "waiting")).to_have_count(1)

    # Meanwhile someone at the office changed the same assessment (version 2).
    assessment_save(
        actor=department,
        household=household,
        round=round_2024,
        income_per_capita=1_900_000,
        deprived=["WATER", "LATRINE", "HOUSING_AREA"],
    )

    go_online(context, page)
    expect(drafts(page, "conflict")).to_have_count(1)
    page.click("#draft-list [data-action='choose']")
    rows = page.locator("#cf-rows tr[data-field]")
    expect(rows).to_have_count(3)  # the income and the two indicators that differ
    expect(page.locator("#cf-rows tr[data-field='income'] td[data-side='server']")).to_contain_text("1.900.000")
    page.check("#cf-rows tr[data-field='income'] td[data-side='server'] input")  # the office's income
    page.check("#cf-rows tr[data-field='dep:HOUSING_AREA'] td[data-side='server'] input")  # and its finding
    page.click("#btn-resolve")
    expect(drafts(page)).to_have_count(0)
    assessment = Assessment.objects.get(household=household, round=round_2024)
    assert assessment.version == 3 and assessment.income_per_capita == 1_900_000
    assert sorted(assessment.deprived_indicators.values_list("code", flat=True)) == [
        "HOUSING_AREA",
        "LATRINE",
        "NUTRITION",
        "WATER",
    ]
    assert assessment.category == "poor"
    expect(page.locator("tr[data-household='25747-0030'] [data-category]")).to_have_attribute("data-category", "poor")


def test_a_lost_answer_is_retried_without_creating_twice(live_server, tablet, officer_a, commune_a, round_2024):
    context, page = tablet
    take_offline(page, live_server.url)
    go_offline(context, page)
    page.click("#btn-new")
    page.fill("#hh-code", "25747-0050")
    page.fill("#m0-full_name", "Hà Văn Mạnh")
    page.fill("#m0-birth_year", "1980")
    page.click("#household-form button[type=submit][value=list]")
    expect(drafts(page, "waiting")).to_have_count(1)

    keys: list[str] = []

    def drop_the_first_answer(route):
        keys.append(route.request.headers.get("idempotency-key", ""))
        if len(keys) == 1:
            route.fetch()  # the server receives it and registers the household …
            route.abort("connectionreset")  # … but the answer never reaches the tablet
        else:
            route.continue_()

    page.route("**/api/v1/households/", drop_the_first_answer)
    go_online(context, page)
    expect(drafts(page, "sending")).to_have_count(1)  # no answer: kept, to be sent again with the same key
    assert Household.objects.filter(code="25747-0050").count() == 1
    page.click("#btn-send")
    expect(drafts(page)).to_have_count(0)
    assert len(keys) == 2 and keys[0] == keys[1] and re.fullmatch(r"[0-9a-f-]{36}", keys[0])
    assert Household.objects.filter(code="25747-0050").count() == 1
    assert AuditEvent.objects.filter(action="household.created", target_repr__startswith="25747-0050").count() == 1
    assert IdempotencyRecord.objects.filter(key=keys[0]).count() == 1
    expect(page.locator("tr[data-household='25747-0050']")).not_to_have_class(re.compile("new-household"))


def test_a_submitted_list_refuses_and_the_draft_stays_with_the_reason(live_server, tablet, officer_a, commune_a, round_2024):
    context, page = tablet
    make_household(officer_a, commune_a, code="25747-0060")
    take_offline(page, live_server.url)
    go_offline(context, page)
    page.click("tr[data-household='25747-0060'] a >> nth=0")
    page.fill("#as-income", "900.000")
    page.click("#assess-form button[type=submit]")
    CommuneList.objects.create(round=round_2024, commune=commune_a, status=ListStatus.SUBMITTED)  # sent up meanwhile
    go_online(context, page)
    refused = drafts(page, "refused")
    expect(refused).to_have_count(1)
    expect(refused.locator("[data-reason]")).not_to_be_empty()
    assert not Assessment.objects.filter(household__code="25747-0060").exists()
    page.reload()  # still there, with its reason, after the page is closed and opened again
    expect(drafts(page, "refused").locator("[data-reason]")).not_to_be_empty()


def test_logging_out_takes_the_copy_away_after_a_warning(live_server, tablet, officer_a, commune_a, round_2024):
    context, page = tablet
    take_offline(page, live_server.url)
    page.click("#btn-new")
    page.fill("#m0-full_name", "Chưa Gửi")
    expect(page.locator("#hh-draft-state")).not_to_be_empty()
    page.click("a.back")

    messages: list[str] = []
    answers = iter([False, True])  # first "Cancel", then "OK"

    def answer(dialog):
        messages.append(dialog.message)
        (dialog.accept if next(answers) else dialog.dismiss)()

    page.on("dialog", answer)
    page.locator("form.logout button").click()
    for _ in range(50):  # the guard asks once it has counted the drafts
        if messages:
            break
        page.wait_for_timeout(100)
    expect(drafts(page)).to_have_count(1)  # cancelled: still signed in, the draft is kept
    assert "1" in messages[0] and page.url.startswith(f"{live_server.url}/offline/")
    page.locator("form.logout button").click()
    page.wait_for_url(f"{live_server.url}/accounts/login/")
    assert len(messages) == 2
    assert page.evaluate("async () => (await indexedDB.databases()).map((d) => d.name)") == []
    assert page.evaluate("async () => (await caches.keys()).filter((n) => n.startsWith('povreg-offline-'))") == []


def test_an_expired_copy_is_wiped_and_a_signed_in_visit_moves_the_date_on(live_server, tablet, officer_a, commune_a, round_2024):
    context, page = tablet
    make_household(officer_a, commune_a, code="25747-0070")
    take_offline(page, live_server.url)
    age = """async (when) => {
        const db = await import("/static/offline/db.js");
        const meta = await db.get("meta", "package");
        meta.expires_at = when;
        await db.put("meta", meta);
    }"""
    # Signed in and connected: opening the app counts as a login and moves the expiry on.
    page.evaluate(age, "2001-01-01T00:00:00Z")
    page.reload()
    page.wait_for_selector("body[data-ready]")
    expect(page.locator("tr[data-household='25747-0070']")).to_be_visible()
    assert page.evaluate("async () => (await (await import('/static/offline/db.js')).get('meta', 'package')).expires_at") > "2026"
    # Not opened by its officer while signed in within the days: it no longer opens, and is gone.
    page.evaluate(age, "2001-01-01T00:00:00Z")
    go_offline(context, page)
    page.reload()
    page.wait_for_selector("body[data-ready]")
    expect(page.locator("#notice-expired")).to_be_visible()
    expect(page.locator("#register")).to_be_hidden()
    assert page.evaluate("async () => (await (await import('/static/offline/db.js')).all('households')).length") == 0


# --- the browser's evaluator against surveys/classification.py ---------------------------------------------------------


def _parametrized(function) -> list[dict]:
    """The cases of a parametrized test, as dicts (stacked parametrize marks: their product)."""
    axes = []
    for mark in function.pytestmark:
        if mark.name != "parametrize":
            continue
        names = mark.args[0] if isinstance(mark.args[0], (list, tuple)) else [mark.args[0]]
        values = [v if len(names) > 1 else (v,) for v in mark.args[1]]
        axes.append([dict(zip(names, v, strict=True)) for v in values])
    return [dict(itertools.chain.from_iterable(d.items() for d in combo)) for combo in itertools.product(*axes)]


def _python(spec, inputs) -> dict:
    try:
        result = cl.classify(
            spec,
            area=inputs["area"],
            income=inputs.get("income"),
            score_a=inputs.get("score_a"),
            deprived=inputs["deprived"],
            members=[cl.MemberFacts(m["able_to_work"], m["social_protection"]) for m in inputs["members"]],
        )
    except cl.ClassificationInputError as exc:
        return {"error": exc.field}
    return {
        "category": result.category.value,
        "group": result.group.value if result.group else None,
        "deprived_count": result.deprived_count,
        "rule_index": result.rule_index,
        "explanation_vi": result.explanation_vi,
        "explanation_en": result.explanation_en,
        "deprived": list(result.deprived),
        "basis": result.basis,
        "score_a": result.score_a,
        "score_b": result.score_b,
    }


def _members(facts) -> list[dict]:
    return [{"able_to_work": m.able_to_work, "social_protection": m.social_protection} for m in facts]


def test_the_browser_classifies_every_boundary_case_as_the_server_does(live_server, page):
    sets = {cs.code: cs for cs in CriteriaSet.objects.all()}
    jsons = {code: criteria_json(cs) for code, cs in sets.items()}
    specs = {code: criteria_spec(cs) for code, cs in sets.items()}
    able = _members([cl.MemberFacts(True)])
    cases = []

    def case(code, spec_json, spec, **inputs):
        inputs.setdefault("members", able)
        cases.append({"code": code, "spec": spec_json, "inputs": inputs, "expected": _python(spec, inputs)})

    def codes(code, n):
        return [i.code for i in specs[code].indicators][:n]

    # Every line of every shipped set at line − 1, line, line + 1, with 2 and 3 deprivations.
    for code, area, income, deprived, _expected in test_classification.CASES:
        case(code, jsons[code], specs[code], area=area, income=income, deprived=codes(code, deprived))
    # Circular 07's score A at the line − 1, the line and + 1, with 0, 2, 3 and 4 deprivations.
    for params in _parametrized(test_scores.test_score_a_at_the_line_minus_one_the_line_and_plus_one):
        case(
            "VN-2022",
            jsons["VN-2022"],
            specs["VN-2022"],
            area=params["area"],
            score_a=test_scores.LINES[params["area"]] + params["offset"],
            deprived=codes("VN-2022", params["deprived"]),
        )
    # The group rule (both settings) and the near-poor split.
    for params in _parametrized(test_classification.test_group_split_default_rule):
        case(
            "VN-2022",
            jsons["VN-2022"],
            specs["VN-2022"],
            area="urban",
            income=1_000_000,
            deprived=codes("VN-2022", 3),
            members=_members(params["members"]),
        )
    no_member_able = dict(jsons["VN-2022"], group_rule="no_member_able")
    other = cl.CriteriaSpec(
        code="VN-2022",
        rules=specs["VN-2022"].rules,
        indicators=specs["VN-2022"].indicators,
        group_rule=cl.GroupRule.NO_MEMBER_ABLE,
        groups_for=specs["VN-2022"].groups_for,
    )
    case(
        "VN-2022",
        no_member_able,
        other,
        area="urban",
        income=1_000_000,
        deprived=codes("VN-2022", 3),
        members=_members([cl.MemberFacts(True, True)]),
    )
    case(
        "VN-2022",
        jsons["VN-2022"],
        specs["VN-2022"],
        area="rural",
        income=1_000_000,
        deprived=[],
        members=_members([cl.MemberFacts(False)]),
    )
    case("VN-2022", jsons["VN-2022"], specs["VN-2022"], area="rural", income=1_000_000, deprived=["WATER", "WATER", "LATRINE"])
    # Bad inputs name the same field.
    for params in _parametrized(test_classification.test_bad_input_names_the_field):
        case("VN-2022", jsons["VN-2022"], specs["VN-2022"], members=[], **params["kwargs"])
    case("VN-2016", jsons["VN-2016"], specs["VN-2016"], area="rural", score_a=100, deprived=[])
    case("VN-2022", jsons["VN-2022"], specs["VN-2022"], area="rural", score_a=100, income=1, deprived=[])
    assert len(cases) == len(test_classification.CASES) + 16 + 5 + 3 + 4 + 2  # no source of cases came back empty

    page.goto(f"{live_server.url}/accounts/login/")
    browser_results = page.evaluate(
        """async (cases) => {
            const m = await import("/static/offline/classify.js");
            return cases.map((c) => {
                try { return m.classify(c.spec, c.inputs); } catch (error) { return { error: error.field }; }
            });
        }""",
        [{"spec": c["spec"], "inputs": c["inputs"]} for c in cases],
    )
    disagreements = [
        (c["code"], c["inputs"], c["expected"], got)
        for c, got in zip(cases, browser_results, strict=True)
        if got != c["expected"]
    ]
    assert disagreements == []
    assert {c["expected"].get("category") for c in cases} >= {"poor", "near_poor", "average", "not_poor"}
    assert sum(1 for c in cases if "error" in c["expected"]) == 6
