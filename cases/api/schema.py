"""OpenAPI details drf-spectacular cannot see by itself: the error body of every operation and the token scheme."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema

from .errors import ErrorSerializer

ERROR_STATUSES = {
    "400": "Bad input: the body or query was refused (nothing changed).",
    "401": "No credentials, or an unknown or revoked token.",
    "403": "Authenticated, but not allowed to do this.",
    "404": "No such object, or not visible to the user.",
}


class CepatAutoSchema(AutoSchema):
    """Every operation documents the JSON error body for the error statuses the API returns."""

    def _get_response_bodies(self, direction: str = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        for code, description in ERROR_STATUSES.items():
            if code not in responses:
                responses[code] = self._get_response_for_code(ErrorSerializer, code, direction=direction)
                responses[code]["description"] = description
        return responses


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "cases.api.authentication.ApiTokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema: AutoSchema) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A per-user token made in the admin (API tokens): `Authorization: Bearer cepat_…`.",
        }
