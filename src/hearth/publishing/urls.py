from django.urls import path

from hearth.publishing import library_views, views

app_name = "publishing"
urlpatterns = [
    path("", views.calendar_view, name="calendar"),
    path("compose/", views.compose, name="compose"),
    path("compose/autosave/", views.autosave, name="autosave"),
    path("posts/<int:post_id>/", views.post_detail, name="post"),
    path("posts/<int:post_id>/edit/", views.compose, name="edit"),
    path("posts/<int:post_id>/move/", views.move, name="move"),
    path("posts/<int:post_id>/decide/", views.post_decide, name="decide"),
    path("posts/<int:post_id>/delete/", views.post_delete, name="delete"),
    path("variants/<int:variant_id>/", views.variant_action, name="variant"),
    path("links/", views.link_create, name="link_create"),
    path("links/<int:link_id>/revoke/", views.link_revoke, name="link_revoke"),
    path("pause/", views.pause, name="pause"),
    path("resume/", views.resume, name="resume"),
    path("approvals/", views.approval_settings, name="approvals"),
    path("best-time/", views.best_time_view, name="best_time"),
    path("shared/", views.shared, name="shared"),
    path("shared/ask/<int:message_id>/", views.ask_share, name="ask_share"),
    path("shared/<int:permission_id>/", views.shared_action, name="shared_action"),
    path("review/<str:token>/", views.review, name="review"),
    path("compose/shorten/", library_views.shorten, name="shorten"),
    path(
        "review/<str:token>/media/<int:asset_id>/",
        library_views.review_media,
        name="review_media",
    ),
    path("media/", library_views.media_library, name="media"),
    path("media/<int:asset_id>/", library_views.media_action, name="media_action"),
    path("media/<int:asset_id>/file/", library_views.media_file, name="media_file"),
    path("snippets/", library_views.snippets_page, name="snippets"),
    path("snippets/<int:snippet_id>/", library_views.snippet_action, name="snippet"),
    path("feeds/", library_views.feeds_page, name="feeds"),
    path("feeds/<int:feed_id>/", library_views.feed_action, name="feed"),
    path("suggest/<int:channel_id>/", views.suggest, name="suggest"),
    path("notes/", views.notes, name="notes"),
    path("notes/<int:note_id>/", views.note_edit, name="note"),
    path("planning/", views.planning_settings, name="planning"),
]
