"""The export job kinds (registered in ExportsConfig.ready): a dashboard table, the raw
monthly values of an area, the province summary."""

from __future__ import annotations

from django.http import Http404, QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jobs.registry import JobKind, JobOutput, register

from . import province
from .spreadsheet import CSV, XLSX, to_csv, to_xlsx
from .tables import Export, page_export, raw_values_export

FORMATS = {"csv": (to_csv, CSV), "xlsx": (to_xlsx, XLSX)}


def output(export: Export, fmt: str) -> JobOutput:
    write, content_type = FORMATS[fmt]
    return JobOutput(f"{export.stem}.{fmt}", content_type, write(export.sheets, export.about))


def query_of(params: dict) -> QueryDict:
    query = QueryDict(mutable=True)
    for key, value in params.items():
        if isinstance(value, list):
            query.setlist(key, [str(v) for v in value])
        else:
            query[key] = str(value)
    return query


# table_export: {"page", "code", "format", "query": {name: [values]}}
def _table_authorize(user, params):
    from indicators.areas import resolve_area

    from .tables import SHEETS

    if params.get("format") not in FORMATS or params.get("page") not in SHEETS:
        raise Http404
    resolve_area(user, query_of(params.get("query", {})))


def _table_run(job, progress):
    params = job.params
    progress(10, _("Building the table"))
    export = page_export(
        params["page"], user=job.user, params=query_of(params["query"]), code=params.get("code")
    )
    progress(80, _("Writing the file"))
    return output(export, params["format"])


# raw_values: {"format", "query": {area, start, end, include_submitted}}
def _raw_authorize(user, params):
    from indicators.areas import resolve_area

    if params.get("format") not in FORMATS:
        raise Http404
    resolve_area(user, params.get("query", {}))


def _raw_run(job, progress):
    progress(5, _("Reading reports"))
    export = raw_values_export(user=job.user, params=job.params["query"], progress=progress)
    progress(95, _("Writing the file"))
    return output(export, job.params["format"])


def _province_authorize(user, params):
    province.authorize(user, params.get("query", {}))


def _province_run(job, progress):
    progress(10, _("Building the district table"))
    export = province.province_export(user=job.user, params=job.params["query"])
    progress(80, _("Writing the file"))
    return output(export, "xlsx")


# meeting_pack: PackRequest.to_params() + {"format": "pdf" | "pptx"}
def _pack_authorize(user, params):
    from .pack import FORMATS as PACK_FORMATS
    from .pack import authorize_pack

    if params.get("format") not in PACK_FORMATS:
        raise Http404
    authorize_pack(user, params)


def _pack_run(job, progress):
    from .pack import run_pack

    filename, content_type, data = run_pack(job.params, job.user, progress)
    return JobOutput(filename, content_type, data)


def register_kinds() -> None:
    register(JobKind("meeting_pack", gettext_lazy("Meeting pack"), _pack_run, _pack_authorize))
    register(JobKind("table_export", gettext_lazy("Table export"), _table_run, _table_authorize))
    register(JobKind("raw_values", gettext_lazy("Raw monthly values"), _raw_run, _raw_authorize))
    register(
        JobKind(
            "province_summary",
            gettext_lazy("Province summary"),
            _province_run,
            _province_authorize,
        )
    )
