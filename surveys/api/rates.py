"""Rates and flows of a round, approved (cached on the approval stamp) or live."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from core.api import error
from core.permissions import AggregateReader
from core.routers import reads_replica
from surveys.api.common import AGGREGATE_ERRORS, aggregate_parameters, resolve_aggregate_query
from surveys.api.serializers_rates import (
    FlowsQuerySerializer,
    FlowsResponseSerializer,
    RatesAsOfQuerySerializer,
    RatesResponseSerializer,
)
from surveys.approved_cache import cached_approved
from surveys.models import SurveyRound
from surveys.reports.flows import flows_for, flows_total
from surveys.selectors import rates_for, rates_total


@extend_schema(
    summary=_("Poverty rates per unit"),
    description=_(
        "For a round and a unit (province, district or commune, GSO code in the round's structure), one row per unit "
        "of `level` under it: total households (the denominator), poor (of which poverty-reduction target and "
        "social protection), near-poor, and the same in persons (total persons, persons in poor and in near-poor "
        "households), with rates in percent as strings with two decimals, rounded half up from the integer counts. "
        "By default only approved commune lists count (`communes_included` says how many); "
        "`status=all` (department staff of the province) shows live numbers including drafts. Aggregates only: "
        "no personal data. The API reader role may call it; anonymous callers only when the deployment publishes rates."
    ),
    parameters=aggregate_parameters(with_kind=False),
    responses={200: RatesResponseSerializer, **AGGREGATE_ERRORS},
    examples=[
        OpenApiExample(
            "Binh Duong 2017",
            response_only=True,
            value={
                "round": "BD-2017",
                "unit": "74",
                "level": "province",
                "status": "approved",
                "count": 1,
                "results": [
                    {
                        "unit_code": "74",
                        "unit_name": "Tỉnh Bình Dương",
                        "level": "province",
                        "total_households": 294573,
                        "poor": 3206,
                        "poor_rate": "1.09",
                        "poverty_reduction": 1989,
                        "poverty_reduction_rate": "0.68",
                        "social_protection": 1217,
                        "social_protection_rate": "0.41",
                        "near_poor": 2883,
                        "near_poor_rate": "0.98",
                        "total_persons": 1001548,
                        "poor_persons": 11790,
                        "poor_persons_rate": "1.18",
                        "near_poor_persons": 10230,
                        "near_poor_persons_rate": "1.02",
                        "communes": 91,
                        "communes_included": 91,
                    }
                ],
                "total": {
                    "unit_code": "74",
                    "unit_name": "Tỉnh Bình Dương",
                    "level": "province",
                    "total_households": 294573,
                    "poor": 3206,
                    "poor_rate": "1.09",
                    "poverty_reduction": 1989,
                    "poverty_reduction_rate": "0.68",
                    "social_protection": 1217,
                    "social_protection_rate": "0.41",
                    "near_poor": 2883,
                    "near_poor_rate": "0.98",
                    "total_persons": 1001548,
                    "poor_persons": 11790,
                    "poor_persons_rate": "1.18",
                    "near_poor_persons": 10230,
                    "near_poor_persons_rate": "1.02",
                    "communes": 91,
                    "communes_included": 91,
                },
            },
        )
    ],
    auth=[{"tokenAuth": []}, {"cookieAuth": []}, {}],
)
class RatesView(APIView):
    """Rates per unit for a round, from approved lists unless staff ask for live numbers."""

    permission_classes = [AggregateReader]
    throttle_classes = [AnonRateThrottle]

    @reads_replica
    def get(self, request):
        return cached_approved(request, kind="rates", compute=lambda: self._get(request))

    def _get(self, request):
        survey_round, unit, data = resolve_aggregate_query(request, RatesAsOfQuerySerializer)
        decimals = data["decimals"]
        if data.get("as_of"):
            if data["status"] != "approved" or data.get("structure") not in (None, survey_round.province.structure):
                raise error(
                    "as_of",
                    _("as_of reads approved lists and decisions in the round's own units only."),
                    "conflicting_parameters",
                )
            if data["criteria_set"] is not None:
                raise error(
                    "as_of",
                    _("The list in force follows the round's official standard: as_of does not take criteria."),
                    "conflicting_parameters",
                )
            from surveys.monthly import rates_as_of

            rows = rates_as_of(round=survey_round, unit=unit, level=data["level"], on=data["as_of"], decimals=decimals)
        else:
            rows = rates_for(
                round=survey_round,
                unit=unit,
                level=data["level"],
                status=data["status"],
                decimals=decimals,
                structure=data["structure"],
                criteria_set=data["criteria_set"],
            )
        return Response(
            {
                "round": survey_round.code,
                "unit": unit.code,
                "level": data["level"],
                "status": data["status"],
                "criteria": (data["criteria_set"] or survey_round.criteria_set).code,
                "structure": data["structure"] or survey_round.province.structure,
                "decimals": decimals,
                "count": len(rows),
                "results": [r.as_dict() for r in rows],
                "total": rates_total(rows, unit=unit, decimals=decimals).as_dict(),
            }
        )


def _decision_json(survey_round: SurveyRound) -> dict | None:
    """The provincial decision that approved a round's result: where the next round's flows start."""
    from surveys.approval.selectors import round_decision

    decision = round_decision(survey_round)
    return {"round": survey_round.code, "number": decision.number, "date": decision.date.isoformat()} if decision else None


@extend_schema(
    summary=_("Flows of poor or near-poor households per unit"),
    description=_(
        "Compares the round with its previous round, per unit of `level`: start (in the category before), out "
        "(escaped to near-poor, escaped above near-poor, other out: moved away, merged, dissolved or not reassessed), "
        "in (near-poor to poor, re-poor: poor in an earlier round, newly poor: never poor before, other in: moved in), "
        "end; start - out_total + in_total = end. `kind=near_poor` gives the same for near-poor households. "
        "Same access and `status` rules as rates. Aggregates only: no personal data."
    ),
    parameters=aggregate_parameters(with_kind=True),
    responses={200: FlowsResponseSerializer, **AGGREGATE_ERRORS},
    examples=[
        OpenApiExample(
            "A commune",
            response_only=True,
            value={
                "round": "BD-2024",
                "previous_round": "BD-2023",
                "unit": "25747",
                "level": "commune",
                "status": "approved",
                "kind": "poor",
                "count": 1,
                "results": [
                    {
                        "unit_code": "25747",
                        "unit_name": "Phường Phú Cường",
                        "level": "commune",
                        "start": 12,
                        "escaped_to_near_poor": 3,
                        "escaped_above_near_poor": 1,
                        "other_out": 1,
                        "out_total": 5,
                        "near_poor_to_poor": 2,
                        "re_poor": 1,
                        "newly_poor": 1,
                        "other_in": 0,
                        "in_total": 4,
                        "end": 11,
                        "communes": 1,
                        "communes_included": 1,
                    }
                ],
                "total": {
                    "unit_code": "25747",
                    "unit_name": "Phường Phú Cường",
                    "level": "commune",
                    "start": 12,
                    "escaped_to_near_poor": 3,
                    "escaped_above_near_poor": 1,
                    "other_out": 1,
                    "out_total": 5,
                    "near_poor_to_poor": 2,
                    "re_poor": 1,
                    "newly_poor": 1,
                    "other_in": 0,
                    "in_total": 4,
                    "end": 11,
                    "communes": 1,
                    "communes_included": 1,
                },
            },
        )
    ],
    auth=[{"tokenAuth": []}, {"cookieAuth": []}, {}],
)
class FlowsView(APIView):
    """Poor (or near-poor) flows per unit between a round and its previous round."""

    permission_classes = [AggregateReader]
    throttle_classes = [AnonRateThrottle]

    @reads_replica
    def get(self, request):
        return cached_approved(request, kind="flows", compute=lambda: self._get(request))

    def _get(self, request):
        survey_round, unit, data = resolve_aggregate_query(request, FlowsQuerySerializer)
        if data["criteria_set"] is not None:
            raise error(
                "criteria",
                _("Flows follow the round's official standard (%(code)s) only.") % {"code": survey_round.criteria_set.code},
                "official_only",
            )
        rows = flows_for(
            round=survey_round,
            unit=unit,
            level=data["level"],
            status=data["status"],
            kind=data["kind"],
            structure=data["structure"],
        )
        previous = survey_round.previous_list()
        return Response(
            {
                "round": survey_round.code,
                "previous_round": previous[0].code if previous else None,
                "previous_rounds": [r.code for r in previous],
                "criteria": survey_round.criteria_set.code,
                "start_decision": _decision_json(previous[0]) if previous else None,
                "structure": data["structure"] or survey_round.province.structure,
                "unit": unit.code,
                "level": data["level"],
                "status": data["status"],
                "kind": data["kind"],
                "count": len(rows),
                "results": rows,
                "total": flows_total(rows, unit=unit, kind=data["kind"]),
            }
        )
