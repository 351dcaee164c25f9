"""Per-user API tokens for other systems: made and revoked (in the admin) through these services, each act audited.

A token is `cepat_` + 43 URL-safe characters (256 random bits). Only its SHA-256 is stored: with that much entropy a
fast hash is enough, and a lookup by digest needs no per-user scan. The secret is returned once, when it is made.
"""

from __future__ import annotations

import hashlib
import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .audit import audit_append
from .errors import ApplicationError
from .models import ApiToken, User

TOKEN_PREFIX = "cepat_"  # noqa: S105 - the public marker of a token, not a secret
TOKEN_NAME_REQUIRED = _("Give the token a name (what system it is for).")
TOKEN_NAME_TAKEN = _("%(user)s already has an active token named “%(name)s”.")
TOKEN_ALREADY_REVOKED = _("This token has already been revoked.")


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def api_token_create(*, user: User, name: str, acting_user: User) -> tuple[ApiToken, str]:
    """Make a named token for `user`; returns the token row and the secret (shown once, never stored)."""
    name = name.strip()
    if not name:
        raise ApplicationError(TOKEN_NAME_REQUIRED, code="token_name_required")
    if ApiToken.objects.select_for_update().filter(user=user, name=name, revoked_at__isnull=True).exists():
        raise ApplicationError(TOKEN_NAME_TAKEN, params={"user": user, "name": name}, code="token_name_taken")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name, prefix=secret[: len(TOKEN_PREFIX) + 6], digest=_digest(secret), created_by=acting_user
    )
    audit_append(
        action="api_token_created",
        actor=acting_user,
        after={"token": token.pk, "user": user.pk, "name": name, "prefix": token.prefix},
    )
    return token, secret


@transaction.atomic
def api_token_revoke(*, token: ApiToken, acting_user: User) -> ApiToken:
    """Revoke a token: it stops working at once and stays on record."""
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is not None:
        raise ApplicationError(TOKEN_ALREADY_REVOKED, code="token_already_revoked")
    token.revoked_at = timezone.now()
    token.revoked_by = acting_user
    token.save(update_fields=["revoked_at", "revoked_by"])
    audit_append(
        action="api_token_revoked",
        actor=acting_user,
        before={"token": token.pk, "user": token.user_id, "name": token.name, "prefix": token.prefix},
    )
    return token


def api_token_user(secret: str) -> tuple[User, ApiToken] | None:
    """The active user and token a secret belongs to, or None. Notes when the token was last used (at most once a
    minute, so a busy system does not write on every request)."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    token = ApiToken.objects.select_related("user").filter(digest=_digest(secret), revoked_at__isnull=True).first()
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        token.last_used_at = now
        token.save(update_fields=["last_used_at"])
    return token.user, token
