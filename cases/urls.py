from django.urls import path

from . import views

app_name = "cases"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("antrean/", views.queue, name="queue"),
    path("kasus/", views.case_list, name="case_list"),
    path("kasus/ekspor.<str:fmt>", views.case_export, name="case_export"),
    path("tim/", views.workload, name="workload"),
    path("survei/<int:pk>/", views.survey, name="survey"),
    path("katalog/", views.catalogue, name="catalogue"),
    path("katalog/<str:code>/", views.sop_detail, name="sop_detail"),
    path("katalog/<str:code>/sop.pdf", views.sop_document, name="sop_document"),
    path("katalog/<str:code>/diagram.css", views.sop_diagram_css, name="sop_diagram_css"),
    path("katalog/<str:code>/mulai/", views.case_start, name="case_start"),
    path("kasus/<int:pk>/", views.case_detail, name="case_detail"),
    path("kasus/<int:pk>/komentar/", views.case_comment, name="case_comment"),
    path("kasus/<int:pk>/batal/", views.case_cancel, name="case_cancel"),
    path("kasus/<int:pk>/tutup/", views.case_close, name="case_close"),
    path("langkah/<int:pk>/", views.task_execute, name="task_execute"),
    path("langkah/<int:pk>/ambil/", views.task_claim, name="task_claim"),
    path("langkah/<int:pk>/lepas/", views.task_release, name="task_release"),
    path("langkah/<int:pk>/alihkan/", views.task_reassign, name="task_reassign"),
    path("lampiran/<int:pk>/", views.attachment_download, name="attachment_download"),
    path("bahasa/", views.language_set, name="language_set"),
    path("notifikasi/", views.notification_list, name="notifications"),
    path("eskalasi/", views.escalation_list, name="escalations"),
    path("eskalasi/<int:pk>/putuskan/", views.escalation_decide, name="escalation_decide"),
    path("kasus/<int:pk>/riwayat.pdf", views.case_history_print, name="case_history_print"),
    path("kasus/<int:pk>/disposisi/", views.disposition_give, name="disposition_give"),
    path("kasus/<int:pk>/lembar-disposisi.pdf", views.disposition_sheet_print, name="disposition_sheet_print"),
    path("kasus/<int:pk>/dokumen/<slug:output>.pdf", views.sop_output_print, name="sop_output_print"),
    path("verifikasi/<str:code>/", views.document_verify, name="document_verify"),
]
