from django.urls import path

from . import views

app_name = "reports"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("kinerja.pdf", views.performance_pdf, name="performance_pdf"),
    path("skm/", views.skm_report, name="skm"),
    path("skm/jawaban.csv", views.skm_answers_csv, name="skm_answers_csv"),
]
