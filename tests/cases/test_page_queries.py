"""The inbox and the unit queue read a page with the same number of queries however many cases there are."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from viewflow.workflow.models import Task

from cases.load import seed_load
from cases.models import PositionHolding, User
from workflows.models import TaskOffer

pytestmark = pytest.mark.django_db


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_inbox_and_queue_queries_do_not_grow_with_the_cases(org, sop_library, client):
    seed_load(cases=40, open_share=1.0, seed=1)
    owner = (
        Task.objects.filter(status="ASSIGNED").values("owner").annotate(n=Count("pk")).order_by("-n", "owner").first()
    )
    position = (
        TaskOffer.objects.filter(task__status="NEW", task__owner__isnull=True)
        .values("position")
        .annotate(n=Count("pk"))
        .order_by("-n", "position")
        .first()
    )
    holder = User.objects.get(pk=owner["owner"])
    queued = PositionHolding.objects.filter(position_id=position["position"]).order_by("pk").first().user
    pages = {"/": holder, "/antrean/": queued}
    small = {}
    for url, user in pages.items():
        client.force_login(user)
        small[url] = _queries(client, url)

    seed_load(cases=400, open_share=1.0, seed=2)
    assert Task.objects.filter(owner=holder, status="ASSIGNED").count() > 25  # more than a page now
    for url, user in pages.items():
        client.force_login(user)
        assert _queries(client, url) == small[url], url
