from django.urls import path

from hearth.moderation import views

urlpatterns = [
    path("", views.queue, name="moderation_queue"),
    path("bulk/", views.bulk, name="moderation_bulk"),
    path("q/<int:entry_id>/<str:verb>/", views.entry_action, name="moderation_entry"),
    path("rules/", views.rules, name="moderation_rules"),
    path("rules/new/", views.rule_edit, name="moderation_rule_new"),
    path("rules/test/", views.rule_test, name="moderation_rule_test"),
    path("rules/<int:rule_id>/", views.rule_edit, name="moderation_rule_edit"),
    path("rules/<int:rule_id>/delete/", views.rule_delete, name="moderation_rule_delete"),
    path("rules/<int:rule_id>/move/", views.rule_move, name="moderation_rule_move"),
    path("netiquette/", views.netiquette_edit, name="moderation_netiquette"),
    path("sanctions/", views.sanctions, name="moderation_sanctions"),
    path("sanctions/<int:sanction_id>/lift/", views.sanction_lift, name="moderation_sanction_lift"),
    path("appeals/<int:appeal_id>/decide/", views.appeal_decide, name="moderation_appeal_decide"),
    path("todos/<int:todo_id>/done/", views.todo_done, name="moderation_todo_done"),
    path("log/", views.log, name="moderation_log"),
    path("people/<int:author_id>/", views.person, name="moderation_person"),
    path("people/<int:author_id>/link/", views.person_link, name="moderation_person_link"),
]

public_urlpatterns = [
    path("n/<slug:slug>/", views.netiquette_public, name="netiquette_public"),
    path("appeal/<str:token>/", views.appeal_public, name="moderation_appeal"),
]
