"""API clients that authenticate as a system does: with a named token made through the token service."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from rest_framework.test import APIClient

from cases.models import User
from cases.tokens import api_token_create


@pytest.fixture
def api(org: dict[str, User]) -> Callable[..., APIClient]:
    """api(username) -> a client sending that user's new token; api(None) -> an anonymous client."""

    def client_for(username: str | None, **headers: str) -> APIClient:
        client = APIClient(headers=headers)
        if username is not None:
            user = org[username]
            _token, secret = api_token_create(
                user=user, name=f"test {user.api_tokens.count() + 1}", acting_user=org["admin"]
            )
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
        return client

    return client_for
