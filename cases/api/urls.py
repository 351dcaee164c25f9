from django.urls import path

from . import views

app_name = "api"
urlpatterns = [
    path("sops/", views.SopList.as_view(), name="sop_list"),
    path("sops/<slug:code>/", views.SopDetail.as_view(), name="sop_detail"),
    path("cases/", views.CaseList.as_view(), name="case_list"),
    path("cases/<int:pk>/", views.CaseDetail.as_view(), name="case_detail"),
    path("cases/<int:pk>/timeline/", views.CaseTimeline.as_view(), name="case_timeline"),
    path("cases/<int:pk>/comments/", views.CaseComment.as_view(), name="case_comment"),
    path("cases/<int:pk>/dispositions/", views.CaseDispositions.as_view(), name="case_dispositions"),
    path("cases/<int:pk>/documents/", views.CaseDocuments.as_view(), name="case_documents"),
    path("steps/<int:pk>/complete/", views.TaskComplete.as_view(), name="task_complete"),
    path("steps/<int:pk>/claim/", views.TaskClaim.as_view(), name="task_claim"),
    path("steps/<int:pk>/release/", views.TaskRelease.as_view(), name="task_release"),
    path("escalations/", views.EscalationList.as_view(), name="escalation_list"),
    path("escalations/<int:pk>/decide/", views.EscalationDecide.as_view(), name="escalation_decide"),
    path("documents/<slug:code>/", views.DocumentDetail.as_view(), name="document_detail"),
    path("attachments/<int:pk>/", views.AttachmentDownload.as_view(), name="attachment_download"),
]
