from django.urls import path

from hearth.channels import oauth_views, views

app_name = "channels"

urlpatterns = [
    path("", views.channel_list, name="list"),
    path("add/", views.add, name="add"),
    path("add/<str:kind>/", views.add_kind, name="add_kind"),
    path("add/<str:kind>/test/", views.add_kind_test, name="add_kind_test"),
    path("<int:channel_id>/", views.detail, name="detail"),
    path("<int:channel_id>/edit/", views.edit, name="edit"),
    path("<int:channel_id>/test/", views.test, name="test"),
    path("<int:channel_id>/pause/", views.pause, name="pause"),
    path("<int:channel_id>/resume/", views.resume, name="resume"),
    path("<int:channel_id>/identity/", views.identity, name="identity"),
    path("<int:channel_id>/brand/", views.brand, name="brand"),
    path("<int:channel_id>/sync/", views.sync_now, name="sync"),
    path("<int:channel_id>/delete/", views.delete, name="delete"),
    path("apps/<str:provider>/", oauth_views.platform_app, name="platform_app"),
    path("connect/<str:provider>/", oauth_views.start, name="oauth_start"),
    path("connect/<str:provider>/pick/", oauth_views.pick, name="oauth_pick"),
    path("oauth/<str:provider>/callback/", oauth_views.callback, name="oauth_callback"),
]
