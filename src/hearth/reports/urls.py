from django.urls import path

from hearth.reports import views

app_name = "reports"
urlpatterns = [
    path("", views.report_list, name="list"),
    path("new/", views.report_edit, name="new"),
    path("<int:report_id>/", views.report_detail, name="detail"),
    path("<int:report_id>/edit/", views.report_edit, name="edit"),
    path("<int:report_id>/delete/", views.delete, name="delete"),
    path("<int:report_id>/share/", views.share, name="share"),
    path("<int:report_id>/brand.css", views.brand_css, name="brand_css"),
    path("<int:report_id>/report.<str:fmt>", views.report_file, name="file"),
    path("links/<int:link_id>/revoke/", views.revoke, name="revoke"),
    path("shared/<str:token>/", views.shared, name="shared"),
    path("shared/<str:token>/report.pdf", views.shared, {"fmt": "pdf"}, name="shared_pdf"),
    path("shared/<str:token>/brand.css", views.shared_css, name="shared_css"),
]
