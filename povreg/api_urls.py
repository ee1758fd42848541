"""Routes under /api/v1/. Each app registers its viewsets on the one router."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from core.auth_api import TokenView
from surveys.api.views import ClassifyView, CriteriaSetViewSet

router = DefaultRouter()
router.register("criteria-sets", CriteriaSetViewSet, basename="criteria-set")

urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="api-token"),
    path("classify/", ClassifyView.as_view(), name="api-classify"),
    path("", include(router.urls)),
]
