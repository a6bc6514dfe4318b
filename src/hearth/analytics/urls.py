from django.urls import path

from hearth.analytics import views

app_name = "analytics"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("kpis/", views.catalogue, name="catalogue"),
    path("kpis/<str:code>/", views.kpi_detail, name="kpi"),
    path("kpis/<str:code>.csv", views.kpi_csv, name="kpi_csv"),
    path("kpis/<str:code>/drill/", views.drill, name="drill"),
    path("behaviour/", views.behaviour_page, name="behaviour"),
    path("export/conversations.csv", views.conversations_csv, name="conversations_csv"),
    path("conversions/", views.conversions_page, name="conversions"),
    path("objectives/", views.objectives, name="objectives"),
    path("objectives/new/", views.objective_new, name="objective_new"),
    path("objectives/<int:objective_id>/", views.objective_detail, name="objective"),
    path("objectives/<int:objective_id>/delete/", views.objective_delete, name="objective_delete"),
]

# Mounted at the project's root: what the brand's site calls.
public_urlpatterns = [
    path("goal/<str:key>", views.conversion_endpoint, name="conversion_endpoint"),
    path("goal/<str:key>/pixel.gif", views.conversion_pixel, name="conversion_pixel"),
]
