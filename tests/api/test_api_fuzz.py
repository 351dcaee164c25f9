"""Schemathesis against the served API (a live server on the test database, filled with the demo data): generated
requests, valid and invalid, for every operation of the OpenAPI description, with a token. No response may be a 5xx,
and every response must match the description (status, content type, headers, body).

Bounded: a fixed number of examples per operation and mode, derandomised so that each run sends the same requests.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from cases.demo import demo_cases
from cases.models import Attachment, Case
from cases.tokens import api_token_create
from reports.case_history import case_history_pdf
from tests.builders import open_tasks

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), pytest.mark.integration]

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
EXAMPLES = 12
MODES = [schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE]


def _fuzz(operation, mode, base_url: str, headers: dict[str, str], path_parameters: dict | None = None) -> None:
    strategy = operation.as_strategy(generation_mode=mode, path_parameters=path_parameters)

    @given(case=strategy)
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
    def run(case) -> None:
        case.call_and_validate(base_url=base_url, headers=headers, checks=CHECKS)

    run()


def test_fuzzed_requests_get_no_server_error_and_responses_match_the_description(live_server, org, sop_library):
    cases = demo_cases(org)
    karo = org["karo"]  # sees every case of the Biro; acts on dispositions and approvals
    _token, secret = api_token_create(user=karo, name="fuzz", acting_user=org["admin"])
    headers = {"Authorization": f"Bearer {secret}"}
    letter = next(c for c in cases if c.is_open and open_tasks(c) and c.sop_version.code == "BU-ADM-01")
    _pdf, document = case_history_pdf(case=letter, acting_user=karo)
    known = {  # real objects for a second pass, so generated bodies reach the services, not only the 404
        "id": letter.pk,
        "code": document.code,
    }
    step_ids = {"id": open_tasks(letter)[0].pk}
    attachment = Attachment.objects.filter(case__in=Case.objects.all()).first()

    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/schema/?format=json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 18
    for operation in operations:
        names = {p.name for p in operation.path_parameters}
        for mode in MODES:
            _fuzz(operation, mode, live_server.url, headers)
            if not names:
                continue
            if operation.path.startswith("/api/v1/steps/"):
                fixed = step_ids
            elif operation.path.startswith("/api/v1/attachments/"):
                fixed = {"id": attachment.pk}
            elif operation.path.startswith("/api/v1/sops/"):
                fixed = {"code": letter.sop_version.code}
            else:
                fixed = {name: known[name] for name in names}
            _fuzz(operation, mode, live_server.url, headers, fixed)
