from django.urls import path

from hearth.strategy import views

app_name = "strategy"
urlpatterns = [
    path("", views.strategy_page, name="page"),
    path("media-plan/import/", views.import_actuals, name="import"),
]
