from django.urls import path

from hearth.web import settings_area as views

app_name = "settings"
urlpatterns = [
    path("", views.home, name="home"),
    path("hours/", views.hours, name="hours"),
    path("alerts/", views.alerts, name="alerts"),
    path("alerts/<int:destination_id>/<str:verb>/", views.destination, name="destination"),
    path("thresholds/", views.thresholds, name="thresholds"),
    path("audit/", views.audit_log, name="audit"),
]
