"""Errors as JSON: `{"code": stable, "message": in the request's language, "fields": {name: [{code, message}]}}`.

Services' refusals (cases.errors.ApplicationError) keep their constant's code; form errors come with their fields.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.forms.utils import ErrorDict
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext_lazy as _
from django.views import defaults
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response

from cases import errors

INVALID_INPUT = _("The request is not valid: check the fields.")


class FieldErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable, language-independent code, e.g. task_taken.")
    message = serializers.CharField(help_text="For people, in the request's language.")
    fields = serializers.DictField(
        child=FieldErrorSerializer(many=True), required=False, help_text="Errors by field name, when a form failed."
    )


def _field_errors(detail: Any) -> dict[str, list[dict[str, str]]]:
    """DRF's nested error detail flattened to {field: [{code, message}]} (nested keys joined with dots)."""
    result: dict[str, list[dict[str, str]]] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), item)
        elif isinstance(value, list):
            for item in value:
                walk(prefix, item)
        else:
            result.setdefault(prefix or "non_field_errors", []).append(
                {"code": getattr(value, "code", "invalid") or "invalid", "message": str(value)}
            )

    walk("", detail)
    return result


def _form_errors(form_errors: ErrorDict | dict[str, Any]) -> dict[str, list[dict[str, str]]]:
    if isinstance(form_errors, ErrorDict):
        return {
            name: [{"code": e["code"] or "invalid", "message": e["message"]} for e in items]
            for name, items in form_errors.get_json_data().items()
        }
    return {name: [{"code": "invalid", "message": str(m)} for m in messages] for name, messages in form_errors.items()}


def error_body(code: str, message: Any, fields: dict[str, list[dict[str, str]]] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": str(message)}
    if fields:
        body["fields"] = fields
    return body


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """REST framework's handler for CEPAT: refusals of services, DRF's own errors and 404s as the error body.

    Anything else is a bug and propagates (a 500 the fuzzing test would report).
    """
    if isinstance(exc, errors.PermissionDenied):
        return Response(error_body(exc.code, exc.message), status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, errors.ApplicationError):
        fields = _form_errors(exc.errors) if exc.errors else None
        return Response(error_body(exc.code, exc.message, fields), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if not isinstance(exc, exceptions.APIException):
        return None
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))
    if isinstance(exc, exceptions.ValidationError):
        body = error_body("invalid", INVALID_INPUT, _field_errors(exc.detail))
    else:
        body = error_body(exc.default_code, exc.detail)
    return Response(body, status=exc.status_code, headers=headers)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """404 for an address no view answers: the JSON error body under /api/, Django's page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse(error_body("not_found", exceptions.NotFound.default_detail), status=404)
    return defaults.page_not_found(request, exception)
