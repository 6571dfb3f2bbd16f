"""Accounts (/accounts/…) and user management (/users/…). Django's own auth views with
our templates; names are Django's defaults so its views find each other."""

from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

urlpatterns = [
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/profile/", views.profile, name="profile"),
    path(
        "accounts/password/change/",
        auth_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "accounts/password/change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path(
        "accounts/password/reset/",
        views.PasswordResetView.as_view(),
        name="password_reset",
    ),
    path(
        "accounts/password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/password/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/password/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path(
        "accounts/invitation/<uidb64>/<token>/",
        views.InviteAcceptView.as_view(),
        name="invite_accept",
    ),
    path("users/", views.user_list, name="users_list"),
    path("users/invite/", views.user_invite, name="users_invite"),
    path("users/<int:pk>/", views.user_detail, name="users_detail"),
    path(
        "users/<int:pk>/roles/<int:assignment>/revoke/",
        views.role_revoke,
        name="users_role_revoke",
    ),
]
