"""Settings of a several-machine deployment: a read replica for reports is used only where asked for."""

from __future__ import annotations

import os
import subprocess
import sys

from django.conf import settings

from cases.models import Case
from config.routers import ReportsReplicaRouter, reading_replica


def test_reports_read_the_replica_only_inside_reading_replica(monkeypatch):
    monkeypatch.setitem(settings.DATABASES, "replica", settings.DATABASES["default"])
    router = ReportsReplicaRouter()
    assert router.db_for_read(Case) is None
    with reading_replica():
        assert router.db_for_read(Case) == "replica"
        assert router.db_for_write(Case) is None
    assert router.db_for_read(Case) is None
    assert router.allow_migrate("replica", "cases") is False


def test_database_replica_url_adds_the_replica_connection():
    code = "from django.conf import settings; print(sorted(settings.DATABASES), settings.DATABASES['replica']['HOST'])"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_REPLICA_URL": "postgres://cepat@replica.internal:5432/cepat",
    }
    run = subprocess.run(  # noqa: S603 - a fixed command line
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert run.stdout.split() == ["['default',", "'replica']", "replica.internal"]
