"""Routes under /api/v1/. Each app registers its viewsets on the one router."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from core.auth_api import TokenView
from households.api.views import HouseholdViewSet, UnitViewSet
from surveys.api.views import AssessmentViewSet, ClassifyView, CriteriaSetViewSet, FlowsView, RatesView, RoundViewSet

router = DefaultRouter()
router.register("criteria-sets", CriteriaSetViewSet, basename="criteria-set")
router.register("units", UnitViewSet, basename="unit")
router.register("households", HouseholdViewSet, basename="household")
router.register("rounds", RoundViewSet, basename="round")

# Assessments are addressed by round and household code (a household has one assessment per round).
assessment_list = AssessmentViewSet.as_view({"get": "list", "post": "create"})
assessment_detail = AssessmentViewSet.as_view({"get": "retrieve", "put": "update"})
assessment_audit = AssessmentViewSet.as_view({"get": "audit"})

urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="api-token"),
    path("classify/", ClassifyView.as_view(), name="api-classify"),
    path("rates/", RatesView.as_view(), name="api-rates"),
    path("flows/", FlowsView.as_view(), name="api-flows"),
    path("assessments/", assessment_list, name="assessment-list"),
    path("assessments/<str:round_code>/<str:household_code>/", assessment_detail, name="assessment-detail"),
    path("assessments/<str:round_code>/<str:household_code>/audit/", assessment_audit, name="assessment-audit"),
    path("", include(router.urls)),
]
