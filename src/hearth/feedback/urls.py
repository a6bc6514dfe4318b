from django.urls import path

from hearth.feedback import views

app_name = "feedback"

urlpatterns = [
    path("", views.home, name="home"),
    path("board/", views.board, name="board"),
    path("settings/", views.settings_page, name="settings"),
    path("new/", views.create, name="create"),
    path("from-message/<int:message_id>/", views.from_message, name="from_message"),
    path("proposals/<int:proposal_id>/", views.decide, name="decide"),
    path("<int:idea_id>/", views.idea, name="idea"),
    path("<int:idea_id>/edit/", views.update, name="update"),
    path("<int:idea_id>/forward/", views.forward, name="forward"),
    path("hooks/<str:key>", views.tracker_hook, name="hook"),
]

public_urlpatterns = (
    [
        path("<slug:slug>/", views.public_list, name="list"),
        path("<slug:slug>/<int:idea_id>/", views.public_idea, name="idea"),
    ],
    "feedback_public",
)
