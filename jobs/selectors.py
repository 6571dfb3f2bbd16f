"""Reads of the jobs app: a user sees their own jobs only (anybody else's is a 404)."""

from django.shortcuts import get_object_or_404

from .models import Job


def jobs_of(user):
    # params may hold a whole import plan: pages that poll or list never read them
    return Job.objects.filter(user=user).defer("params")


def job_of(user, pk: int) -> Job:
    return get_object_or_404(jobs_of(user), pk=pk)
