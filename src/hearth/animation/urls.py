from django.urls import path

from hearth.animation import views

app_name = "animation"
urlpatterns = [
    path("", views.home, name="home"),
    path("contests/new/", views.contest_new, name="contest_new"),
    path("contests/<int:contest_id>/", views.contest_detail, name="contest"),
    path("events/new/", views.event_new, name="event_new"),
    path("events/<int:event_id>/", views.event_detail, name="event"),
    path("events/<int:event_id>/attendees.csv", views.event_export, name="event_export"),
    path("polls/new/", views.poll_new, name="poll_new"),
    path("polls/<int:poll_id>/", views.poll_detail, name="poll"),
    path("faq/", views.faq_page, name="faq"),
]

public_urlpatterns = (
    [
        path("c/<str:token>/", views.contest_public, name="contest"),
        path("c/<str:token>/draw.json", views.contest_record, name="contest_record"),
        path("e/<str:token>/", views.event_public, name="event"),
        path("e/r/<str:token>/", views.registration_public, name="registration"),
        path("p/<str:token>/", views.poll_public, name="poll"),
        path("faq/<slug:slug>/", views.faq_public, name="faq"),
    ],
    "animation_public",
)
