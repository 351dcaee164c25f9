from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from cases import views as case_views

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("login/", auth_views.LoginView.as_view(template_name="cases/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("api/v1/", include("cases.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    # The split view serves its script as a file and the template links the page style: nothing inline, so the
    # Content-Security-Policy holds here too (Redoc needs inline script and styles, so it is not offered).
    path("api/schema/swagger/", SpectacularSwaggerSplitView.as_view(url_name="api_schema",
                                                                    template_name="api/swagger_ui.html"),
         name="api_swagger"),
    path("dua-faktor/", case_views.two_factor_setup, name="two_factor_setup"),
    path("dua-faktor/verifikasi/", case_views.two_factor_verify, name="two_factor_verify"),
    path("laporan/", include("reports.urls")),
    path("", include("cases.urls")),
]

handler404 = "cases.api.errors.page_not_found"
