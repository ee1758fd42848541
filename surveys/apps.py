from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "surveys"
    verbose_name = _("Standards, rounds and lists")

    def ready(self):
        # A household's members changed (service or admin): recompute its assessment in the open round.
        from households.hooks import register
        from surveys.assessment_refresh import household_assessments_refresh

        register(household_assessments_refresh)
