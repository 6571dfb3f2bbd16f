"""Kinds of background job. An app registers its kinds in its ``AppConfig.ready``:

    registry.register(JobKind("table_export", _("Table export"), run=..., authorize=...))

``run(job, progress)`` builds the file and returns a :class:`JobOutput`; it may call
``progress(percent, message)`` as often as it likes (one cheap UPDATE each). ``authorize``
raises Http404 when the user may not have the job: it is called when the job is asked for
and again when it runs (a scope may have shrunk in between)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .models import Job


@dataclass(frozen=True)
class JobOutput:
    filename: str
    content_type: str
    content: bytes
    message: str = ""  # what the job did, in words, shown on its page when done


@dataclass(frozen=True)
class JobLink:
    label: str
    url: str
    primary: bool = False


@dataclass(frozen=True)
class JobKind:
    name: str  # e.g. "table_export", "meeting_pack"
    label: str  # lazy-translated
    run: Callable[[Job, Callable[[int, str], None]], JobOutput]  # progress(percent, message)
    authorize: Callable[[object, dict], None]  # (user, params): raise Http404 if not allowed
    # Where to go from a finished job's page (e.g. back to the imported reports)
    links: Callable[[Job], list[JobLink]] | None = None
    # False when running the same parameters again cannot help (a refused import):
    # a failed job then offers its links only, no "Try again"
    retry_after_failure: bool = True

    def links_for(self, job: Job) -> list[JobLink]:
        return self.links(job) if self.links is not None and job.is_finished else []

    def offers_retry(self, job: Job) -> bool:
        """Queued but not published (broker down), or failed and worth running again."""
        if job.status == job.Status.QUEUED:
            return bool(job.message)
        return job.status == job.Status.FAILED and self.retry_after_failure


_KINDS: dict[str, JobKind] = {}


def register(kind: JobKind) -> None:
    """Register ``kind`` (registering the same name again replaces it: reloads, tests)."""
    _KINDS[kind.name] = kind


def get(name: str) -> JobKind:
    """The kind called ``name``; KeyError when nothing registered it."""
    return _KINDS[name]


def kinds() -> list[JobKind]:
    return list(_KINDS.values())
