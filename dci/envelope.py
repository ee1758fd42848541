"""The DCI synchronous search message, read and checked (no database): the header, the batch of search requests,
and each request's query, sort and pagination, as `dci/spec/social_api_v1.0.0.yaml` names them.

A fault in the envelope (header, message, batch size) refuses the whole message (`Refusal` raised by `read`); a
fault in one search request refuses that request only (its `Item.refusal`), and the others are answered. Every
refusal names the field (a dotted path into the body) and, where the spec has one, its status reason code.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from enum import StrEnum

from django.utils.translation import gettext as _

from households.models import HouseholdStatus
from surveys.models import Category

SPEC_VERSION = "1.0.0"
MAX_SEARCH_REQUESTS = 10  # search requests in one message
MAX_PAGE_SIZE = 100  # records per page: a household record carries its members
DEFAULT_PAGE_SIZE = 20
MAX_PREDICATES = 10  # expressions in one predicate query
MAX_VALUES = 100  # values of one `in`
MAX_ID_LENGTH = 99  # the spec's maxLength of transaction_id (and, here, of every id echoed back)


class IdType(StrEnum):
    """The identifier types an `idtype-value` query takes (the spec leaves them to the implementation)."""

    HOUSEHOLD_CODE = "HOUSEHOLD_CODE"  # Povreg's household code
    UIN = "UIN"  # a member's 12-digit citizen ID (căn cước), the spec's "Unique Identification Number"


class Attribute(StrEnum):
    """The attribute names a `predicate` query takes."""

    AREA_CODE = "area_code"  # GSO code of a province, district or commune: households in it
    POVERTY_CATEGORY = "poverty_category"  # poor, near_poor, average, not_poor: on the approved list in force
    HOUSEHOLD_STATUS = "household_status"  # active, moved, merged, dissolved (default: active)
    HOUSEHOLD_CODE = IdType.HOUSEHOLD_CODE.value
    UIN = IdType.UIN.value


# Sort attribute → the household field it orders by.
SORTABLE = {"HOUSEHOLD_CODE": "code", "registration_date": "created_at", "last_updated": "updated_at"}

# The spec's status reason codes (SearchStatusReasonCode, MsgHeaderStatusReasonCode).
REFERENCE_ID_INVALID = "rjct.reference_id.invalid"
REFERENCE_ID_DUPLICATE = "rjct.reference_id.duplicate"
TIMESTAMP_INVALID = "rjct.timestamp.invalid"
SEARCH_CRITERIA_INVALID = "rjct.search_criteria.invalid"
SORT_INVALID = "rjct.sort.invalid"
PAGINATION_INVALID = "rjct.pagination.invalid"
VERSION_INVALID = "rjct.version.invalid"
MESSAGE_TS_INVALID = "rjct.message_ts.invalid"
ACTION_INVALID = "rjct.action.invalid"
TOTAL_COUNT_INVALID = "rjct.total_count.invalid"
TOTAL_COUNT_LIMIT_EXCEEDED = "rjct.total_count.limit_exceeded"
# Those of the message header (MsgHeaderStatusReasonCode); the others belong to one search request.
HEADER_REASON_CODES = {VERSION_INVALID, MESSAGE_TS_INVALID, ACTION_INVALID, TOTAL_COUNT_INVALID, TOTAL_COUNT_LIMIT_EXCEEDED}

_AREA_CODE = re.compile(r"^\d{1,10}$")
_CITIZEN_ID = re.compile(r"^\d{12}$")
_LOCALE = re.compile(r"^[a-z]{3}$")


class Refusal(Exception):
    """A fault in the message: the field (dotted path), a message for people, the spec's reason code if any."""

    def __init__(self, field: str, message: str, reason_code: str | None = None):
        super().__init__(message)
        self.field, self.message, self.reason_code = field, message, reason_code


@dataclass(frozen=True)
class Condition:
    """`attribute` takes one of `values` (eq is a single value, in several)."""

    attribute: str
    values: tuple[str, ...]
    field: str  # where it was written, for a refusal found later (an unknown area code)


@dataclass(frozen=True)
class Clause:
    """One predicate: expression1, or expression1 and/or expression2."""

    first: Condition
    second: Condition | None = None
    combine: str = "and"


@dataclass(frozen=True)
class Criteria:
    clauses: tuple[Clause, ...]  # every clause holds
    by_identifier: bool  # an idtype-value query: any status; a predicate query: active households unless asked
    order_by: tuple[str, ...]
    page_size: int
    page_number: int


@dataclass(frozen=True)
class Item:
    """One search request of the batch: its criteria, or why it is refused."""

    reference_id: str
    locale: str | None
    criteria: Criteria | None
    refusal: Refusal | None = None


@dataclass(frozen=True)
class Envelope:
    message_id: str
    sender_id: str
    transaction_id: str
    items: tuple[Item, ...]


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _text(value, field: str, reason_code: str | None = None, *, max_length: int = MAX_ID_LENGTH) -> str:
    if not isinstance(value, str) or not value.strip():
        raise Refusal(field, _("Text is required here."), reason_code)
    if len(value) > max_length:
        raise Refusal(field, _("At most %(max)s characters.") % {"max": max_length}, reason_code)
    return value


def _object(value, field: str, reason_code: str | None = None) -> dict:
    if not isinstance(value, dict):
        raise Refusal(field, _("An object is required here."), reason_code)
    return value


def _timestamp(value, field: str, reason_code: str) -> datetime.datetime:
    """An ISO 8601 date-time with its time zone (the spec's `format: date-time`)."""
    message = _("A date and time in ISO 8601 with a time zone is required, e.g. 2025-01-31T09:30:00+07:00.")
    if not isinstance(value, str) or "T" not in value.upper():
        raise Refusal(field, message, reason_code)
    try:
        moment = datetime.datetime.fromisoformat(value)
    except ValueError:
        raise Refusal(field, message, reason_code) from None
    if moment.tzinfo is None:
        raise Refusal(field, message, reason_code)
    return moment


def read(body) -> Envelope:
    """The message's header and search requests; `Refusal` for a fault that refuses the whole message."""
    body = _object(body, "body")
    if "signature" in body and not isinstance(body["signature"], str):
        raise Refusal("signature", _("Text is required here."))
    header = _object(body.get("header"), "header")
    message_id = _text(header.get("message_id"), "header.message_id")
    _timestamp(header.get("message_ts"), "header.message_ts", MESSAGE_TS_INVALID)
    if header.get("action") != "search":
        raise Refusal("header.action", _("This endpoint answers the action search."), ACTION_INVALID)
    sender_id = _text(header.get("sender_id"), "header.sender_id")
    if "version" in header and header["version"] != SPEC_VERSION:
        raise Refusal("header.version", _("Povreg speaks version %(version)s.") % {"version": SPEC_VERSION}, VERSION_INVALID)
    if not _is_int(header.get("total_count")):
        raise Refusal("header.total_count", _("A whole number is required here."), TOTAL_COUNT_INVALID)
    message = _object(body.get("message"), "message")
    if header.get("is_msg_encrypted") is True or "ciphertext" in message:
        raise Refusal("header.is_msg_encrypted", _("Encrypted messages are not supported: send the message in clear over HTTPS."))
    transaction_id = _text(message.get("transaction_id"), "message.transaction_id")
    requests = message.get("search_request")
    if not isinstance(requests, list) or not requests:
        raise Refusal("message.search_request", _("A list of one or more search requests is required."))
    if len(requests) > MAX_SEARCH_REQUESTS:
        raise Refusal(
            "message.search_request",
            _("At most %(max)s search requests in one message.") % {"max": MAX_SEARCH_REQUESTS},
            TOTAL_COUNT_LIMIT_EXCEEDED,
        )
    if header["total_count"] != len(requests):
        raise Refusal(
            "header.total_count", _("The total count must be the number of search requests in the message."), TOTAL_COUNT_INVALID
        )
    items, seen = [], set()
    for index, request in enumerate(requests):
        items.append(_item(request, f"message.search_request[{index}]", seen))
    return Envelope(message_id=message_id, sender_id=sender_id, transaction_id=transaction_id, items=tuple(items))


def _item(request, field: str, seen: set[str]) -> Item:
    reference_id = request.get("reference_id") if isinstance(request, dict) else None
    echo = reference_id if isinstance(reference_id, str) and len(reference_id) <= MAX_ID_LENGTH else ""
    locale = request.get("locale") if isinstance(request, dict) else None
    locale = locale if isinstance(locale, str) and _LOCALE.match(locale) else None
    try:
        request = _object(request, field, SEARCH_CRITERIA_INVALID)
        _text(reference_id, f"{field}.reference_id", REFERENCE_ID_INVALID)
        if reference_id in seen:
            raise Refusal(f"{field}.reference_id", _("Each search request needs its own reference id."), REFERENCE_ID_DUPLICATE)
        seen.add(reference_id)
        _timestamp(request.get("timestamp"), f"{field}.timestamp", TIMESTAMP_INVALID)
        if "locale" in request and locale is None:
            raise Refusal(f"{field}.locale", _("A language code of three lower-case letters (ISO 639-3) is required, e.g. vie."))
        criteria = _criteria(request.get("search_criteria"), f"{field}.search_criteria")
    except Refusal as refusal:
        return Item(reference_id=echo, locale=locale, criteria=None, refusal=refusal)
    return Item(reference_id=echo, locale=locale, criteria=criteria)


def _criteria(criteria, field: str) -> Criteria:
    invalid = SEARCH_CRITERIA_INVALID
    criteria = _object(criteria, field, invalid)
    if "version" in criteria and criteria["version"] != SPEC_VERSION:
        raise Refusal(f"{field}.version", _("Povreg speaks version %(version)s.") % {"version": SPEC_VERSION}, invalid)
    if "reg_event_type" in criteria and criteria["reg_event_type"] not in ("REGISTER", "NewHouseHoldMember"):
        raise Refusal(f"{field}.reg_event_type", _("Use REGISTER or NewHouseHoldMember."), invalid)
    if criteria.get("response_entity", "Group") != "Group":
        raise Refusal(f"{field}.response_entity", _("Povreg answers with households: use Group."), invalid)
    query_type, query = criteria.get("query_type"), criteria.get("query")
    if query_type == "idtype-value":
        clauses = (Clause(_identifier(query, f"{field}.query")),)
    elif query_type == "predicate":
        clauses = _predicates(query, f"{field}.query")
    elif query_type == "expression":
        raise Refusal(f"{field}.query_type", _("Expression queries are not supported: use idtype-value or predicate."), invalid)
    else:
        raise Refusal(f"{field}.query_type", _("Use idtype-value or predicate."), invalid)
    page_size, page_number = _pagination(criteria.get("pagination"), f"{field}.pagination")
    return Criteria(
        clauses=clauses,
        by_identifier=query_type == "idtype-value",
        order_by=_sort(criteria.get("sort"), f"{field}.sort"),
        page_size=page_size,
        page_number=page_number,
    )


def _identifier(query, field: str) -> Condition:
    query = _object(query, field, SEARCH_CRITERIA_INVALID)
    if query.get("type") not in IdType.__members__.values():
        raise Refusal(f"{field}.type", _("Use one of: %(choices)s.") % {"choices": ", ".join(IdType)}, SEARCH_CRITERIA_INVALID)
    value = query.get("value")
    return Condition(query["type"], (_value(query["type"], value, f"{field}.value"),), f"{field}.value")


def _predicates(query, field: str) -> tuple[Clause, ...]:
    if not isinstance(query, list) or not query:
        raise Refusal(field, _("A list of one or more predicates is required."), SEARCH_CRITERIA_INVALID)
    if len(query) > MAX_PREDICATES:
        raise Refusal(field, _("At most %(max)s predicates.") % {"max": MAX_PREDICATES}, SEARCH_CRITERIA_INVALID)
    clauses = []
    for index, predicate in enumerate(query):
        here = f"{field}[{index}]"
        predicate = _object(predicate, here, SEARCH_CRITERIA_INVALID)
        first = _expression(predicate.get("expression1"), f"{here}.expression1")
        condition, second = predicate.get("condition"), predicate.get("expression2")
        if condition is None and second is None:
            clauses.append(Clause(first))
            continue
        if condition not in ("and", "or"):
            raise Refusal(f"{here}.condition", _("Use and or or to join expression1 and expression2."), SEARCH_CRITERIA_INVALID)
        clauses.append(Clause(first, _expression(second, f"{here}.expression2"), condition))
    return tuple(clauses)


def _expression(expression, field: str) -> Condition:
    expression = _object(expression, field, SEARCH_CRITERIA_INVALID)
    attribute = expression.get("attribute_name")
    if attribute not in Attribute.__members__.values():
        raise Refusal(
            f"{field}.attribute_name", _("Use one of: %(choices)s.") % {"choices": ", ".join(Attribute)}, SEARCH_CRITERIA_INVALID
        )
    operator, raw = expression.get("operator"), expression.get("attribute_value")
    here = f"{field}.attribute_value"
    if operator == "eq":
        return Condition(attribute, (_value(attribute, raw, here),), here)
    if operator == "in":
        # The spec's attribute_value is a scalar: several values come comma-separated ("poor,near_poor"); a JSON
        # list is taken too.
        parts = raw.split(",") if isinstance(raw, str) else raw
        if not isinstance(parts, list) or not parts:
            raise Refusal(here, _("Give the values comma-separated, e.g. poor,near_poor."), SEARCH_CRITERIA_INVALID)
        if len(parts) > MAX_VALUES:
            raise Refusal(here, _("At most %(max)s values.") % {"max": MAX_VALUES}, SEARCH_CRITERIA_INVALID)
        values = [_value(attribute, p.strip() if isinstance(p, str) else p, here) for p in parts]
        return Condition(attribute, tuple(dict.fromkeys(values)), here)
    raise Refusal(f"{field}.operator", _("Use eq or in."), SEARCH_CRITERIA_INVALID)


def _value(attribute: str, value, field: str) -> str:
    """One value of an attribute, checked for its form (whether it names anything is the selector's business)."""
    if attribute == Attribute.AREA_CODE and _is_int(value):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise Refusal(field, _("Text is required here."), SEARCH_CRITERIA_INVALID)
    value = value.strip()
    if attribute == Attribute.AREA_CODE and not _AREA_CODE.match(value):
        raise Refusal(
            field, _("A GSO code of a province, district or commune is required, e.g. 74 or 25747."), SEARCH_CRITERIA_INVALID
        )
    if attribute == Attribute.UIN and not _CITIZEN_ID.match(value):
        raise Refusal(field, _("A citizen ID has exactly 12 digits."), SEARCH_CRITERIA_INVALID)
    if attribute == Attribute.HOUSEHOLD_CODE and len(value) > 40:
        raise Refusal(field, _("At most %(max)s characters.") % {"max": 40}, SEARCH_CRITERIA_INVALID)
    choices = {Attribute.POVERTY_CATEGORY: Category.values, Attribute.HOUSEHOLD_STATUS: HouseholdStatus.values}.get(attribute)
    if choices is not None and value not in choices:
        raise Refusal(field, _("Use one of: %(choices)s.") % {"choices": ", ".join(choices)}, SEARCH_CRITERIA_INVALID)
    return value


def _sort(sort, field: str) -> tuple[str, ...]:
    if sort is None:
        return ("code",)
    if not isinstance(sort, list):
        raise Refusal(field, _("A list of sort definitions is required."), SORT_INVALID)
    order = []
    for index, item in enumerate(sort):
        here = f"{field}[{index}]"
        item = _object(item, here, SORT_INVALID)
        name = item.get("attribute_name")
        if not isinstance(name, str) or name not in SORTABLE:
            raise Refusal(
                f"{here}.attribute_name", _("Use one of: %(choices)s.") % {"choices": ", ".join(SORTABLE)}, SORT_INVALID
            )
        direction = item.get("sort_order", "asc")
        if direction not in ("asc", "desc"):
            raise Refusal(f"{here}.sort_order", _("Use asc or desc."), SORT_INVALID)
        order.append(("-" if direction == "desc" else "") + SORTABLE[name])
    return (*order, "code") if "code" not in {o.lstrip("-") for o in order} else tuple(order)


def _pagination(pagination, field: str) -> tuple[int, int]:
    if pagination is None:
        return DEFAULT_PAGE_SIZE, 1
    pagination = _object(pagination, field, PAGINATION_INVALID)
    size, number = pagination.get("page_size"), pagination.get("page_number", 1)
    # The spec types both as number: 20.0 is 20, 20.5 is refused.
    size = int(size) if isinstance(size, float) and size.is_integer() else size
    number = int(number) if isinstance(number, float) and number.is_integer() else number
    if not _is_int(size) or not 1 <= size <= MAX_PAGE_SIZE:
        raise Refusal(
            f"{field}.page_size",
            _("A page size is a whole number from 1 to %(max)s.") % {"max": MAX_PAGE_SIZE},
            PAGINATION_INVALID,
        )
    if not _is_int(number) or number < 1:
        raise Refusal(f"{field}.page_number", _("A page number is a whole number from 1."), PAGINATION_INVALID)
    return size, number
