from django.urls import path

from . import views

app_name = "improvement"

urlpatterns = [
    path("", views.index, name="index"),
    path("networks/<slug:slug>/", views.network_workspace, name="network"),
    path("facilities/<str:code>/", views.facility_workspace, name="facility"),
    path("aims/<int:pk>/", views.aim_detail, name="aim_detail"),
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
