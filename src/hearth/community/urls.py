from django.urls import path

from hearth.community import views

app_name = "community"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("members/", views.members, name="members"),
    path("members/<int:member_id>/", views.member, name="member"),
    path("members/<int:member_id>/edit/", views.member_edit, name="member_edit"),
    path("members/<int:member_id>/export/", views.member_export, name="member_export"),
    path("members/<int:member_id>/erase/", views.member_erase, name="member_erase"),
    path("merges/<int:merge_id>/undo/", views.merge_undo, name="merge_undo"),
    path("suggestions/<int:suggestion_id>/", views.suggestion_decide, name="suggestion"),
    path("segments/<str:segment>.csv", views.segment_csv, name="segment_csv"),
    path("settings/", views.settings_page, name="settings"),
]
