"""CEPAT's URLs plus a minimal page for the HTTP benchmark."""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from config.urls import urlpatterns as cepat_urlpatterns


def plain_page(request: HttpRequest, size: int) -> HttpResponse:
    """A page of `size` bytes from Django with no database work: the floor of an HTML page served by Django."""
    return HttpResponse(b"x" * size, content_type="text/html; charset=utf-8")


urlpatterns = [
    path("bench/plain/<int:size>/", plain_page),
    path("", include(cepat_urlpatterns)),
]
