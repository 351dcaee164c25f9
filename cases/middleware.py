from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import translation

from .org import org_chart_pinned


class UserLanguageMiddleware:
    """Speak the logged-in user's preferred language (Bahasa Indonesia unless they chose English).

    Runs after AuthenticationMiddleware; for anonymous visitors LocaleMiddleware's choice stands.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.language:
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        return self.get_response(request)


class TwoFactorMiddleware:
    """A user who has set up two-factor sign-in reaches no page but the code page (and logging out) until the session
    is verified with a code from their authenticator. Runs after django-otp's OTPMiddleware."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from .security import two_factor_required

        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not user.is_verified() and two_factor_required(user):
            verify = reverse("two_factor_verify")
            open_paths = (verify, reverse("logout"), reverse("set_language"), settings.STATIC_URL)
            if not any(request.path.startswith("/" + p.lstrip("/")) for p in open_paths):
                return redirect_to_login(request.get_full_path(), verify)
        return self.get_response(request)


class OrgChartPerRequestMiddleware:
    """A GET or HEAD request, which changes nothing, reads the org chart's stamp at most once however many parts of
    the page ask who the viewer is (`cases.org.org_chart_pinned`); a POST reads it afresh at each ask, so what it
    writes counts within the same request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        with org_chart_pinned():
            return self.get_response(request)
