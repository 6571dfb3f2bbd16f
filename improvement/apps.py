from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImprovementConfig(AppConfig):
    name = "improvement"
    verbose_name = _("Improvement workspace")

    def ready(self):
        from indicators.annotations import register as register_annotations
        from indicators.annotations import register_kinds

        from . import rights
        from .selectors import ANNOTATION_KINDS, improvement_annotations

        rights.register()
        register_annotations(improvement_annotations)
        register_kinds(ANNOTATION_KINDS)
