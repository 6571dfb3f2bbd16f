from django.urls import path

from . import views, views_drivers, views_progress, views_sessions, views_visits

app_name = "improvement"

urlpatterns = [
    path("", views.index, name="index"),
    path("networks/<slug:slug>/", views.network_workspace, name="network"),
    path("networks/<slug:slug>/sessions/", views_sessions.session_list, name="sessions"),
    path(
        "networks/<slug:slug>/sessions/new/", views_sessions.session_create, name="session_create"
    ),
    path("networks/<slug:slug>/progress/", views_progress.progress_table, name="progress"),
    path("facilities/<str:code>/", views.facility_workspace, name="facility"),
    path(
        "facilities/<str:code>/progress/<str:period>/",
        views_progress.progress_edit,
        name="progress_edit",
    ),
    path("sessions/<int:pk>/", views_sessions.session_detail, name="session_detail"),
    path("sessions/<int:pk>/edit/", views_sessions.session_edit, name="session_edit"),
    path("visits/", views_visits.visit_list, name="visits"),
    path("visits/new/", views_visits.visit_create, name="visit_create"),
    path("visits/<int:pk>/", views_visits.visit_detail, name="visit_detail"),
    path("visits/<int:pk>/edit/", views_visits.visit_edit, name="visit_edit"),
    path("visits/<int:pk>/follow-up/", views_visits.visit_follow_up, name="visit_follow_up"),
    path("aims/new/", views_drivers.aim_create, name="aim_create"),
    path("aims/<int:pk>/", views_drivers.aim_detail, name="aim_detail"),
    path("aims/<int:pk>/edit/", views_drivers.aim_edit, name="aim_edit"),
    path("aims/<int:pk>/drivers/", views_drivers.driver_add, name="driver_add"),
    path("drivers/<int:pk>/rename/", views_drivers.driver_rename, name="driver_rename"),
    path("drivers/<int:pk>/move/", views_drivers.driver_move, name="driver_move"),
    path("drivers/<int:pk>/delete/", views_drivers.driver_delete, name="driver_delete"),
    path("ideas/<int:pk>/", views.change_idea, name="change_idea"),
    path("pdsa/new/<int:idea>/", views.pdsa_create, name="pdsa_create"),
    path("pdsa/<int:pk>/", views.pdsa_detail, name="pdsa_detail"),
    path("pdsa/<int:pk>/edit/", views.pdsa_edit, name="pdsa_edit"),
    path("pdsa/<int:pk>/attach/", views.attachment_upload, name="attachment_upload"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment"),
    path("actions/", views.action_list, name="actions"),
    path("actions/new/", views.action_create, name="action_create"),
    path("actions/<int:pk>/", views.action_edit, name="action_edit"),
    path("actions/<int:pk>/close/", views.action_close, name="action_close"),
    path("practices/", views.practice_list, name="practices"),
    path("practices/new/", views.practice_create, name="practice_create"),
    path("practices/<int:pk>/", views.practice_detail, name="practice_detail"),
    path("practices/<int:pk>/edit/", views.practice_edit, name="practice_edit"),
    path("practices/<int:pk>/publish/", views.practice_publish, name="practice_publish"),
]
