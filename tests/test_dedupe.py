"""Possible duplicates (issue 14, item 6): the matcher's rules, the province scan and its queue, decisions (different:
never again; same: merged through the household service, audited), who sees which pair, "Scan now", the
management command, and the warning while a household is registered."""

from __future__ import annotations

import io
import random

import pytest
from django.core.management import call_command
from django.urls import reverse
from rapidfuzz import fuzz

from core.models import AuditEvent, Job
from dedupe import blocking, matching
from dedupe.models import CandidateStatus, DuplicateCandidate, DuplicateScan
from dedupe.selectors import neighbour_map
from dedupe.services import duplicate_decide, duplicates_scan
from households.models import AdminUnit, Household, HouseholdStatus, Level, Member, Role
from households.search import fold
from households.services import MemberData, household_create
from tests.factories import make_user

pytestmark = pytest.mark.django_db

HONG = "Nguyễn Thị Hồng"


# ---------------------------------------------------------------- the rules, pure


@pytest.mark.parametrize(
    ("a", "b", "reason"),
    [
        ("Nguyễn Thị Hồng", "Nguyễn Thị Hồng", "name_exact"),
        ("Nguyễn Thị Hoà", "Nguyễn Thị Hòa", "name_exact"),  # old and new tone placement
        ("NGUYỄN THỊ HỒNG", "nguyễn  thị hồng", "name_exact"),
        ("Nguyễn Thị Hồng", "Nguyen Thi Hong", "name_without_marks"),
        ("Đặng Văn An", "Dang Van An", "name_without_marks"),
        ("Nguyễn Thi Hồng", "Nguyễn Thị Hồng", "name_marks_missing"),
        ("Nguyễn Văn Hùng", "Nguyễn Văn Hưng", "name_marks_differ"),
        ("Nguyễn Thị Hồng", "Hồng Nguyễn Thị", "name_order"),
        ("Ngyuen Thi Hong", "Nguyễn Thị Hồng", "name_typo"),  # a long family name mistyped
        ("Nguyễn Thị Hồng", "Nguyễn Hồng", "middle_name_missing"),
        # Not the same name: one letter apart, short syllables are other names.
        ("Lê Văn Hùng", "Lý Văn Hùng", None),
        ("Phan Văn Nam", "Phạm Văn Nam", None),
        ("Nguyễn Văn Hùng", "Nguyễn Văn Hòa", None),
        ("Trần Văn Hùng", "Trần Đức Hùng", None),
        ("Nguyễn Thị Lan", "Nguyễn Thị Lam", None),
        ("Trần Thị Hồng", "Nguyễn Thị Hồng", None),
    ],
)
def test_names_compared(a, b, reason):
    result = matching.compare_names(matching.name_key(a), matching.name_key(b))
    assert (result[1] if result else None) == reason
    assert matching.compare_names(matching.name_key(b), matching.name_key(a)) == result  # symmetric


def _person(name, year=1980, commune=1, household=1, member=None, sex="F", citizen_id="", head=True):
    return matching.Person(member or household, household, commune, name, year, sex, citizen_id, head)


def test_pair_scores():
    a = _person(HONG, commune=1, household=1)
    plain = _person("Nguyen Thi Hong", commune=2, household=2)
    assert matching.score_people(a, plain).score == 95 - matching.NEIGHBOUR_PENALTY
    assert matching.score_people(a, _person("Nguyen Thi Hong", year=1981, household=2)) is None  # another year
    assert matching.score_people(a, _person(HONG, household=2, sex="M")).score == 100 - matching.SEX_PENALTY
    with_ids = matching.score_people(
        _person(HONG, citizen_id="074180000123"), _person(HONG, household=2, citizen_id="074180000128")
    )
    assert with_ids.score == 100 and "citizen_id_typo" in with_ids.reasons
    other_ids = matching.score_people(
        _person(HONG, citizen_id="074180000123"), _person(HONG, household=2, citizen_id="079190555555")
    )
    assert other_ids.score == 100 - matching.IDS_DIFFER_PENALTY
    # A household brings its other members along; a common name alone weighs less.
    spouse = matching.score_people(
        _person("Trần Văn Nam", 1978, member=11, sex="M"),
        _person("Tran Van Nam", 1978, commune=2, household=2, member=12, sex="M"),
    )
    alone = matching.household_score([matching.score_people(a, plain)])
    both = matching.household_score([matching.score_people(a, plain), spouse])
    assert both.score == min(100, alone.score + matching.SUPPORT_BONUS) and "other_members_match" in both.reasons
    common = matching.household_score([matching.score_people(a, plain)], expected_homonyms=1.0)
    assert common.score == alone.score - 27 and common.score < matching.QUEUE_MIN and "common_name" in common.reasons
    assert matching.common_name_penalty(0) == 0 and matching.common_name_penalty(100) == matching.MAX_COMMON_PENALTY
    # Two people alike in the same two households are no namesakes' chance: the common name costs nothing then.
    assert matching.household_score([matching.score_people(a, plain), spouse], expected_homonyms=1.0).score == both.score
    # One person alike in two families whose other members all differ: more often a namesake.
    others = matching.household_score([matching.score_people(a, plain)], sizes=(3, 2))
    assert others.score == alone.score - matching.OTHERS_DIFFER_PENALTY and "other_members_differ" in others.reasons
    assert matching.household_score([matching.score_people(a, plain)], sizes=(1, 4)).score == alone.score  # one lives alone
    # Citizen IDs: one keystroke apart is a typo; two different digits are two people.
    assert matching._id_typo("074180000123", "074180000132") and not matching._id_typo("074180000123", "074180000145")


def test_neighbours_share_a_district_or_lie_close():
    units = [(1, "A", 10), (2, "B", 10), (3, "C", 20), (4, "D", 20), (5, "E", None)]
    points = {"A": (11.0, 106.6), "B": (11.3, 106.9), "C": (11.01, 106.61), "D": (11.5, 107.2), "E": (11.02, 106.62)}
    near = blocking.neighbours(units, points, nearest=2, radius_km=5)
    assert near[1] == {1, 2, 3, 5}  # B by district (40 km away), C and E by distance
    assert near[3] == {1, 3, 4, 5} and near[4] == {3, 4}  # symmetric; D is far from everyone but its district
    assert all(pk in near[other] for pk, others in near.items() for other in others)


# ---------------------------------------------------------------- the province scan

FAMILY = [
    "Nguyễn",
    "Trần",
    "Lê",
    "Lý",
    "Phạm",
    "Phan",
    "Hoàng",
    "Huỳnh",
    "Vũ",
    "Võ",
    "Đặng",
    "Bùi",
    "Đỗ",
    "Hồ",
    "Ngô",
    "Dương",
    "Trương",
    "Đinh",
    "Lâm",
    "Mai",
]
MIDDLE = {
    "M": ["Văn", "Đức", "Minh", "Quốc", "Hữu", "Thanh", "Công", "Văn Minh", "Đình", "Ngọc"],
    "F": ["Thị", "Ngọc", "Thu", "Kim", "Thanh", "Thị Thu", "Mỹ", "Bích", "Thị Ngọc", "Hồng"],
}
GIVEN = {
    "M": [
        "Hùng",
        "Hưng",
        "Dũng",
        "Nam",
        "Tuấn",
        "Phúc",
        "Long",
        "Sơn",
        "Tài",
        "Bình",
        "Khang",
        "Hòa",
        "Hoàng",
        "Trung",
        "Thắng",
        "Cường",
        "Hải",
        "Quang",
        "Tâm",
        "An",
        "Đạt",
        "Lộc",
    ],
    "F": [
        "Hồng",
        "Hương",
        "Lan",
        "Lam",
        "Mai",
        "Hoa",
        "Hòa",
        "Thảo",
        "Linh",
        "Trang",
        "Nhung",
        "Hạnh",
        "Yến",
        "Ngân",
        "Phương",
        "Thủy",
        "Thúy",
        "Trinh",
        "Vy",
        "Nga",
        "Loan",
        "Châu",
    ],
}


def random_people(n: int, seed: int = 14) -> list[tuple[str, str, int]]:
    """`n` distinct people: (name, sex, birth year), no two with the same name once folded (nor the same words in
    another order) and year, and none named "Nguyễn Thị Hồng": the planted pair's name is theirs alone (other
    namesakes nearby would rightly lower its score: dedupe.matching.common_name_penalty)."""
    rng = random.Random(seed)
    taken: set = set()
    people = []
    while len(people) < n:
        sex = rng.choice("MF")
        name = f"{rng.choice(FAMILY)} {rng.choice(MIDDLE[sex])} {rng.choice(GIVEN[sex])}"
        year = rng.randint(1955, 1995)  # 40 years: about 25 people a year, so many share a block
        key = (" ".join(sorted(fold(name).split())), year)
        if key in taken or (fold(name), year) in taken or fold(name) == fold(HONG):
            continue
        taken |= {key, (fold(name), year)}
        people.append((name, sex, year))
    return people


def bulk_households(people, communes, prefix="R") -> list[Household]:
    """One-member households (heads), spread over `communes`, written in bulk."""
    households = Household.objects.bulk_create(
        [
            Household(code=f"{prefix}-{i:05d}", commune=communes[i % len(communes)], head_name=name, search_key=fold(name))
            for i, (name, _sex, _year) in enumerate(people)
        ]
    )
    Member.objects.bulk_create(
        [
            Member(household=h, full_name=name, sex=sex, birth_year=year, relation="head", position=1)
            for h, (name, sex, year) in zip(households, people, strict=True)
        ]
    )
    return households


@pytest.fixture
def district_communes(commune_a):
    return list(AdminUnit.objects.filter(parent=commune_a.parent, level=Level.COMMUNE).order_by("code"))


@pytest.fixture
def neighbour(commune_a, district_communes):
    """A commune of commune A's district (Thủ Dầu Một): a neighbour."""
    return next(c for c in district_communes if c.pk != commune_a.pk)


def register(actor, commune, name, year, *, code, sex="F", others=()):
    return household_create(
        actor=actor,
        code=code,
        commune=commune,
        members=[MemberData(full_name=name, sex=sex, birth_year=year, relation="head"), *others],
    )


@pytest.fixture
def planted(department, commune_a, neighbour):
    a = register(department, commune_a, HONG, 1980, code="P-HONG-1")
    b = register(department, neighbour, "Nguyen Thi Hong", 1980, code="P-HONG-2")
    return a, b


def test_the_planted_pair_is_found_and_a_thousand_distinct_people_are_not(province, department, district_communes, planted):
    people = random_people(1000)
    bulk_households(people, district_communes)
    near = neighbour_map(province)
    assert all(d.pk in near[c.pk] for c in district_communes for d in district_communes)  # one neighbourhood
    # The random people are hard to tell apart: many share a given name and year, and a plain fuzzy ratio would
    # call dozens of them the same (Lê/Lý Văn Hùng, Nguyễn Văn Hùng/Hưng, …).
    same_year = [(n1, n2) for i, (n1, _s1, y1) in enumerate(people) for (n2, _s2, y2) in people[i + 1 :] if y1 == y2]
    assert sum(fold(n1).split()[-1] == fold(n2).split()[-1] for n1, n2 in same_year) >= 300  # share a block
    assert sum(fuzz.ratio(fold(n1), fold(n2)) >= 85 for n1, n2 in same_year) >= 10

    scan = duplicates_scan(province=province, actor=department)

    pairs = list(DuplicateCandidate.objects.values_list("household_a__code", "household_b__code", "status"))
    assert pairs == [("P-HONG-1", "P-HONG-2", "open")]
    candidate = DuplicateCandidate.objects.get()
    assert candidate.score >= matching.QUEUE_MIN and "name_without_marks" in candidate.reasons
    assert candidate.matches[0]["a_name"] == HONG and candidate.matches[0]["b_name"] == "Nguyen Thi Hong"
    assert (scan.members, scan.candidates, scan.new) == (1002, 1, 1)
    assert 300 <= scan.pairs_compared < 1002 * 1001 // 2 // 100  # blocked: under 1% of all 501,501 pairs
    event = AuditEvent.objects.get(action="duplicates.scanned")
    assert event.target_id == str(province.pk) and event.changes["candidates"] == [None, 1]


def test_a_common_name_alone_is_not_queued_but_a_household_twice_is(province, department, district_communes):
    # Thirty namesakes nearby: two of them born the same year are as likely namesakes as one person twice.
    bulk_households([("Nguyễn Văn Hùng", "M", 1950 + i) for i in range(30)] + [("Nguyen Van Hung", "M", 1965)], district_communes)
    # A couple entered twice (no citizen IDs), with the same common names: that many coincidences are unlikely.
    lan = MemberData(full_name="Trần Thị Lan", sex="F", birth_year=1987, relation="spouse")
    register(department, district_communes[0], "Nguyễn Văn Hùng", 1985, code="C-1", sex="M", others=[lan])
    register(department, district_communes[1], "Nguyễn Văn Hùng", 1985, code="C-2", sex="M", others=[lan])
    scan = duplicates_scan(province=province, actor=department)
    assert list(DuplicateCandidate.objects.values_list("household_a__code", "household_b__code")) == [("C-1", "C-2")]
    assert scan.pairs_compared >= 1 and "other_members_match" in DuplicateCandidate.objects.get().reasons


def test_a_scan_again_keeps_the_pair_and_drops_one_no_longer_found(province, department, planted):
    duplicates_scan(province=province, actor=department)
    first = DuplicateCandidate.objects.get()
    again = duplicates_scan(province=province, actor=department)
    assert DuplicateCandidate.objects.get().pk == first.pk and (again.new, again.removed) == (0, 0)
    # The typo corrected into another person: the open pair goes.
    Member.objects.filter(household=planted[1]).update(full_name="Nguyễn Thị Lan")
    third = duplicates_scan(province=province, actor=department)
    assert third.removed == 1 and not DuplicateCandidate.objects.exists()


def test_different_is_never_proposed_again(client, province, department, planted):
    duplicates_scan(province=province, actor=department)
    candidate = DuplicateCandidate.objects.get()
    client.force_login(department)
    response = client.post(
        reverse("dedupe:duplicate-decide", args=[candidate.pk]), {"decision": "different", "note": "Hai người khác nhau"}
    )
    assert response.status_code == 302
    candidate.refresh_from_db()
    assert (candidate.status, candidate.decided_by, candidate.merged) == (CandidateStatus.DIFFERENT, department, False)
    event = AuditEvent.objects.get(action="duplicate.decided")
    assert (
        event.changes == {"status": ["open", "different"]} and event.actor == department and event.reason == "Hai người khác nhau"
    )
    later = duplicates_scan(province=province, actor=department)
    assert (later.new, later.removed) == (0, 0) and later.candidates == 1  # found, but left as decided
    assert list(DuplicateCandidate.objects.values_list("status", flat=True)) == ["different"]
    page = client.get(reverse("dedupe:duplicates")).content.decode()
    assert f'data-pair="{candidate.pk}"' not in page
    assert f'data-pair="{candidate.pk}"' in client.get(reverse("dedupe:duplicates"), {"status": "decided"}).content.decode()
    # Decided once: a second decision is refused, nothing changes.
    again = client.post(reverse("dedupe:duplicate-decide", args=[candidate.pk]), {"decision": "different"})
    assert again.status_code == 400 and "data-decided" in again.content.decode()  # the page says the decision
    assert AuditEvent.objects.filter(action="duplicate.decided").count() == 1


def test_same_merges_through_the_household_service_and_is_audited(client, province, department, planted):
    a, b = planted
    duplicates_scan(province=province, actor=department)
    candidate = DuplicateCandidate.objects.get()
    client.force_login(department)
    missing_keep = client.post(reverse("dedupe:duplicate-decide", args=[candidate.pk]), {"decision": "same"})
    assert missing_keep.status_code == 400 and 'name="keep"' in missing_keep.content.decode()
    response = client.post(reverse("dedupe:duplicate-decide", args=[candidate.pk]), {"decision": "same", "keep": str(a.pk)})
    assert response.status_code == 302
    b.refresh_from_db()
    a.refresh_from_db()
    assert (b.status, b.merged_into_id, a.status) == (HouseholdStatus.MERGED, a.pk, HouseholdStatus.ACTIVE)
    candidate.refresh_from_db()
    assert (candidate.status, candidate.kept_id, candidate.merged) == (CandidateStatus.SAME, a.pk, True)
    status_event = AuditEvent.objects.get(action="household.status_changed", target_id=str(b.pk))
    assert status_event.changes["status"] == ["active", "merged"] and str(candidate.pk) in status_event.reason
    decided = AuditEvent.objects.get(action="duplicate.decided", target_id=str(candidate.pk))
    assert decided.changes == {"status": ["open", "same"], "kept": [None, a.pk], "merged": [False, True]}
    # The merged household is no longer active: later scans do not find the pair again, nor remove the decision.
    later = duplicates_scan(province=province, actor=department)
    assert later.candidates == 0 and DuplicateCandidate.objects.get().status == CandidateStatus.SAME


def test_a_district_officer_records_same_and_department_staff_merge(client, province, department, district_officer, planted):
    a, b = planted
    duplicates_scan(province=province, actor=department)
    candidate = DuplicateCandidate.objects.get()
    client.force_login(district_officer)
    page = client.get(reverse("dedupe:duplicate", args=[candidate.pk])).content.decode()
    assert "data-no-merge" in page
    client.post(reverse("dedupe:duplicate-decide", args=[candidate.pk]), {"decision": "same", "keep": str(b.pk)})
    candidate.refresh_from_db()
    a.refresh_from_db()
    assert (candidate.status, candidate.merged, candidate.kept_id, a.status) == ("same", False, b.pk, "active")
    # Nor can the district officer complete it.
    refused = client.post(reverse("dedupe:duplicate-decide", args=[candidate.pk]), {"decision": "same", "keep": str(b.pk)})
    assert refused.status_code == 403
    client.force_login(department)
    assert "data-merge-pending" in client.get(reverse("dedupe:duplicate", args=[candidate.pk])).content.decode()
    client.post(reverse("dedupe:duplicate-decide", args=[candidate.pk]), {"decision": "same", "keep": str(b.pk)})
    a.refresh_from_db()
    candidate.refresh_from_db()
    assert (a.status, a.merged_into_id, candidate.merged, candidate.decided_by) == ("merged", b.pk, True, district_officer)
    assert list(
        AuditEvent.objects.filter(target_type="dedupe.duplicatecandidate").order_by("id").values_list("action", "actor__username")
    ) == [("duplicate.decided", "district_a"), ("duplicate.merged", "department")]


# ---------------------------------------------------------------- who sees which pair


def test_scope_both_communes(client, province, department, district_officer, officer_a, commune_a, commune_b, planted):
    # A second pair across the district's border: a commune of A's district and a near one of another district.
    near = neighbour_map(province)
    inner, across = next(
        (c, d)
        for c in AdminUnit.objects.filter(parent=commune_a.parent).order_by("code")
        for d in AdminUnit.objects.filter(pk__in=near[c.pk]).exclude(parent=commune_a.parent).order_by("code")
    )
    register(department, inner, "Trần Văn Bảy", 1955, code="X-BAY-1", sex="M")
    register(department, across, "Tran Van Bay", 1955, code="X-BAY-2", sex="M")
    duplicates_scan(province=province, actor=department)
    inside = DuplicateCandidate.objects.get(household_a__code="P-HONG-1")
    border = DuplicateCandidate.objects.get(household_a__code="X-BAY-1")
    other_district = make_user("district_b", Role.DISTRICT_OFFICER, commune_b.parent)

    def seen(user):
        client.force_login(user)
        response = client.get(reverse("dedupe:duplicates"))
        assert response.status_code == 200
        body = response.content.decode()
        return {pk for pk in (inside.pk, border.pk) if f'data-pair="{pk}"' in body}

    assert seen(department) == {inside.pk, border.pk}
    assert seen(district_officer) == {inside.pk}  # the border pair's other commune is not theirs
    assert seen(other_district) == set()
    client.force_login(other_district)
    response = client.get(reverse("dedupe:duplicate", args=[inside.pk]))
    assert response.status_code == 404 and "P-HONG" not in response.content.decode()
    assert client.post(reverse("dedupe:duplicate-decide", args=[inside.pk]), {"decision": "different"}).status_code == 404
    client.force_login(district_officer)
    assert client.get(reverse("dedupe:duplicate", args=[border.pk])).status_code == 404
    assert client.get(reverse("dedupe:duplicate", args=[inside.pk])).status_code == 200
    client.force_login(officer_a)  # a commune officer does not review duplicates
    assert client.get(reverse("dedupe:duplicates")).status_code == 403
    assert client.get(reverse("dedupe:duplicate", args=[inside.pk])).status_code == 403
    inside.refresh_from_db()
    assert inside.status == CandidateStatus.OPEN


def test_the_service_checks_the_reviewer_too(province, department, commune_b, planted):
    from django.core.exceptions import PermissionDenied

    duplicates_scan(province=province, actor=department)
    other_district = make_user("district_b", Role.DISTRICT_OFFICER, commune_b.parent)
    with pytest.raises(PermissionDenied):
        duplicate_decide(actor=other_district, candidate=DuplicateCandidate.objects.get(), decision="different")
    with pytest.raises(PermissionDenied):
        duplicates_scan(province=province, actor=other_district)


def test_pair_page_side_by_side(client, province, department, planted):
    duplicates_scan(province=province, actor=department)
    candidate = DuplicateCandidate.objects.get()
    client.force_login(department)
    body = client.get(reverse("dedupe:duplicate", args=[candidate.pk])).content.decode()
    assert 'data-side="a" data-household="P-HONG-1"' in body and 'data-side="b" data-household="P-HONG-2"' in body
    assert body.count("data-matched") == 2 and f'data-score="{candidate.score}"' in body
    from core.models import PersonalDataAccess

    assert set(PersonalDataAccess.objects.filter(user=department).values_list("household__code", flat=True)) == {
        "P-HONG-1",
        "P-HONG-2",
    }


def test_queue_query_budget(client, province, department, district_communes, django_assert_max_num_queries):
    households = bulk_households([(f"Nguyễn Văn Tên{i}", "M", 1970) for i in range(60)], district_communes, prefix="Q")
    DuplicateCandidate.objects.bulk_create(
        [
            DuplicateCandidate(household_a=households[2 * i], household_b=households[2 * i + 1], score=90, reasons=["name_exact"])
            for i in range(30)
        ]
    )
    client.force_login(department)
    client.get(reverse("dedupe:duplicates"))  # warm the session
    with django_assert_max_num_queries(
        12
    ):  # 11: session, user, role check, menu, count, rows, provinces, scans, jobs, access log
        body = client.get(reverse("dedupe:duplicates")).content.decode()
    assert body.count("data-pair=") == 25  # one page


# ---------------------------------------------------------------- scan now, the command


def test_scan_now_runs_as_a_job_for_department_staff_only(client, province, department, district_officer, planted):
    client.force_login(district_officer)
    assert client.post(reverse("dedupe:duplicates-scan")).status_code == 403
    assert "data-province" not in client.get(reverse("dedupe:duplicates")).content.decode()
    client.force_login(department)
    assert 'data-province="74"' in client.get(reverse("dedupe:duplicates")).content.decode()
    response = client.post(reverse("dedupe:duplicates-scan"), {"province": str(province.pk)})
    assert response.status_code == 302
    job = Job.objects.get(kind="duplicate_scan")
    assert (job.owner, job.status, job.result["candidates"]) == (department, "done", 1)
    assert DuplicateScan.objects.get().started_by == department and DuplicateCandidate.objects.count() == 1
    assert "data-last-scan" in client.get(reverse("dedupe:duplicates")).content.decode()


def test_management_command(province, planted):
    out = io.StringIO()
    call_command("scan_duplicates", "--province", "74", stdout=out)
    assert "1 pairs to review" in out.getvalue() and DuplicateCandidate.objects.count() == 1
    assert AuditEvent.objects.get(action="duplicates.scanned").actor_username == "system"


# ---------------------------------------------------------------- a household being registered


def _form(commune, *rows):
    data = {"commune": str(commune.pk), "members-TOTAL_FORMS": str(len(rows)), "members-INITIAL_FORMS": "0"}
    for i, (name, year, sex) in enumerate(rows):
        data |= {
            f"members-{i}-full_name": name,
            f"members-{i}-birth_year": str(year),
            f"members-{i}-sex": sex,
            f"members-{i}-relation": "head" if i == 0 else "child",
        }
    return data


def test_registration_warns_of_people_nearby_without_naming_what_the_officer_may_not_read(
    client, officer_a, department, commune_a, neighbour
):
    register(department, neighbour, HONG, 1980, code="N-HONG")
    client.force_login(officer_a)
    form = client.get(reverse("household-create")).content.decode()
    assert 'id="possible-duplicates"' in form and reverse("dedupe:duplicates-check") in form
    response = client.post(
        reverse("dedupe:duplicates-check"), _form(commune_a, ("Nguyen Thi Hong", 1980, "F"), ("Lê Văn An", 2010, "M"))
    )
    body = response.content.decode()
    assert response.status_code == 200 and 'data-duplicates="1"' in body
    assert neighbour.name in body and "N-HONG" not in body  # the neighbour's household is not officer A's to read
    assert (
        client.post(reverse("dedupe:duplicates-check"), _form(commune_a, ("Nguyen Thi Hong", 1981, "F"))).content.decode().strip()
        == ""
    )
    # Department staff may read it: the household is named and linked.
    client.force_login(department)
    assert (
        "N-HONG"
        in client.post(reverse("dedupe:duplicates-check"), _form(commune_a, ("Nguyen Thi Hong", 1980, "F"))).content.decode()
    )


def test_registration_check_is_scoped(client, officer_b, commune_a, api_reader):
    client.force_login(officer_b)  # commune A is not officer B's
    assert client.post(reverse("dedupe:duplicates-check"), _form(commune_a, (HONG, 1980, "F"))).status_code == 403
    client.force_login(api_reader)
    assert client.post(reverse("dedupe:duplicates-check"), _form(commune_a, (HONG, 1980, "F"))).status_code == 403
