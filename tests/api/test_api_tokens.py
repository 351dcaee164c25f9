"""API tokens: made and revoked in the admin, audited, stored as a hash only; session login works for the UI."""

from __future__ import annotations

import re

import pytest
from django.contrib.messages import get_messages
from django.http import HttpRequest
from django.urls import reverse
from rest_framework.test import APIClient

from cases.demo import DEMO_PASSWORD
from cases.models import ApiToken, AuditEvent

pytestmark = pytest.mark.django_db


def admin_adds_token(client, user, name: str) -> str:
    response = client.post(reverse("admin:cases_apitoken_add"), {"user": user.pk, "name": name})
    assert response.status_code == 302, response.content.decode()[:1000]
    messages = " ".join(str(m) for m in get_messages(response.wsgi_request))  # with the admin's "added" message
    secret = re.findall(r"cepat_[A-Za-z0-9_-]{43}", messages)[-1]  # the newest; earlier ones may still be queued
    return secret


def test_tokens_are_made_and_revoked_in_the_admin_audited_and_stored_only_as_a_hash(client, org, sop_library):
    client.login(request=HttpRequest(), username="admin", password=DEMO_PASSWORD)
    first = admin_adds_token(client, org["pemohon"], "Portal layanan")
    second = admin_adds_token(client, org["pemohon"], "Ekspor SRIKANDI")

    tokens = ApiToken.objects.filter(user=org["pemohon"]).order_by("pk")
    assert [t.name for t in tokens] == ["Portal layanan", "Ekspor SRIKANDI"]
    for token, secret in zip(tokens, (first, second), strict=True):
        assert secret.startswith(token.prefix)
        assert secret not in (token.digest, token.prefix)
    created = AuditEvent.objects.filter(action="api_token_created").order_by("global_seq")
    assert [(e.actor, e.after["name"], e.after["user"]) for e in created] == [
        (org["admin"], "Portal layanan", org["pemohon"].pk),
        (org["admin"], "Ekspor SRIKANDI", org["pemohon"].pk),
    ]

    system = APIClient()
    system.credentials(HTTP_AUTHORIZATION=f"Bearer {first}")
    assert system.get(reverse("api:case_list")).status_code == 200
    tokens[0].refresh_from_db()
    assert tokens[0].last_used_at is not None

    response = client.post(
        reverse("admin:cases_apitoken_changelist"),
        {"action": "revoke", "_selected_action": [tokens[0].pk]},
    )
    assert response.status_code == 302
    revoked = AuditEvent.objects.get(action="api_token_revoked")
    assert (revoked.actor, revoked.before["name"]) == (org["admin"], "Portal layanan")
    refused = system.get(reverse("api:case_list"))
    assert refused.status_code == 401
    assert refused.json()["code"] == "authentication_failed"
    other = APIClient(headers={"Authorization": f"Token {second}"})
    assert other.get(reverse("api:case_list")).status_code == 200  # the other named token still works


def test_a_second_active_token_of_the_same_name_is_refused_in_the_admin(client, org):
    client.login(request=HttpRequest(), username="admin", password=DEMO_PASSWORD)
    admin_adds_token(client, org["pemohon"], "Portal layanan")
    response = client.post(reverse("admin:cases_apitoken_add"), {"user": org["pemohon"].pk, "name": "Portal layanan"})
    assert response.status_code == 200  # the form again, with the error
    assert ApiToken.objects.count() == 1
    assert AuditEvent.objects.filter(action="api_token_created").count() == 1


@pytest.mark.parametrize("header", ["", "Bearer", "Bearer cepat_nope", "Token a b", "Bearer cepat_\u00e9"])
def test_without_a_valid_token_the_api_answers_401_in_json(org, header):
    client = APIClient(headers={"Authorization": header} if header else {})
    response = client.get(reverse("api:case_list"))
    assert response.status_code == 401
    assert response.json()["code"] in ("not_authenticated", "authentication_failed")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_the_ui_session_authenticates_too_with_csrf_for_changes(org, sop_library):
    client = APIClient(enforce_csrf_checks=True)
    assert client.login(request=HttpRequest(), username="pemohon", password=DEMO_PASSWORD)
    assert client.get(reverse("api:sop_list")).status_code == 200
    refused = client.post(reverse("api:case_list"), {"sop": "BU-RT-01"}, format="json")
    assert refused.status_code == 403
    assert refused.json()["code"] == "permission_denied"  # CSRF


def test_the_openapi_description_and_its_browsable_pages_are_served_without_a_cdn(client, org):
    schema = client.get(reverse("api_schema"), {"format": "json"})
    assert schema.status_code == 200
    description = schema.json()
    assert description["openapi"].startswith("3.")
    assert "/api/v1/cases/{id}/timeline/" in description["paths"]
    assert description["components"]["securitySchemes"]["apiToken"] == {
        "type": "http",
        "scheme": "bearer",
        "description": description["components"]["securitySchemes"]["apiToken"]["description"],
    }
    page = client.get(reverse("api_swagger"))
    html = page.content.decode()
    assert "/static/drf_spectacular_sidecar/" in html
    assert "cdn" not in html.lower()
    # Nothing inline, so the Content-Security-Policy (script and style from 'self' only) lets the page work.
    assert "script-src 'self'" in page["Content-Security-Policy"]
    assert "<style" not in html and "<script>" not in html
    script = client.get(reverse("api_swagger"), {"script": ""})
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()
