"""Partial indexes for the inbox and the unit queue (found by `make bench`, see bench/RESULTS.md).

The lists read only open human steps, in the order they were created, 25 at a time: an index over just those rows,
in that order, lets PostgreSQL stop after the first page instead of sorting everything a user ever held. viewflow's
Task model is not ours, so the indexes are plain SQL (PostgreSQL and SQLite both take partial indexes).
"""

from django.db import migrations

OPEN_HUMAN = "flow_task_type = 'HUMAN' AND status IN ('NEW', 'ASSIGNED', 'STARTED')"

SQL = [
    (
        f"CREATE INDEX IF NOT EXISTS cepat_inbox_idx ON viewflow_task (owner_id, created) WHERE {OPEN_HUMAN}",
        "DROP INDEX IF EXISTS cepat_inbox_idx",
    ),
    (
        "CREATE INDEX IF NOT EXISTS cepat_queue_idx ON viewflow_task (created) "
        "WHERE flow_task_type = 'HUMAN' AND status = 'NEW' AND owner_id IS NULL",
        "DROP INDEX IF EXISTS cepat_queue_idx",
    ),
]


class Migration(migrations.Migration):
    dependencies = [
        ("workflows", "0004_escalation_ladder"),
        ("viewflow", "0015_task_scheduled"),
    ]

    operations = [migrations.RunSQL(sql, reverse_sql=reverse) for sql, reverse in SQL]
