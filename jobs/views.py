"""My exports: the list, a job's progress (htmx polls it every second until it is
finished), the download and retry. Only the owner sees a job; anybody else gets 404."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from . import registry, services
from .selectors import job_of, jobs_of


@require_GET
@login_required
def job_list(request):
    jobs = jobs_of(request.user).order_by("-created_at", "-pk")[:100]
    return render(request, "jobs/job_list.html", {"jobs": jobs})


@require_GET
@login_required
def job_detail(request, pk):
    job = job_of(request.user, pk)
    template = "jobs/_job_status.html" if request.htmx else "jobs/job_detail.html"
    try:
        kind = registry.get(job.kind)
        links, retry = kind.links_for(job), kind.offers_retry(job)
    except KeyError:
        links, retry = [], job.can_retry
    return render(request, template, {"job": job, "links": links, "offers_retry": retry})


@require_GET
@login_required
def job_download(request, pk):
    job = job_of(request.user, pk)
    if job.status != job.Status.DONE or not job.result:
        raise Http404
    try:
        handle = job.result.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(
        handle,
        as_attachment=True,
        filename=job.result_name,
        content_type=job.content_type or "application/octet-stream",
    )


@require_POST
@login_required
def job_retry(request, pk):
    job = services.job_retry(job=job_of(request.user, pk), user=request.user)
    if job.published is False:
        messages.error(request, services.unavailable_message())
    return redirect("jobs:detail", pk=job.pk)
