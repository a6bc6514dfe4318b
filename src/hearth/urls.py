from django.urls import include, path

from hearth.api.api import api
from hearth.channels.views import webhook

urlpatterns = [
    path("", include("hearth.web.urls")),
    path("listening/", include("hearth.listening.urls")),
    path("inbox/", include("hearth.conversations.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
    path("hooks/<str:key>", webhook, name="webhook"),
]
