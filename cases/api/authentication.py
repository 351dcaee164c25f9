"""Token authentication for systems: `Authorization: Bearer <token>` (or `Token <token>`), tokens from the admin."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from cases.models import ApiToken, User
from cases.tokens import api_token_user

INVALID_TOKEN = _("The API token is unknown or has been revoked.")
KEYWORDS = (b"bearer", b"token")


class ApiTokenAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[User, ApiToken] | None:
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].lower() not in KEYWORDS:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(INVALID_TOKEN)
        try:
            secret = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(INVALID_TOKEN) from None
        found = api_token_user(secret)
        if found is None:
            raise exceptions.AuthenticationFailed(INVALID_TOKEN)
        return found

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'
