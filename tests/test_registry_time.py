"""The registry across time (DESIGN.md §1 "Time"): rounds keep their own numbers, approved lists are frozen
entries, area type as of the round, merged provinces and split communes, rate precision, criteria validity."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation
from openpyxl import Workbook

from core.models import AuditEvent
from households.models import AdminUnit, Hamlet, Household, Level, Rehoming, Role, Structure
from households.rehoming import households_rehome, rehome_plan
from households.services import household_update
from households.units import default_successor_codes, load_2025
from surveys.approval import approved_revision, commune_list_open_revision, escaped_rows, posting_rows
from surveys.imports.importer import survey_import, write_survey_workbook
from surveys.models import Assessment, CriteriaSet, ListEntry, RoundArea, SurveyRound
from surveys.reports.breakdowns import breakdowns
from surveys.reports.flows import flows_for
from surveys.rounds import round_area_set, round_create
from surveys.selectors import rates_for, rates_total
from surveys.services import assessment_save
from tests.factories import approved_list, assert_error, assess, client_for, default_members, make_household, make_user


@pytest.fixture(autouse=True)
def _english_messages():
    with translation.override("en"):
        yield


def _rows(codes, *, able: int, commune="25816", income=900_000):
    households = [
        {
            "household_code": c,
            "commune_code": commune,
            "hamlet": "Ấp 1",
            "head_name": f"Chủ hộ {c}",
            "address": "",
            "income_per_capita": income,
            "deprived": "",
        }
        for c in codes
    ]
    members = [
        {
            "household_code": c,
            "full_name": f"Người {c} {i}",
            "sex": "M",
            "birth_year": 1950 + i,
            "relation": "head" if i == 0 else "child",
            "citizen_id": None,
            "ethnicity": "Kinh",
            "able_to_work": able,
            "social_protection": 0,
            "merit": 0,
            "disability": 0,
        }
        for c in codes
        for i in range(2 if able else 1)
    ]
    return households, members


def _counts(survey_round):
    total = rates_total(
        rates_for(round=survey_round, unit=survey_round.province, level="commune", status="all"), unit=survey_round.province
    )
    groups = sorted(Assessment.objects.filter(round=survey_round).values_list("household__code", "group", "member_count"))
    return (total.poor, total.poverty_reduction, total.social_protection, total.near_poor, total.poor_persons), groups


@pytest.mark.parametrize("first_is_older", [True, False])
def test_two_rounds_imported_with_the_same_households_keep_their_own_numbers(tmp_path, province, department, first_is_older):
    bd2016 = CriteriaSet.objects.get(code="BD-2016")
    r2017 = round_create(actor=department, code="R2017", year=2017, criteria_set=bd2016, province=province)
    r2018 = round_create(actor=department, code="R2018", year=2018, criteria_set=bd2016, province=province)
    assert [r.code for r in r2018.previous_list()] == ["R2017"]
    codes = [f"TW-{i}" for i in range(6)]
    # 2017: elderly alone, nobody able to work (social protection); 2018: a working family (poverty reduction).
    file_2017 = tmp_path / "2017.xlsx"
    write_survey_workbook(file_2017, households=_rows(codes, able=0)[0], members=_rows(codes, able=0)[1])
    file_2018 = tmp_path / "2018.xlsx"
    write_survey_workbook(file_2018, households=_rows(codes, able=1)[0], members=_rows(codes, able=1)[1])
    first, second = ((r2017, file_2017), (r2018, file_2018)) if first_is_older else ((r2018, file_2018), (r2017, file_2017))

    assert survey_import(actor=department, round=first[0], path=first[1]).ok
    before = _counts(first[0])
    assert before[0][0] == len(codes)
    assert survey_import(actor=department, round=second[0], path=second[1]).ok
    assert _counts(first[0]) == before, "importing one round never changes another"
    # Each round has its own groups.
    assert set(Assessment.objects.filter(round=r2017).values_list("group", flat=True)) == {"social_protection"}
    assert set(Assessment.objects.filter(round=r2018).values_list("group", flat=True)) == {"poverty_reduction"}


def test_a_member_edit_recomputes_only_the_newest_open_round(province, department, officer_b, commune_b):
    vn = CriteriaSet.objects.get(code="VN-2022")
    r2023 = round_create(actor=department, code="R2023", year=2023, criteria_set=vn, province=province)
    r2024 = round_create(actor=department, code="R2024", year=2024, criteria_set=vn, province=province)
    household = make_household(officer_b, commune_b, members=default_members(2, able=False))
    old = assess(officer_b, household, r2023, 1_000_000, ["WATER", "LATRINE", "NUTRITION"])
    new = assess(officer_b, household, r2024, 1_000_000, ["WATER", "LATRINE", "NUTRITION"])
    assert old.group == new.group == "social_protection"
    household_update(actor=officer_b, household=household, members=default_members(3, able=True))
    old.refresh_from_db()
    new.refresh_from_db()
    assert (old.group, old.member_count, old.version) == ("social_protection", 2, 1)
    assert (new.group, new.member_count, new.version) == ("poverty_reduction", 3, 2)


def test_a_revision_opened_on_an_approved_list_leaves_approved_numbers_standing(province, department, officer_a, commune_a):
    vn = CriteriaSet.objects.get(code="VN-2022")
    r2023 = round_create(actor=department, code="R2023", year=2023, criteria_set=vn, province=province)
    r2024 = round_create(actor=department, code="R2024", year=2024, criteria_set=vn, province=province)
    poor = [make_household(officer_a, commune_a) for _ in range(3)]
    for h in poor:
        assess(officer_a, h, r2023, 1_000_000, ["WATER", "LATRINE", "NUTRITION"])
        assess(officer_a, h, r2024, 1_000_000, ["WATER", "LATRINE", "NUTRITION"])
    approved_2023 = approved_list(r2023, commune_a, poor=3, total_households=100)
    approved_list(r2024, commune_a, poor=3, total_households=100)
    assert ListEntry.objects.filter(commune_list=approved_2023, category="poor").count() == 3

    def approved_flows():
        [row] = [r for r in flows_for(round=r2024, unit=province, level="commune") if r["unit_code"] == commune_a.code]
        return row

    before = approved_flows()
    assert (before["start"], before["end"], before["newly_poor"]) == (3, 3, 0)
    # A correction of 2023 is opened, and one household is reassessed as not poor in the draft revision.
    revision = commune_list_open_revision(actor=department, commune_list=approved_2023, reason="Sai thu nhập hộ 1")
    assess(officer_a, poor[0], r2023, 5_000_000, [])
    after = approved_flows()
    assert after == before, "flows read the approved entries, not the draft"
    assert after["start"] - after["out_total"] + after["in_total"] == after["end"]
    # The recognition list of 2023 is still the approved one: three poor households.
    frozen = approved_revision(round=r2023, commune=commune_a)
    assert frozen.pk == approved_2023.pk and revision.status == "draft"
    assert [e.category for e in posting_rows(round=r2023, commune=commune_a, frozen=frozen)] == ["poor"] * 3
    assert posting_rows(round=r2023, commune=commune_a).count() == 2  # the draft itself shows the correction
    # Approved reports never read live assessments.
    total = rates_total(rates_for(round=r2023, unit=province, level="commune"), unit=province)
    assert total.poor == 3
    assert breakdowns(round=r2023, unit=province)[0].households == 3
    assert not escaped_rows(round=r2024, commune=commune_a, frozen=approved_revision(round=r2024, commune=commune_a)).exists()


def test_area_type_is_the_rounds_and_can_be_corrected_before_assessment(tmp_path, province, department, officer_a, commune_a):
    vn = CriteriaSet.objects.get(code="VN-2022")
    survey_round = round_create(actor=department, code="R2023", year=2023, criteria_set=vn, province=province)
    assert RoundArea.objects.filter(round=survey_round).count() == 91
    assert RoundArea.objects.get(round=survey_round, commune=commune_a).area_type == "urban"
    # Phú Cường was (say) a rural commune that year: the rural line 1,500,000 applies, not the urban 2,000,000.
    round_area_set(actor=department, round=survey_round, commune=commune_a, area_type="rural")
    event = AuditEvent.objects.filter(action="round.area_set").latest("id")
    assert event.changes == {"area[25747]": ["urban", "rural"]}
    household = make_household(officer_a, commune_a)
    a = assess(officer_a, household, survey_round, 1_800_000, ["WATER", "LATRINE", "NUTRITION"])
    assert (a.area_type, a.category) == ("rural", "average")
    with pytest.raises(ValidationError, match="already has assessments"):
        round_area_set(actor=department, round=survey_round, commune=commune_a, area_type="urban")
    with pytest.raises(Exception, match="department"):
        round_area_set(actor=officer_a, round=survey_round, commune=commune_a, area_type="urban")


def test_import_area_column_applies_to_the_households_of_that_import(tmp_path, province, department):
    vn = CriteriaSet.objects.get(code="VN-2022")
    survey_round = round_create(actor=department, code="R2023", year=2023, criteria_set=vn, province=province)
    households, members = _rows(["AR-1"], able=1, commune="25747", income=1_800_000)
    households[0]["deprived"] = "WATER, LATRINE, NUTRITION"
    path = tmp_path / "area.xlsx"
    write_survey_workbook(
        path,
        households=households,
        members=members,
        denominators=[{"commune_code": "25747", "total_households": 500, "area": "rural"}],
    )
    result = survey_import(actor=department, round=survey_round, path=path)
    assert result.ok and result.areas_set == [("25747", "urban", "rural")]
    a = Assessment.objects.get(household__code="AR-1", round=survey_round)
    assert (a.area_type, a.category) == ("rural", "average")
    # Once other households are assessed there, a file cannot flip the commune back.
    households2, members2 = _rows(["AR-2"], able=1, commune="25747")
    path2 = tmp_path / "flip.xlsx"
    write_survey_workbook(
        path2,
        households=households2,
        members=members2,
        denominators=[{"commune_code": "25747", "total_households": 500, "area": "urban"}],
    )
    refused = survey_import(actor=department, round=survey_round, path=path2)
    assert not refused.ok and refused.issues[0].column == "area" and refused.issues[0].sheet == "denominators"
    assert not Household.objects.filter(code="AR-2").exists()
    # A bad value is a cell error naming the column.
    path3 = tmp_path / "bad.xlsx"
    write_survey_workbook(
        path3,
        households=households2,
        members=members2,
        denominators=[{"commune_code": "25747", "total_households": 500, "area": "city"}],
    )
    bad = survey_import(actor=department, round=survey_round, path=path3)
    assert [(i.sheet, i.column) for i in bad.issues] == [("denominators", "area")]


def test_rates_decimals(province, department, api_reader, officer_a, commune_a, round_2024):
    for _ in range(3):
        assess(officer_a, make_household(officer_a, commune_a), round_2024, 1_000_000, ["WATER", "LATRINE", "NUTRITION"])
    approved_list(round_2024, commune_a, total_households=2_600_000, poor=40, near_poor=0, poverty_reduction=40)
    client = client_for(api_reader)
    query = {"round": "BD-2024", "unit": commune_a.code, "level": "commune"}
    assert client.get("/api/v1/rates/", query).json()["results"][0]["poor_rate"] == "0.00"
    body = client.get("/api/v1/rates/", {**query, "decimals": 3}).json()
    assert body["results"][0]["poor_rate"] == "0.002" and body["decimals"] == 3
    assert client.get("/api/v1/rates/", {**query, "decimals": 6}).json()["total"]["poor_rate"] == "0.001538"
    assert client.get("/api/v1/rates/", {**query, "decimals": 0}).json()["total"]["poor_rate"] == "0"
    assert_error(client.get("/api/v1/rates/", {**query, "decimals": 7}), 400, field="decimals")
    assert_error(client.get("/api/v1/rates/", {**query, "decimals": "x"}), 400, field="decimals")
    # The report page and its export take the same parameter.
    client.force_login(department)
    page = client.get("/reports/rates/", {"round": "BD-2024", "unit": commune_a.code, "decimals": 3})
    assert page.status_code == 200 and "0.002" in page.content.decode().replace(",", ".")
    assert client.get("/reports/rates/", {"round": "BD-2024", "decimals": 9}).status_code == 400


def test_criteria_set_must_cover_the_year(province, department):
    vn2022 = CriteriaSet.objects.get(code="VN-2022")
    with pytest.raises(ValidationError, match="VN-2022 is valid from 01/01/2022 to 31/12/2026"):
        round_create(actor=department, code="X-2027", year=2027, criteria_set=vn2022, province=province)
    round_create(actor=department, code="X-2026", year=2026, criteria_set=vn2022, province=province)
    with pytest.raises(CommandError, match="VN-2027 is valid from 01/01/2027"):
        call_command("create_round", "X-2024", "--year", "2024", "--criteria", "VN-2027", "--province", "74")


# --- merged provinces, split communes --------------------------------------------------------------------


@pytest.fixture
def split_commune(province):
    load_2025("74")
    for commune in AdminUnit.objects.filter(structure=Structure.LEGACY, level=Level.COMMUNE, parent__parent=province).order_by(
        "code"
    ):
        successors = list(commune.successors.filter(structure=Structure.Y2025).order_by("code"))
        if len(successors) >= 2:
            return commune, successors
    raise AssertionError("Binh Duong has split communes")


def _mapping_file(tmp_path, rows):
    wb = Workbook()
    ws = wb.active
    ws.title = "hamlets"
    ws.append(["commune_code", "hamlet", "new_commune_code"])
    for row in rows:
        ws.append(row)
    path = tmp_path / "mapping.xlsx"
    wb.save(path)
    return path


def test_a_rehomed_household_of_a_split_commune_stays_poor_across_the_merger(tmp_path, province, department, split_commune):
    commune, successors = split_commune
    default_code = default_successor_codes("74")[commune.code]
    mapped = next(s for s in successors if s.code != default_code)  # the hamlet lies in the non-default successor
    officer = make_user("bd_officer", Role.COMMUNE_OFFICER, commune)
    vn = CriteriaSet.objects.get(code="VN-2022")
    bd2024 = round_create(actor=department, code="BD-2024", year=2024, criteria_set=vn, province=province)
    staying = make_household(officer, commune, hamlet_name="Ấp Bảy", code="SPLIT-1")
    elsewhere = make_household(officer, commune, hamlet_name="Ấp Tám", code="SPLIT-2")
    for h in (staying, elsewhere):
        assess(officer, h, bd2024, 1_000_000, ["WATER", "LATRINE", "NUTRITION"])
    approved_list(bd2024, commune, poor=2, poverty_reduction=2, total_households=40)

    path = _mapping_file(tmp_path, [[commune.code, "ấp  bảy", mapped.code]])
    out = io.StringIO()
    call_command(
        "rehome_households", "--province", "74", "--to-structure", "2025", "--mapping", str(path), "--dry-run", stdout=out
    )
    text = out.getvalue()
    assert "would move 2 households" in text and "Ấp Tám" in text and "Dry run" in text
    assert Household.objects.get(code="SPLIT-1").commune == commune  # nothing written
    call_command("rehome_households", "--province", "74", "--mapping", str(path), stdout=io.StringIO())
    staying.refresh_from_db()
    elsewhere.refresh_from_db()
    assert staying.commune == mapped and staying.hamlet.commune == mapped and staying.hamlet.name == "Ấp Bảy"
    assert elsewhere.commune.code == default_code
    assert Rehoming.objects.get(household=staying).basis == "hamlet"
    assert Rehoming.objects.get(household=elsewhere).basis == "default"
    assert AuditEvent.objects.filter(action="household.rehomed", target_id=str(staying.pk)).count() == 1
    # Idempotent: a second run moves nothing and writes no event.
    events = AuditEvent.objects.count()
    again = io.StringIO()
    call_command("rehome_households", "--province", "74", "--mapping", str(path), stdout=again)
    assert "moved 0 households; 2 already re-homed" in again.getvalue() and AuditEvent.objects.count() == events

    hcm_province = AdminUnit.objects.get(structure=Structure.Y2025, code="79")
    hcm_staff = make_user("hcm_staff", Role.DEPARTMENT_STAFF, hcm_province)
    call_command(
        "create_round",
        "HCM-2026",
        "--year",
        "2026",
        "--criteria",
        "VN-2022",
        "--province",
        "79",
        "--structure",
        "2025",
        stdout=io.StringIO(),
    )
    hcm = SurveyRound.objects.get(code="HCM-2026")
    assert [r.code for r in hcm.previous_list()] == ["BD-2024"]
    assessment_save(
        actor=hcm_staff, household=staying, round=hcm, income_per_capita=1_100_000, deprived=["WATER", "LATRINE", "NUTRITION"]
    )
    rows = {r["unit_code"]: r for r in flows_for(round=hcm, unit=hcm_province, level="commune", status="all")}
    row = rows[mapped.code]
    assert (row["start"], row["end"], row["newly_poor"], row["other_in"], row["out_total"]) == (1, 1, 0, 0, 0)
    assert rows[default_code]["start"] == 1 and rows[default_code]["other_out"] == 1  # SPLIT-2 not reassessed yet
    approved_list(hcm, mapped, poor=1)
    approved = {r["unit_code"]: r for r in flows_for(round=hcm, unit=hcm_province, level="commune")}[mapped.code]
    assert (approved["start"], approved["end"], approved["newly_poor"]) == (1, 1, 0)

    # The legacy round read in today's units: Binh Duong's numbers in the new communes, through the API.
    reader = make_user("reader79", Role.API_READER, hcm_province)
    body = (
        client_for(reader)
        .get("/api/v1/rates/", {"round": "BD-2024", "structure": "2025", "unit": "79", "level": "commune"})
        .json()
    )
    by_code = {r["unit_code"]: r for r in body["results"]}
    assert body["structure"] == "2025" and body["total"]["poor"] == 2 and body["total"]["total_households"] == 40
    assert by_code[mapped.code]["poor"] == 1 and by_code[default_code]["poor"] == 1
    assert by_code[mapped.code]["total_households"] + by_code[default_code]["total_households"] == 40
    assert_error(
        client_for(reader).get("/api/v1/rates/", {"round": "BD-2024", "structure": "1990", "unit": "79", "level": "commune"}),
        400,
        field="structure",
    )
    assert_error(
        client_for(reader).get("/api/v1/rates/", {"round": "HCM-2026", "structure": "legacy", "unit": "79", "level": "commune"}),
        400,
        field="structure",
    )
    rounds = client_for(reader).get("/api/v1/rounds/HCM-2026/").json()
    assert rounds["previous_rounds"] == ["BD-2024"] and rounds["previous_round"] == "BD-2024"


def test_rehoming_with_a_bad_mapping_writes_nothing(tmp_path, province, department, split_commune):
    commune, successors = split_commune
    officer = make_user("bd_officer", Role.COMMUNE_OFFICER, commune)
    make_household(officer, commune, hamlet_name="Ấp 1", code="SPLIT-1")
    other = (
        AdminUnit.objects.filter(structure=Structure.Y2025, level=Level.COMMUNE)
        .exclude(pk__in=[s.pk for s in successors])
        .first()
    )
    path = _mapping_file(tmp_path, [[commune.code, "Ấp 1", other.code]])
    with pytest.raises(CommandError, match="not a successor"):
        call_command("rehome_households", "--province", "74", "--mapping", str(path), stdout=io.StringIO())
    assert Household.objects.get(code="SPLIT-1").commune == commune and not Rehoming.objects.exists()
    missing_column = tmp_path / "m2.xlsx"
    wb = Workbook()
    wb.active.title = "hamlets"
    wb.active.append(["commune_code", "hamlet"])
    wb.save(missing_column)
    with pytest.raises(CommandError, match="new_commune_code"):
        call_command("rehome_households", "--province", "74", "--mapping", str(missing_column), stdout=io.StringIO())
    with pytest.raises(Exception, match="department"):
        households_rehome(actor=officer, province=province)
    assert rehome_plan(province=province).moves[0].basis == "default"


def test_rehome_page_previews_then_confirms(client, province, split_commune):
    commune, _successors = split_commune
    staff = make_user("staff74", Role.DEPARTMENT_STAFF, province)
    officer = make_user("bd_officer", Role.COMMUNE_OFFICER, commune)
    make_household(officer, commune, hamlet_name="Ấp 1", code="SPLIT-1")
    client.force_login(officer)
    assert client.get("/units/rehome/").status_code == 403
    client.force_login(staff)
    page = client.get("/units/rehome/")
    assert page.status_code == 200 and province.name in page.content.decode()
    preview = client.post("/units/rehome/", {"province": "74", "action": "preview"})
    assert preview.status_code == 200 and 'data-stat="moves">1<' in preview.content.decode()
    assert Household.objects.get(code="SPLIT-1").commune == commune
    done = client.post("/units/rehome/", {"province": "74", "action": "confirm"}, follow=True)
    assert done.status_code == 200 and Household.objects.get(code="SPLIT-1").commune.structure == "2025"


def test_trend_crosses_the_boundary(province, department, officer_a, commune_a):
    from surveys.reports.rates import trend

    load_2025("74")
    vn = CriteriaSet.objects.get(code="VN-2022")
    bd = round_create(actor=department, code="BD-2024", year=2024, criteria_set=vn, province=province)
    assess(officer_a, make_household(officer_a, commune_a, code="TR-1"), bd, 1_000_000, ["WATER", "LATRINE", "NUTRITION"])
    approved_list(bd, commune_a, poor=1, poverty_reduction=1, total_households=50)
    households_rehome(actor=department, province=province)
    hcm_province = AdminUnit.objects.get(structure=Structure.Y2025, code="79")
    hcm = round_create(actor=None, code="HCM-2026", year=2026, criteria_set=vn, province=hcm_province)
    points = trend(unit=hcm_province)
    assert [p.round_code for p in points] == ["BD-2024", "HCM-2026"]
    assert (points[0].poor, points[0].total_households, points[0].poor_rate) == (1, 50, "2.00")
    assert hcm.previous_list() == [bd]


def test_hamlet_of_rehomed_household_is_found_by_name(province, department, split_commune):
    commune, _ = split_commune
    officer = make_user("bd_officer", Role.COMMUNE_OFFICER, commune)
    make_household(officer, commune, hamlet_name="Ấp 1", code="H-1")
    make_household(officer, commune, hamlet_name="Ấp 1", code="H-2")
    households_rehome(actor=department, province=province, mapping={})
    hamlets = {Household.objects.get(code=c).hamlet_id for c in ("H-1", "H-2")}
    assert len(hamlets) == 1 and Hamlet.objects.get(pk=hamlets.pop()).commune.structure == "2025"
    assert Household.objects.get(code="H-1").members.count() == 3


def test_approved_entries_are_readable_by_revision_through_the_api(
    province, department, officer_a, officer_b, commune_a, round_2024
):
    households = [make_household(officer_a, commune_a) for _ in range(2)]
    for h in households:
        assess(officer_a, h, round_2024, 1_000_000, ["WATER", "LATRINE", "NUTRITION"])
    first = approved_list(round_2024, commune_a, poor=2)
    url = f"/api/v1/commune-lists/BD-2024/{commune_a.code}/entries/"
    body = client_for(officer_a).get(url).json()
    assert [(r["revision"], r["category"]) for r in body["results"]] == [(1, "poor"), (1, "poor")]
    commune_list_open_revision(actor=department, commune_list=first, reason="Sửa")
    assess(officer_a, households[0], round_2024, 5_000_000, [])
    # The draft does not change what is approved.
    assert [r["category"] for r in client_for(officer_a).get(url).json()["results"]] == ["poor", "poor"]
    assert client_for(officer_a).get(url, {"revision": 1}).status_code == 200
    assert client_for(officer_a).get(url, {"revision": 2}).status_code == 404  # not approved (yet)
    assert_error(client_for(officer_a).get(url, {"revision": "x"}), 400, field="revision")
    assert client_for(officer_b).get(url).status_code == 404  # out of scope answers as missing
