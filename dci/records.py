"""A Povreg household as a DCI Social Registry Group record, with the field names of the spec's Group example
(`reg_records` in dci/spec/social_api_v1.0.0.yaml). The mapping is documented in docs/dci.md."""

from __future__ import annotations

from django.utils import timezone

from households.models import Household, Member, Relation
from surveys.models import ListEntry

CONTEXT = {"spdci": "https://schema.spdci.org/extensions/social/v1/", "common": "https://schema.spdci.org/common/v1/"}
SEX = {"M": "male", "F": "female"}


def _timestamp(moment) -> str:
    return timezone.localtime(moment).isoformat()


def _identifier(kind: str, value: str) -> dict:
    return {"@type": "Identifier", "identifier_type": kind, "identifier_value": value}


def _name(full_name: str) -> dict:
    """A Vietnamese name is family name first: "Nguyễn Văn Hùng" is surname Nguyễn, given name Văn Hùng."""
    words = full_name.split()
    if len(words) < 2:
        return {"@type": "Name", "given_name": full_name.strip()}
    return {"@type": "Name", "surname": words[0], "given_name": " ".join(words[1:])}


def _attributes(pairs) -> list[dict]:
    """The spec's AttributeNameValue pairs; an unknown value is left out rather than sent as null."""
    return [{"name": name, "value": value} for name, value in pairs if value not in (None, "")]


def member_record(member: Member) -> dict:
    identifiers = [_identifier("UIN", member.citizen_id)] if member.citizen_id else []
    person = {"@type": "SRPerson", "identifier": identifiers, "name": _name(member.full_name)}
    if member.sex in SEX:
        person["sex"] = SEX[member.sex]
    return {
        "@type": "spdci:Member",
        "member_identifier": identifiers,
        "demographic_info": person,
        "relationship_head": "self" if member.relation == Relation.HEAD else member.relation,
        "is_disabled": member.disability,
        # Povreg keeps the birth year only (no birth date to send as birth_date).
        "additional_attributes": _attributes([("YOB", member.birth_year)]),
    }


def _units(household: Household) -> list:
    """(name, value) pairs of the commune and the units above it, lowest first."""
    pairs, unit = [], household.commune
    while unit is not None:
        pairs.append((f"{unit.level}_code", unit.code))
        unit = unit.parent
    return pairs


def _address(household: Household) -> str:
    parts = [household.address]
    if household.hamlet and household.hamlet.name.casefold() not in household.address.casefold():
        parts.append(household.hamlet.name)
    unit = household.commune
    while unit is not None:
        parts.append(unit.name)
        unit = unit.parent
    return ", ".join(dict.fromkeys(p.strip() for p in parts if p and p.strip()))


def group_record(household: Household, standing: ListEntry | None) -> dict:
    """The household, its members and its standing on the approved list of its latest listed round."""
    members = list(household.members.all())
    head = next((m for m in members if m.relation == Relation.HEAD), None)
    attributes = [
        ("household_status", household.status),
        *_units(household),
        ("hamlet", household.hamlet.name if household.hamlet else None),
        ("structure", household.commune.structure),
    ]
    if standing is not None:
        attributes += [
            ("poverty_category", standing.category),
            ("poverty_group", standing.group or None),
            ("poverty_round", standing.round.code),
            ("poverty_round_year", standing.round.year),
        ]
    record = {
        "@context": CONTEXT,
        "@type": "spdci:Group",
        "group_identifier": [_identifier("HOUSEHOLD_CODE", household.code)],
        "group_type": "household",
        "place": {"@type": "Place", "address": _address(household)},
        "group_size": len(members),
        "member_list": [member_record(m) for m in members],
        "registration_date": _timestamp(household.created_at),
        "last_updated": _timestamp(household.updated_at),
        "additional_attributes": _attributes(attributes),
    }
    if head is not None:
        record["group_head_info"] = member_record(head)
    return record
