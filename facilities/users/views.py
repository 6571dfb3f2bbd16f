"""User management by district, province and national administrators, and each user's
own account pages (profile, password, invitation acceptance, language at login)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from .. import services
from ..models import Profile, RoleChange
from ..selectors import grant_options, managed_scope, managed_users, user_language
from .forms import GrantForm, InviteForm, ProfileForm


def _scope_or_404(request):
    scope = managed_scope(request.user)
    if not scope.manages_anyone:
        raise Http404(_("You manage no users."))
    return scope


def _managed_user_or_404(scope, pk):
    return get_object_or_404(managed_users(scope), pk=pk)


@require_GET
@login_required
def user_list(request):
    scope = _scope_or_404(request)
    return render(request, "facilities/users/list.html", {"users": managed_users(scope)})


@require_http_methods(["GET", "POST"])
@login_required
def user_invite(request):
    scope = _scope_or_404(request)
    form = InviteForm(request.POST or None, options=grant_options(scope))
    if request.method == "POST" and form.is_valid():
        data, option = form.cleaned_data, form.option
        try:
            user = services.user_invite(
                granter=request.user,
                email=data["email"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                language=data["language"],
                role=option.role,
                scope=option.scope,
                can_manage_users=option.can_manage_users,
            )
        except services.UserError as error:
            form.add_error("email", error.message)
        else:
            messages.success(request, _("Invitation sent to %(email)s.") % {"email": user.email})
            return redirect("users_detail", pk=user.pk)
    return render(request, "facilities/users/invite.html", {"form": form})


@require_http_methods(["GET", "POST"])
@login_required
def user_detail(request, pk):
    scope = _scope_or_404(request)
    person = _managed_user_or_404(scope, pk)
    form = GrantForm(request.POST or None, options=grant_options(scope))
    if request.method == "POST" and form.is_valid():
        option = form.option
        try:
            services.role_grant(
                granter=request.user,
                user=person,
                role=option.role,
                scope=option.scope,
                can_manage_users=option.can_manage_users,
            )
        except services.UserError as error:
            form.add_error("grant", error.message)
        else:
            messages.success(request, _("Role given."))
            return redirect("users_detail", pk=person.pk)
    return render(
        request,
        "facilities/users/detail.html",
        {
            "person": person,
            "form": form,
            "changes": RoleChange.objects.filter(user=person).select_related("actor")[:20],
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def role_revoke(request, pk, assignment):
    """GET: confirm; POST: take the role away."""
    scope = _scope_or_404(request)
    person = _managed_user_or_404(scope, pk)
    chosen = next((a for a in person.managed if a.pk == assignment), None)
    if chosen is None:
        raise Http404(_("No such role."))
    if request.method == "POST":
        try:
            services.role_revoke(granter=request.user, assignment=chosen)
        except PermissionDenied as error:
            raise Http404(str(error)) from error
        messages.success(request, _("Role taken away."))
        if len(person.managed) > 1:
            return redirect("users_detail", pk=person.pk)
        return redirect("users_list")
    return render(request, "facilities/users/revoke.html", {"person": person, "assignment": chosen})


# ----------------------------------------------------------------------------- account
def _with_language_cookie(response, language: str):
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response


class LoginView(auth_views.LoginView):
    """Django's login; a language chosen on the profile becomes the language cookie."""

    def form_valid(self, form):
        response = super().form_valid(form)
        user = form.get_user()
        if Profile.objects.filter(user=user).exists():
            _with_language_cookie(response, user_language(user))
        return response


class PasswordResetView(auth_views.PasswordResetView):
    """Django's password reset; the link in the e-mail starts with SITE_URL."""

    email_template_name = "registration/password_reset_email.txt"

    def form_valid(self, form):
        self.extra_email_context = {"site_url": settings.SITE_URL}  # read per request
        return super().form_valid(form)


class InviteAcceptView(auth_views.PasswordResetConfirmView):
    """The invitation link: choose a password, which activates the account."""

    template_name = "registration/invite_accept.html"
    success_url = reverse_lazy("login")

    def form_valid(self, form):
        response = super().form_valid(form)
        user = form.user
        user.is_active = True
        user.save(update_fields=["is_active"])
        messages.success(self.request, _("Your password is set: you can log in now."))
        return response


@require_http_methods(["GET", "POST"])
@login_required
def profile(request):
    # no profile yet: the form starts from the page's language, saved only when asked
    mine = Profile.objects.filter(user=request.user).first() or Profile(
        user=request.user, language=translation.get_language()
    )
    form = ProfileForm(request.POST or None, instance=mine)
    if request.method == "POST" and form.is_valid():
        form.save()
        translation.activate(mine.language)
        messages.success(request, _("Your profile is saved."))
        return _with_language_cookie(redirect("profile"), mine.language)
    return render(
        request,
        "facilities/users/profile.html",
        {"form": form, "manages_users": managed_scope(request.user).manages_anyone},
    )
