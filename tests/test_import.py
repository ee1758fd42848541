"""Survey workbook import: happy path, preview, idempotence, atomicity, every malformed case, permissions."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation
from openpyxl import Workbook, load_workbook

from core.models import AuditEvent
from households.models import Hamlet, Household, Member
from surveys.imports.importer import OLE_MAGIC, SHEETS, FileProblem, survey_import, write_error_copy, write_survey_workbook
from surveys.models import Assessment, CommuneList, Denominator, ListStatus
from tests.factories import basic_rows, household, make_household, member, write


@pytest.fixture(autouse=True)
def _english_messages():
    # Messages are checked in English; the same code paths answer in Vietnamese by default.
    with translation.override("en"):
        yield


def test_import_creates_households_members_hamlets_assessments_and_one_audit_event(tmp_path, round_2024, officer_a):
    before = AuditEvent.objects.count()
    result = survey_import(actor=officer_a, round=round_2024, path=write(tmp_path))
    assert result.ok and result.applied
    assert sorted(result.households_created) == ["IMP-1", "IMP-2", "IMP-3"]
    assert ("25747", "Khu phố Mới") in result.hamlets_created
    cats = dict(Assessment.objects.filter(round=round_2024).values_list("household__code", "category"))
    assert cats == {"IMP-1": "poor", "IMP-2": "near_poor", "IMP-3": "not_poor"}
    a2 = Assessment.objects.get(household__code="IMP-2", round=round_2024)
    assert a2.group == "social_protection" and a2.members_snapshot[0]["ethnicity"] == "Khmer"
    a1 = Assessment.objects.get(household__code="IMP-1", round=round_2024)
    assert sorted(a1.deprived_indicators.values_list("code", flat=True)) == ["HEALTH_INSURANCE", "LATRINE", "WATER"]
    assert a1.member_count == 2 and a1.group == "poverty_reduction"
    assert Member.objects.get(citizen_id="074190000001").household.code == "IMP-1"
    assert Hamlet.objects.filter(commune__code="25747", name="Khu phố Mới").exists()
    events = AuditEvent.objects.filter(pk__gt=0).count() - before
    assert events == 1 + 3  # the summary, and one event per household for its history
    event = AuditEvent.objects.get(action="survey.imported")
    assert event.changes["households_created"] == [None, 3]
    imp1 = AuditEvent.objects.get(action="household.imported", target_id=str(Household.objects.get(code="IMP-1").pk))
    assert imp1.changes == {
        "round": [None, "BD-2024"],
        "household": [None, "created"],
        "members": [None, 2],
        "category": [None, "poor"],
    }


def test_reimporting_the_same_file_changes_nothing(tmp_path, round_2024, officer_a):
    path = write(tmp_path)
    survey_import(actor=officer_a, round=round_2024, path=path)
    versions = list(Assessment.objects.order_by("id").values_list("id", "version", "updated_at"))
    hh = list(Household.objects.order_by("id").values_list("id", "version"))
    members = list(Member.objects.order_by("id").values_list("id", flat=True))
    events = AuditEvent.objects.count()
    result = survey_import(actor=officer_a, round=round_2024, path=path)
    assert result.ok and not result.changed
    assert result.assessments_unchanged == 3 and result.households_unchanged == 3
    assert list(Assessment.objects.order_by("id").values_list("id", "version", "updated_at")) == versions
    assert list(Household.objects.order_by("id").values_list("id", "version")) == hh
    assert list(Member.objects.order_by("id").values_list("id", flat=True)) == members
    assert AuditEvent.objects.count() == events


def test_existing_household_is_updated_and_preview_writes_nothing(tmp_path, round_2024, officer_a):
    existing = make_household(officer_a, round_2024.province.children.get(code="718").children.get(code="25747"), code="IMP-1")
    old_member_ids = set(existing.members.values_list("id", flat=True))
    path = write(tmp_path)
    preview = survey_import(actor=officer_a, round=round_2024, path=path, apply=False)
    assert preview.ok and not preview.applied
    assert preview.households_updated == ["IMP-1"] and sorted(preview.households_created) == ["IMP-2", "IMP-3"]
    assert ("25747", "Khu phố Mới") in preview.hamlets_created
    assert not Assessment.objects.exists() and not Household.objects.filter(code="IMP-2").exists()
    assert not Hamlet.objects.filter(name="Khu phố Mới").exists()

    result = survey_import(actor=officer_a, round=round_2024, path=path)
    existing.refresh_from_db()
    assert existing.version == 2 and existing.address == "12 Đường 30/4"
    assert not old_member_ids & set(existing.members.values_list("id", flat=True))
    assert existing.members.count() == 2 and result.members_replaced == 3
    # A second file changes one income: only that assessment moves, its version bumps.
    households, members = basic_rows()
    households[0]["income_per_capita"] = 2_500_000
    survey_import(actor=officer_a, round=round_2024, path=write(tmp_path, "v2.xlsx", households, members))
    a1 = Assessment.objects.get(household=existing, round=round_2024)
    assert a1.category == "average" and a1.version == 2
    assert Assessment.objects.get(household__code="IMP-3").version == 1


def test_any_bad_row_writes_nothing_and_names_sheet_row_column(tmp_path, round_2024, officer_a):
    households, members = basic_rows()
    households.append(household("IMP-4", income_per_capita="abc"))
    households.append(household("IMP-5", commune="99999"))
    households.append(household("IMP-1"))  # duplicate code
    members.append(member("IMP-4", sex="X"))
    members.append(member("NOPE"))
    members.append(member("IMP-5", birth_year=1800))
    denominators = [{"commune_code": "25747", "total_households": 100}]
    path = write(tmp_path, households=households, members=members, denominators=denominators)
    result = survey_import(actor=officer_a, round=round_2024, path=path)
    assert not result.applied
    found = {(i.sheet, i.row, i.column) for i in result.issues}
    assert ("households", 5, "income_per_capita") in found
    assert ("households", 6, "commune_code") in found
    assert ("households", 7, "household_code") in found
    assert ("members", 6, "sex") in found
    assert ("members", 7, "household_code") in found
    assert ("members", 8, "birth_year") in found
    assert ("denominators", 2, "total_households") in found  # an officer cannot set denominators
    assert not Household.objects.exists() and not Hamlet.objects.filter(name="Khu phố Mới").exists()
    assert not Denominator.objects.exists() and not AuditEvent.objects.filter(action="survey.imported").exists()
    # The error copy carries an errors column on the bad rows and a sheet listing every issue.
    buf = io.BytesIO()
    write_error_copy(path, result.issues, buf)
    wb = load_workbook(io.BytesIO(buf.getvalue()))
    assert wb["errors"].max_row == len(result.issues) + 1
    hs = wb["households"]
    errors_column = len(SHEETS["households"]) + 1  # after the file's own columns
    assert hs.cell(row=1, column=errors_column).value == "errors"
    assert "income_per_capita" in hs.cell(row=5, column=errors_column).value
    assert hs.cell(row=2, column=8).value is None


def test_cli_exits_nonzero_and_prints_each_problem(tmp_path, round_2024, capsys):
    households, members = basic_rows()
    households[1]["income_per_capita"] = -5
    path = write(tmp_path, households=households, members=members)
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_survey", str(path), "--round", round_2024.code)
    err = capsys.readouterr().err
    assert "households\trow 3\tincome_per_capita" in err
    assert not Household.objects.exists()
    out = io.StringIO()
    call_command("import_survey", str(write(tmp_path, "ok.xlsx")), "--round", round_2024.code, stdout=out)
    assert "households created 3" in out.getvalue()
    out = io.StringIO()
    call_command("import_survey", str(write(tmp_path, "ok.xlsx")), "--round", round_2024.code, stdout=out)
    assert "Nothing changed." in out.getvalue()


def test_vietnamese_label_headers_are_accepted(tmp_path, round_2024, department):
    result = survey_import(
        actor=department,
        round=round_2024,
        path=write(tmp_path, denominators=[{"commune_code": "25747", "total_households": 4000}], labels=True),
    )
    assert result.ok and len(result.households_created) == 3
    assert Denominator.objects.get(round=round_2024, commune__code="25747").total_households == 4000


def test_denominators_may_carry_total_persons_and_old_files_still_work(tmp_path, round_2024, department):
    from openpyxl import load_workbook

    # A workbook of the first format (no total_persons column) keeps working.
    first = write(tmp_path, "first.xlsx", denominators=[{"commune_code": "25747", "total_households": 3000}])
    wb = load_workbook(first)
    wb["denominators"].delete_cols(3, 2)
    wb.save(first)
    assert [c.value for c in next(load_workbook(first)["denominators"].iter_rows())] == ["commune_code", "total_households"]
    assert survey_import(actor=department, round=round_2024, path=first).ok
    assert Denominator.objects.get(round=round_2024, commune__code="25747").total_persons is None
    rows = [{"commune_code": "25747", "total_households": 4000, "total_persons": 15123}]
    result = survey_import(actor=department, round=round_2024, path=write(tmp_path, "p.xlsx", denominators=rows))
    assert result.ok
    d = Denominator.objects.get(round=round_2024, commune__code="25747")
    assert (d.total_households, d.total_persons) == (4000, 15123)
    again = survey_import(actor=department, round=round_2024, path=write(tmp_path, "p.xlsx", denominators=rows))
    assert not again.denominators_set
    bad = [{"commune_code": "25747", "total_households": 4000, "total_persons": -1}]
    result = survey_import(actor=department, round=round_2024, path=write(tmp_path, "bad.xlsx", denominators=bad))
    assert [(i.sheet, i.column) for i in result.issues] == [("denominators", "total_persons")]
    assert Denominator.objects.get(round=round_2024, commune__code="25747").total_persons == 15123


def test_permissions_and_locked_lists(tmp_path, round_2024, officer_a, commune_a, commune_b):
    households, members = basic_rows()
    households.append(household("IMP-B", commune=commune_b.code))
    members.append(member("IMP-B"))
    result = survey_import(actor=officer_a, round=round_2024, path=write(tmp_path, households=households, members=members))
    assert [(i.row, i.column) for i in result.issues] == [(5, "commune_code")]
    CommuneList.objects.create(round=round_2024, commune=commune_a, status=ListStatus.SUBMITTED)
    result = survey_import(actor=officer_a, round=round_2024, path=write(tmp_path, "a.xlsx"))
    assert result.issues and all("submitted or approved" in i.message for i in result.issues)
    assert not Household.objects.exists()


def _workbook(tmp_path, name, build):
    wb = Workbook()
    wb.remove(wb.active)
    build(wb)
    path = tmp_path / name
    wb.save(path)
    return path


@pytest.mark.parametrize(
    "case, expected",
    [
        ("text", "not an Excel workbook"),
        ("xls", "old-format Excel"),
        ("encrypted", "password-protected"),
        ("zip", "no workbook part"),
        ("missing_sheet", "Missing sheet(s): denominators"),
        ("wrong_headers", "Missing column(s)"),
        ("formula", "formula"),
        ("date", "date in a number column"),
    ],
)
def test_malformed_files_get_a_clear_message(tmp_path, round_2024, department, case, expected):
    path = tmp_path / f"{case}.xlsx"
    if case == "text":
        path.write_text("household_code,commune_code\n1,2\n")
    elif case == "xls":
        path.write_bytes(OLE_MAGIC + b"\0" * 504 + "Workbook".encode("utf-16-le"))
    elif case == "encrypted":
        path.write_bytes(OLE_MAGIC + b"\0" * 504 + "EncryptionInfo".encode("utf-16-le") + "EncryptedPackage".encode("utf-16-le"))
    elif case == "zip":
        import zipfile

        with zipfile.ZipFile(path, "w") as zf:
            zf.writestr("word/document.xml", "<w/>")
    elif case == "missing_sheet":
        path = _workbook(tmp_path, "m.xlsx", lambda wb: [wb.create_sheet("households"), wb.create_sheet("members")])
    else:
        households, members = basic_rows()
        write_survey_workbook(path, households=households, members=members)
        wb = load_workbook(path)
        if case == "wrong_headers":
            wb["members"]["C1"] = "gender"
        elif case == "formula":
            wb["households"]["F2"] = "=1000000*2"
        elif case == "date":
            wb["households"]["F3"] = datetime.datetime(2024, 5, 1)
        wb.save(path)
    try:
        result = survey_import(actor=department, round=round_2024, path=path)
    except FileProblem as exc:
        message = str(exc)
    else:
        assert not result.applied
        message = " | ".join(str(i) for i in result.issues)
    assert expected in message
    assert not Household.objects.exists()


def test_malformed_file_via_cli_is_an_error_not_a_traceback(tmp_path, round_2024):
    path = tmp_path / "x.xlsx"
    path.write_text("nope")
    with pytest.raises(CommandError, match="not an Excel workbook"):
        call_command("import_survey", str(path), "--round", round_2024.code)


def test_web_upload_preview_confirm_and_error_copy(client, tmp_path, round_2024, officer_a, settings):
    settings.POVREG_IMPORT_DIR = str(tmp_path / "imports")
    client.force_login(officer_a)
    form = client.get("/reports/import/")
    assert form.status_code == 200
    token = form.context["token"]
    with open(write(tmp_path), "rb") as fh:
        response = client.post("/reports/import/", {"token": token, "round": round_2024.code, "file": fh})
    assert response.status_code == 302 and token in response["Location"]
    stored = tmp_path / "imports" / f"{token}.xlsx"  # citizen IDs inside: private to the app's user
    assert stored.stat().st_mode & 0o777 == 0o600 and (tmp_path / "imports").stat().st_mode & 0o777 == 0o700
    preview = client.get(response["Location"])
    assert preview.status_code == 200 and not Household.objects.exists()
    html = preview.content.decode()
    assert 'data-stat="households_created">3<' in html and "Khu phố Mới" in html
    assert client.get(f"/reports/import/{token}/progress/").json()["percent"] == 100
    done = client.post(f"/reports/import/{token}/apply/")
    assert done.status_code == 302
    assert Household.objects.count() == 3 and Assessment.objects.filter(round=round_2024).count() == 3
    assert AuditEvent.objects.filter(action="survey.imported").count() == 1

    # A bad file: the preview lists the problems and offers the copy with an errors column.
    token = client.get("/reports/import/").context["token"]
    households, members = basic_rows()
    households[0]["income_per_capita"] = "nhiều"
    with open(write(tmp_path, "bad.xlsx", households, members), "rb") as fh:
        response = client.post("/reports/import/", {"token": token, "round": round_2024.code, "file": fh})
    html = client.get(response["Location"]).content.decode()
    assert "income_per_capita" in html and "Confirm" not in html
    copy = client.get(f"/reports/import/{token}/errors.xlsx")
    wb = load_workbook(io.BytesIO(b"".join(copy.streaming_content)))
    assert wb["households"].cell(row=2, column=len(SHEETS["households"]) + 1).value.startswith("income_per_capita")

    # Not a workbook: a clear message, not a 500.
    token = client.get("/reports/import/").context["token"]
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"PK-not-really")
    with open(junk, "rb") as fh:
        response = client.post("/reports/import/", {"token": token, "round": round_2024.code, "file": fh})
    page = client.get(response["Location"])
    assert page.status_code == 200 and "data-file-problem" in page.content.decode()
    # Someone else's token is not found.
    assert client.get("/reports/import/not-a-token/").status_code == 404


def test_import_template_has_the_three_sheets_and_is_importable_headers(client, round_2024, officer_a, tmp_path):
    client.force_login(officer_a)
    response = client.get("/reports/import/template.xlsx", {"round": round_2024.code})
    path = tmp_path / "template.xlsx"
    path.write_bytes(b"".join(response.streaming_content))
    wb = load_workbook(path)
    assert {"instructions", "households", "members", "denominators", "codes"} <= set(wb.sheetnames)
    assert wb["households"]["A1"].value == "Mã hộ (household_code)"
    assert wb["members"].data_validations.dataValidation  # dropdowns for sex, relation, flags
    assert "25747" in [c.value for c in wb["codes"]["A"]]
    # The empty template's headers are all recognised; having no rows, it is refused as empty (issue 12), not
    # "nothing changed" (a header problem would be an issue, not this message).
    with pytest.raises(FileProblem, match="no data rows|không có dòng dữ liệu"):
        survey_import(actor=officer_a, round=round_2024, path=path)


def test_replaced_members_leave_the_households_other_open_round_alone(tmp_path, round_2024, department, province):
    from households.models import Household
    from households.services import MemberData, household_update
    from surveys.models import Assessment, CriteriaSet
    from surveys.rounds import round_create
    from surveys.services import assessment_save

    assert survey_import(actor=department, round=round_2024, path=write(tmp_path)).ok
    household = Household.objects.get(code="IMP-1")
    rolling = round_create(
        actor=department,
        code="BD-2025-R",
        year=2025,
        kind="rolling",
        criteria_set=CriteriaSet.objects.get(code="VN-2022"),
        province=province,
    )
    assessment_save(
        actor=department,
        household=household,
        round=rolling,
        income_per_capita=900_000,
        deprived=["WATER", "LATRINE", "NUTRITION"],
    )
    before = Assessment.objects.get(household=household, round=rolling)
    assert before.member_count > 1
    household_update(
        actor=department,
        household=household,
        members=[MemberData(full_name="Ông Ba", sex="M", birth_year=1940, relation="head", able_to_work=False)],
    )
    assert Assessment.objects.get(household=household, round=rolling).member_count == 1
    # The household page's edit recomputed only the newest open round (the rolling one): BD-2024 kept its facts.
    assert Assessment.objects.get(household=household, round=round_2024).member_count == before.member_count
    # The file puts its members back for BD-2024: the rolling round keeps the facts it was decided on.
    assert survey_import(actor=department, round=round_2024, path=write(tmp_path, "again.xlsx")).ok
    after = Assessment.objects.get(household=household, round=rolling)
    assert after.member_count == 1 and after.version == before.version + 1
    assert Assessment.objects.get(household=household, round=round_2024).member_count == before.member_count


def test_a_zip_bomb_is_refused_from_the_zip_directory_before_parsing(tmp_path, round_2024, department, settings):
    import time
    import tracemalloc
    import zipfile

    settings.POVREG_IMPORT_MAX_UNCOMPRESSED_MB = 20
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/workbook.xml", "<workbook/>")
        with zf.open("xl/worksheets/sheet1.xml", "w") as part:
            chunk = b"<row>" + b"0" * (1024 * 1024) + b"</row>"
            for _ in range(64):  # 64 MB of sheet XML in a ~64 kB file
                part.write(chunk)
    assert bomb.stat().st_size < 1024 * 1024
    tracemalloc.start()
    started = time.monotonic()
    with pytest.raises(FileProblem, match="more than 20 MB"):
        survey_import(actor=department, round=round_2024, path=bomb)
    elapsed, peak = time.monotonic() - started, tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert elapsed < 2 and peak < 20 * 1024 * 1024


def test_too_many_rows_are_refused_before_anything_is_checked(tmp_path, round_2024, department, settings):
    settings.POVREG_IMPORT_MAX_ROWS = 5
    households = [household(f"ROW-{i}") for i in range(4)]
    members = [member(f"ROW-{i}") for i in range(4)]
    with pytest.raises(FileProblem, match="more than 5 rows"):
        survey_import(actor=department, round=round_2024, path=write(tmp_path, households=households, members=members))
    assert not Household.objects.filter(code__startswith="ROW-").exists()


def test_the_household_page_history_shows_the_import(client, tmp_path, round_2024, officer_a):
    assert survey_import(actor=officer_a, round=round_2024, path=write(tmp_path)).ok
    households, members = basic_rows()
    households[0]["income_per_capita"] = 5_000_000  # IMP-1 is no longer poor
    assert survey_import(actor=officer_a, round=round_2024, path=write(tmp_path, "again.xlsx", households, members)).ok
    events = AuditEvent.objects.filter(
        action="household.imported", target_id=str(Household.objects.get(code="IMP-1").pk)
    ).order_by("id")
    assert [e.changes.get("category") for e in events] == [[None, "poor"], ["poor", "not_poor"]]
    client.force_login(officer_a)
    html = client.get("/households/IMP-1/").content.decode()  # the page is in Vietnamese
    with translation.override("vi"):
        label = translation.gettext("Imported from a survey workbook")
    assert html.count(label) == 2
