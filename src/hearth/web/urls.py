from django.urls import path

from hearth.web import docs, security, views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("login/verify/", security.login_verify, name="login_verify"),
    path("logout/", views.logout_view, name="logout"),
    path("workspace/switch/", views.switch_workspace, name="switch_workspace"),
    path("audit/", views.audit_log, name="audit_log"),
    path("banners/", views.banners, name="banners"),
    path("docs/<path:page>", docs.docs_page, name="docs"),
]
