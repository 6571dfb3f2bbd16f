"""The meeting pack as a PDF (WeasyPrint, A4 landscape, print CSS in the template)."""

from __future__ import annotations

from django.template.loader import render_to_string

from .pack import PackContent


def render_pack_html(content: PackContent) -> str:
    return render_to_string("exports/pack/pack.html", {"c": content})


def render_pack_pdf(content: PackContent) -> bytes:
    """PDF bytes of the pack; charts are the PNGs drawn by ``exports.charts``, embedded
    as data URIs, so WeasyPrint fetches nothing."""
    from weasyprint import HTML  # heavy import: only when a PDF is made

    return HTML(string=render_pack_html(content), base_url=None).write_pdf()
