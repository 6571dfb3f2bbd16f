"""Job kinds for the tests (registered on import: also by a subprocess worker started
with ``-I tests.jobs.kinds``)."""

import os
import time

from django.http import Http404

from jobs.models import Job
from jobs.registry import JobKind, JobOutput, register

SEEN = []  # (attempt, progress as the database had it) per run, in this process


def _authorize(user, params):
    if params.get("forbidden"):
        raise Http404


def _echo(job, progress):
    progress(50, "half way")
    SEEN.append((job.attempts, Job.objects.get(pk=job.pk).progress))
    if job.params.get("fail"):
        raise RuntimeError("boom")
    return JobOutput(f"echo-{job.pk}.txt", "text/plain", f"attempt {job.attempts}".encode())


def _slow_first(job, progress):
    """The first attempt sleeps (a worker killed meanwhile); later attempts finish."""
    progress(10, "working")
    if job.attempts == 1:
        time.sleep(float(job.params.get("sleep", 60)))
    return JobOutput("slow.txt", "text/plain", f"attempt {job.attempts} pid {os.getpid()}".encode())


register(JobKind("test_echo", "Echo", _echo, _authorize))
register(JobKind("test_slow_first", "Slow first", _slow_first, _authorize))
