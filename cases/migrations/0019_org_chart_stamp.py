import uuid

from django.db import migrations, models

ORG_CHART_TABLES = (
    "cases_unit",
    "cases_role",
    "cases_position",
    "cases_position_roles",
    "cases_positionholding",
    "cases_delegation",
)


def first_stamp(apps, schema_editor):
    apps.get_model("cases", "OrgChartStamp").objects.create(pk=1, stamp=uuid.uuid4())


def _postgresql(tables):
    yield """
        CREATE FUNCTION cases_org_chart_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO cases_orgchartstamp (id, stamp) VALUES (1, gen_random_uuid())
            ON CONFLICT (id) DO UPDATE SET stamp = EXCLUDED.stamp;
            RETURN NULL;
        END $$
    """
    for table in tables:
        yield (
            f"CREATE TRIGGER {table}_org_chart_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION cases_org_chart_changed()"
        )


def _sqlite(tables):
    for table in tables:
        for event in ("INSERT", "UPDATE", "DELETE"):
            yield (
                f"CREATE TRIGGER {table}_org_chart_{event.lower()} AFTER {event} ON {table} BEGIN "
                "UPDATE cases_orgchartstamp SET stamp = lower(hex(randomblob(16))); "
                "INSERT OR IGNORE INTO cases_orgchartstamp (id, stamp) VALUES (1, lower(hex(randomblob(16)))); END"
            )


def create_triggers(apps, schema_editor):
    statements = {"postgresql": _postgresql, "sqlite": _sqlite}[schema_editor.connection.vendor]
    for sql in statements(ORG_CHART_TABLES):
        schema_editor.execute(sql)


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in ORG_CHART_TABLES:
        if vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER {table}_org_chart_changed ON {table}")
        else:
            for event in ("insert", "update", "delete"):
                schema_editor.execute(f"DROP TRIGGER {table}_org_chart_{event}")
    if vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION cases_org_chart_changed()")


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0018_requester_tracking_and_complaints"),
    ]

    operations = [
        migrations.CreateModel(
            name="OrgChartStamp",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("stamp", models.UUIDField()),
            ],
        ),
        migrations.RunPython(first_stamp, migrations.RunPython.noop),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
