"""``report_import``: an Excel upload above ``QI_IMPORT_INLINE_ROWS`` rows is applied as
a background job. It calls the same service as the inline confirm
(``indicators.services.imports.import_apply``: all rows or none, rights and versions
checked again under lock) and leaves a CSV summary of what it wrote as its result."""

from __future__ import annotations

import csv
import io

from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from facilities.models import Facility
from indicators.excel import safe_cell

from .registry import JobKind, JobLink, JobOutput, register


class ImportJobError(Exception):
    """A refusal whose message (already translated) the user must see."""


def _authorize(user, params: dict) -> None:
    wanted = {row["facility_id"] for row in params.get("plan", {}).get("rows", [])}
    if not wanted:
        raise Http404
    if Facility.objects.visible_to(user).filter(pk__in=wanted).count() != len(wanted):
        raise Http404


def _run(job, progress) -> JobOutput:
    from indicators.services.imports import ImportPlan, ImportRefused, import_apply

    plan = ImportPlan.from_json(job.params["plan"])
    progress(10, _("Importing %(n)s reports") % {"n": len(plan.rows)})
    try:
        result = import_apply(plan=plan, user=job.user)
    except ImportRefused as refused:
        raise ImportJobError(refused.message) from refused
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([_("Reports created"), _("Reports updated"), _("Values changed")])
    writer.writerow([result.created, result.updated, result.values_changed])
    writer.writerow([])
    writer.writerow([_("Facility"), _("Month"), _("Values changed")])
    for row in plan.rows:
        writer.writerow([safe_cell(row.facility_name), row.period, len(row.values)])
    return JobOutput(
        "import-summary.csv",
        "text/csv; charset=utf-8",
        ("\ufeff" + out.getvalue()).encode(),
        # the inline confirm's own words
        message=_(
            "Import done: %(created)s reports created, %(updated)s reports updated, "
            "%(values)s values changed."
        )
        % {"created": result.created, "updated": result.updated, "values": result.values_changed},
    )


def _links(job) -> list[JobLink]:
    """Done: the reports of the latest imported month. Failed (the import refused, e.g.
    a report changed since the preview): back to the upload, since the same plan would be
    refused again."""
    if job.status == job.Status.DONE:
        months = [row["period"] for row in job.params.get("plan", {}).get("rows", [])]
        url = reverse("indicators:report_list")
        if months:
            url += "?month=" + max(months)
        return [JobLink(_("See the imported reports"), url, primary=True)]
    return [JobLink(_("Upload a file again"), reverse("indicators:excel_upload"), primary=True)]


def register_kinds() -> None:
    register(
        JobKind(
            "report_import",
            gettext_lazy("Excel import"),
            _run,
            _authorize,
            links=_links,
            retry_after_failure=False,  # the same plan is refused again: upload again
        )
    )
