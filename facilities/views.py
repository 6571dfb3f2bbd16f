from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from indicators.periods import last_complete_month
from indicators.selectors.facility import facility_key_indicator_table
from indicators.selectors.home import home_summary

from . import selectors
from .filters import FacilityFilter
from .models import Facility


@require_GET
@login_required
def home(request):
    period = last_complete_month(timezone.localdate())
    summary = home_summary(user=request.user, period=period)
    return render(request, "facilities/home.html", {"summary": summary})


@require_GET
@login_required
def facility_list(request):
    filterset = FacilityFilter(
        request.GET, queryset=selectors.facilities_for_list(request.user), request=request
    )
    facilities = filterset.qs if filterset.is_valid() else Facility.objects.none()
    page = Paginator(facilities, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "facilities/facility_list.html",
        {"filter": filterset, "page": page, "query": query.urlencode()},
    )


@require_GET
@login_required
def facility_detail(request, code):
    facility = get_object_or_404(
        Facility.objects.visible_to(request.user).select_related(
            "district__province", "subdistrict"
        ),
        code=code,
    )
    table = facility_key_indicator_table(
        facility=facility, end=last_complete_month(timezone.localdate())
    )
    return render(
        request,
        "facilities/facility_detail.html",
        {
            "facility": facility,
            "targets": facility.targets.order_by("-year"),
            "memberships": facility.memberships.select_related("network"),
            "table": table,
        },
    )
