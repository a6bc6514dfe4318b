from django.urls import path

from hearth.strategy import views

app_name = "strategy"
urlpatterns = [
    path("", views.strategy_page, name="page"),
    path("editorial/", views.editorial, name="editorial"),
    path("platforms/", views.platform, name="platform"),
    path("media-plan/", views.media_line, name="media"),
    path("media-plan/import/", views.import_actuals, name="import"),
    path("personas/new/", views.persona_edit, name="persona_new"),
    path("personas/<int:persona_id>/", views.persona_edit, name="persona_edit"),
    path("competitors/new/", views.competitor_edit, name="competitor_new"),
    path("competitors/<int:competitor_id>/", views.competitor_edit, name="competitor_edit"),
]
