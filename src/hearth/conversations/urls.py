from django.urls import path

from hearth.conversations import views

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("bulk/", views.bulk, name="inbox_bulk"),
    path("views/save/", views.personal_view_save, name="inbox_view_save"),
    path("views/<int:view_id>/delete/", views.personal_view_delete, name="inbox_view_delete"),
    path("settings/", views.settings_view, name="inbox_settings"),
    path("saved-replies/", views.saved_replies_page, name="inbox_saved_replies"),
    path("saved-replies/preview/", views.saved_reply_preview, name="inbox_saved_reply_preview"),
    path("saved-replies/<int:reply_id>/", views.saved_reply_edit, name="inbox_saved_reply_edit"),
    path(
        "saved-replies/<int:reply_id>/delete/",
        views.saved_reply_delete,
        name="inbox_saved_reply_delete",
    ),
    path("outbox/<int:item_id>/retry/", views.retry, name="inbox_retry"),
    path("outbox/<int:item_id>/confirm/", views.confirm, name="inbox_confirm"),
    path("m/<int:message_id>/state/", views.message_state, name="inbox_message_state"),
    path("t/<int:thread_id>/", views.thread, name="inbox_thread"),
    path("t/<int:thread_id>/reply/", views.reply, name="inbox_reply"),
    path("t/<int:thread_id>/outbox/", views.outbox_status, name="inbox_outbox"),
    path("t/<int:thread_id>/saved-reply/", views.saved_reply, name="inbox_saved_reply"),
    path("t/<int:thread_id>/assign/", views.assign, name="inbox_assign"),
    path("t/<int:thread_id>/status/", views.status, name="inbox_status"),
    path("t/<int:thread_id>/note/", views.note, name="inbox_note"),
    path("t/<int:thread_id>/tags/", views.tags, name="inbox_tags"),
    path("t/<int:thread_id>/handoff/", views.handoff, name="inbox_handoff"),
    path("t/<int:thread_id>/presence/", views.presence, name="inbox_presence"),
]
