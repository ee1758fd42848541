"""What several resources of the surveys API share: path parameters and the aggregate query (rates, flows)."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, OpenApiParameter
from rest_framework import exceptions

from core.api import ERROR_RESPONSES, THROTTLED_RESPONSE, error
from households.models import Level
from surveys.models import SurveyRound
from surveys.reports.rates import can_see_live, read_criteria, read_structure, unit_read_in

# --- Rounds, assessments, rates and flows -------------------------------------------------------

ROUND_PATH = OpenApiParameter(
    "round_code",
    str,
    OpenApiParameter.PATH,
    description=_("Round code, e.g. BD-2024."),
    examples=[OpenApiExample("Demo round", value="BD-2024")],
)
HOUSEHOLD_PATH = OpenApiParameter(
    "household_code",
    str,
    OpenApiParameter.PATH,
    description=_("Household code."),
    examples=[OpenApiExample("Demo household", value="25747-0001")],
)
ROUND_CODE_PATH = OpenApiParameter(
    "code", str, OpenApiParameter.PATH, description=_("Round code."), examples=[OpenApiExample("Demo round", value="BD-2023")]
)


def aggregate_parameters(*, with_kind: bool) -> list[OpenApiParameter]:
    """Query parameters of rates and flows, with examples that exist in the demo data."""
    parameters = [
        OpenApiParameter(
            "round",
            {"type": "string", "minLength": 1, "maxLength": 40},
            required=True,
            description=_("Round code."),
            examples=[OpenApiExample("Approved demo round", value="BD-2023")],
        ),
        OpenApiParameter(
            "unit",
            {"type": "string", "minLength": 1, "maxLength": 10},
            required=True,
            description=_("GSO code of the province, district or commune, in the round's unit structure."),
            examples=[OpenApiExample("Binh Duong", value="74")],
        ),
        OpenApiParameter(
            "level",
            str,
            required=True,
            enum=["province", "district", "commune"],
            description=_("One row per unit of this level at or under `unit`."),
        ),
        OpenApiParameter(
            "status",
            str,
            required=False,
            enum=["approved", "all"],
            default="approved",
            description=_("approved: only approved lists; all: live numbers incl. drafts (the province's department staff)."),
        ),
        OpenApiParameter(
            "decimals",
            {"type": "integer", "minimum": 0, "maximum": 6},
            required=False,
            default=2,
            description=_("Decimals of the rates, 0 to 6 (default 2), rounded half up from the integer counts."),
        ),
        OpenApiParameter(
            "structure",
            str,
            required=False,
            enum=["legacy", "2025"],
            description=_(
                "2025: read a legacy round in today's units (each household in the commune it was "
                "re-homed to; `unit` is then a unit of 2025)."
            ),
        ),
        OpenApiParameter(
            "criteria",
            {"type": "string", "minLength": 1, "maxLength": 32},
            required=False,
            description=_(
                "Code of one of the round's standards: the official set (the default) or an additional one, "
                "such as a province's own standard. Flows follow the official set only."
            ),
        ),
    ]
    if with_kind:
        parameters.append(
            OpenApiParameter(
                "kind",
                str,
                required=False,
                enum=["poor", "near_poor"],
                default="poor",
                description=_("Flows of poor or of near-poor households."),
            )
        )
    else:
        parameters.append(
            OpenApiParameter(
                "as_of",
                {"type": "string", "format": "date"},
                required=False,
                description=_(
                    "Rates of the list in force on this date: the latest approved lists plus the monthly review's "
                    "decisions up to it (approved data, the round's own units)."
                ),
            )
        )
    return parameters


LEVEL_RANK = {Level.PROVINCE: 0, Level.DISTRICT: 1, Level.COMMUNE: 2}


def resolve_aggregate_query(request, serializer_class):
    """Validated round, unit, level, status, decimals and structure for rates and flows; every bad input is a
    400 naming it."""
    params = serializer_class(data=request.query_params)
    params.is_valid(raise_exception=True)
    data = params.validated_data
    survey_round = (
        SurveyRound.objects.select_related("province", "criteria_set")
        .prefetch_related("previous_rounds", "additional_sets")
        .filter(code=data["round"])
        .first()
    )
    if survey_round is None:
        raise error("round", _("Unknown round %(code)s.") % {"code": data["round"]}, "unknown")
    try:
        structure = read_structure(survey_round, data.get("structure"))
        unit = unit_read_in(survey_round, data["unit"], structure)
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise error(field, messages[0], "invalid")
    data["structure"] = structure
    try:
        data["criteria_set"] = read_criteria(survey_round, data.get("criteria"), structure=structure)
    except ValidationError as exc:
        problem = exc.error_dict["criteria"][0]
        raise error("criteria", problem.messages[0], problem.code or "invalid")
    if unit is None:
        raise error("unit", _("%(code)s is not a unit of the round's province.") % {"code": data["unit"]}, "unknown")
    level = data["level"]
    if LEVEL_RANK[level] < LEVEL_RANK[unit.level]:
        raise error("level", _("The level must be at or below the unit's level (%(level)s).") % {"level": unit.level}, "invalid")
    if level == Level.DISTRICT and unit.structure != "legacy":
        raise error("level", _("Units from 1 July 2025 have no districts."), "invalid")
    if data["status"] == "all":
        user = request.user
        if not getattr(user, "is_authenticated", False):
            raise exceptions.NotAuthenticated()
        if not can_see_live(user, survey_round):
            raise exceptions.PermissionDenied(
                _("Only the province's department staff can see numbers of lists not yet approved.")
            )
    return survey_round, unit, data


AGGREGATE_ERRORS = {**{k: v for k, v in ERROR_RESPONSES.items() if k != 404}, **THROTTLED_RESPONSE}


COMMUNE_PATH = OpenApiParameter(
    "commune_code",
    str,
    OpenApiParameter.PATH,
    description=_("Commune code (GSO), in the round's unit structure."),
    examples=[OpenApiExample("Demo commune", value="25747")],
)


LIST_PATH = [
    OpenApiParameter(
        "round_code",
        str,
        OpenApiParameter.PATH,
        description=_("Round code."),
        examples=[OpenApiExample("Demo round", value="BD-2024")],
    ),
    COMMUNE_PATH,
]
