from django.urls import path

from hearth.web import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("workspace/switch/", views.switch_workspace, name="switch_workspace"),
    path("audit/", views.audit_log, name="audit_log"),
]
