"""Recognition and approval decisions (issue 13 item 2): the commune chairman's decision is a step of the list
before the department approves; the province's decision (with its scan) is cited by approved reports; each
household of an approved list prints its certificate with the decisions."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from surveys import approval
from tests.factories import fill_commune, record_procedure

TODAY = timezone.localdate()
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def reviewed(officer_a, district_officer, commune_a, round_2024):
    fill_commune(officer_a, commune_a, round_2024, hamlets=("Khu phố 1",))
    commune_list = approval.commune_list_get_or_create(actor=officer_a, round=round_2024, commune=commune_a)
    record_procedure(officer_a, commune_list, posting_end=TODAY + datetime.timedelta(days=1))  # no decision yet
    commune_list.postings.update(ends_on=TODAY - datetime.timedelta(days=1))
    commune_list = approval.commune_list_submit(actor=officer_a, commune_list=commune_list)
    return approval.commune_list_review(actor=district_officer, commune_list=commune_list)


def test_the_department_cannot_approve_before_the_chairman_recognises_the_list(reviewed, department, chairman_a, officer_b):
    with pytest.raises(ValidationError) as refused:
        approval.commune_list_approve(actor=department, commune_list=reviewed)
    assert "recognition" in refused.value.message_dict
    with pytest.raises(ValidationError) as too_early:
        approval.recognition_record(
            actor=chairman_a,
            commune_list=reviewed,
            number="5/QĐ-UBND",
            date=TODAY - datetime.timedelta(days=3),
            signer="Nguyễn Văn Chủ",
        )
    assert f"{TODAY - datetime.timedelta(days=1):%d/%m/%Y}" in str(
        too_early.value.message_dict["recognition_date"]
    )  # the posting's end
    with pytest.raises(ObjectDoesNotExist):  # another commune's officer: the list is not even found
        approval.recognition_record(actor=officer_b, commune_list=reviewed, number="5/QĐ-UBND", date=TODAY, signer="X")
    recognised = approval.recognition_record(
        actor=chairman_a, commune_list=reviewed, number="5/QĐ-UBND", date=TODAY, signer="Nguyễn Văn Chủ"
    )
    approved = approval.commune_list_approve(actor=department, commune_list=recognised)
    assert approved.status == "approved" and approved.recognition_number == "5/QĐ-UBND"
    with pytest.raises(ValidationError):  # approved: the decision no longer changes
        approval.recognition_record(actor=chairman_a, commune_list=approved, number="6/QĐ-UBND", date=TODAY, signer="X")


def test_the_chairman_records_the_decision_on_the_page_and_it_is_printed(client, reviewed, chairman_a):
    client.force_login(chairman_a)
    url = reverse("approval:detail", args=[reviewed.round.code, reviewed.commune.code])
    record = reverse("approval:recognition_add", args=[reviewed.round.code, reviewed.commune.code])
    assert f'action="{record}"' in client.get(url).content.decode()
    response = client.post(
        reverse("approval:recognition_add", args=[reviewed.round.code, reviewed.commune.code]),
        {"number": "7/QĐ-UBND", "date": TODAY.strftime("%d/%m/%Y"), "signer": "Nguyễn Văn Chủ"},
    )
    assert response.status_code == 302
    reviewed.refresh_from_db()
    assert (reviewed.recognition_number, reviewed.recognition_date) == ("7/QĐ-UBND", TODAY)
    printed = client.get(
        reverse("approval:print_recognition", args=[reviewed.round.code, reviewed.commune.code])
    ).content.decode()
    assert "7/QĐ-UBND" in printed and "data-recognition" in printed


def test_the_province_decision_with_its_scan_is_cited_by_reports_and_certificates(
    client, reviewed, chairman_a, department, officer_a, officer_b
):
    approval.recognition_record(actor=chairman_a, commune_list=reviewed, number="5/QĐ-UBND", date=TODAY, signer="Nguyễn Văn Chủ")
    approved = approval.commune_list_approve(actor=department, commune_list=reviewed)
    survey_round = approved.round
    client.force_login(department)
    overview = reverse("approval:overview", args=[survey_round.code])
    decision_url = reverse("approval:round_decision", args=[survey_round.code])
    not_a_pdf = SimpleUploadedFile("qd.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    client.post(
        decision_url,
        {"number": "99/QĐ-UBND", "date": TODAY.strftime("%d/%m/%Y"), "signer": "Chủ tịch UBND tỉnh", "document": not_a_pdf},
    )
    assert not survey_round.decisions.exists()  # refused: the file is not what it says
    scan = SimpleUploadedFile("qd.pdf", PDF, content_type="application/pdf")
    response = client.post(
        decision_url,
        {"number": "99/QĐ-UBND", "date": TODAY.strftime("%d/%m/%Y"), "signer": "Chủ tịch UBND tỉnh", "document": scan},
    )
    assert response.status_code == 302
    decision = survey_round.decisions.get()
    assert "99/QĐ-UBND" in client.get(overview).content.decode()
    file = client.get(reverse("approval:round_decision_file", args=[survey_round.code, decision.pk]))
    assert file["Content-Type"] == "application/pdf" and b"".join(file.streaming_content) == PDF

    rates = client.get("/reports/rates/", {"round": survey_round.code}).content.decode()
    assert "99/QĐ-UBND" in rates
    sheet = load_workbook(
        io.BytesIO(b"".join(client.get("/reports/rates.xlsx", {"round": survey_round.code}).streaming_content))
    ).active
    assert any("Quyết định số 99/QĐ-UBND" in (sheet.cell(row=r, column=1).value or "") for r in range(1, 8))

    # Officers do not record the province's decision.
    client.force_login(officer_a)
    assert client.post(decision_url, {"number": "1", "date": TODAY.strftime("%d/%m/%Y"), "signer": "X"}).status_code == 403

    # A poor household of the approved list prints its certificate, with both decisions.
    entry = approved.entries.filter(category="poor").select_related("household").first()
    certificate = client.get(
        reverse("approval:certificate", args=[survey_round.code, approved.commune.code, entry.household.code])
    )
    assert certificate.status_code == 200, certificate.status_code
    html = certificate.content.decode()
    assert certificate.status_code == 200 and "5/QĐ-UBND" in html and "99/QĐ-UBND" in html and 'data-category="poor"' in html
    other = approved.entries.exclude(category__in=["poor", "near_poor"]).select_related("household").first()
    assert (
        client.get(
            reverse("approval:certificate", args=[survey_round.code, approved.commune.code, other.household.code])
        ).status_code
        == 404
    )
    client.force_login(officer_b)
    assert (
        client.get(
            reverse("approval:certificate", args=[survey_round.code, approved.commune.code, entry.household.code])
        ).status_code
        == 404
    )
