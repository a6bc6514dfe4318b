from django.urls import path

from hearth.listening import views

app_name = "listening"
urlpatterns = [
    path("", views.home, name="home"),
    path("queries/new/", views.query_edit, name="query_new"),
    path("queries/preview/", views.query_preview, name="query_preview"),
    path("queries/<int:query_id>/", views.query_edit, name="query_edit"),
    path("queries/<int:query_id>/delete/", views.query_delete, name="query_delete"),
    path("trends/", views.trends, name="trends"),
    path("trends.csv", views.trends_csv, name="trends_csv"),
    path("crisis/<int:room_id>/", views.crisis_room, name="crisis"),
    path("crisis/<int:room_id>/status/", views.crisis_status, name="crisis_status"),
    path("crisis/<int:room_id>/statement/", views.crisis_statement, name="crisis_statement"),
    path("crisis/<int:room_id>/reply/<int:thread_id>/", views.crisis_reply, name="crisis_reply"),
    path("crisis/<int:room_id>/checklist/", views.crisis_checklist, name="crisis_checklist"),
    path("alerts/", views.alerts, name="alerts"),
    path("alerts/deliveries/<int:delivery_id>/retry/", views.delivery_retry, name="delivery_retry"),
]
