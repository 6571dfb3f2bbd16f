from django.conf import settings
from django.utils.functional import SimpleLazyObject


def site(request):
    """The demo banner flag, evaluated only if a template reads it."""

    def demo_mode() -> bool:
        from facilities.models import DemoDataset

        return settings.QI_DEMO_BANNER or DemoDataset.objects.exists()

    return {"demo_mode": SimpleLazyObject(demo_mode)}
