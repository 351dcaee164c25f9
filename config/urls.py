from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("login/", auth_views.LoginView.as_view(template_name="cases/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("api/v1/", include("cases.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path("api/schema/swagger/", SpectacularSwaggerView.as_view(url_name="api_schema"), name="api_swagger"),
    path("api/schema/redoc/", SpectacularRedocView.as_view(url_name="api_schema"), name="api_redoc"),
    path("laporan/", include("reports.urls")),
    path("", include("cases.urls")),
]

handler404 = "cases.api.errors.page_not_found"
