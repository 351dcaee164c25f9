"""Write-behind (workflows.write_behind): held writes reach the database with the next statement, in the same round
trip on PostgreSQL, and a read always sees the writes made before it."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models.signals import post_save
from django.test.utils import CaptureQueriesContext

from cases.models import DispositionInstruction
from workflows.write_behind import HELD_MARK, execute_later, insert_later, save_later, write_behind

pytestmark = pytest.mark.django_db


@pytest.fixture
def box() -> DispositionInstruction:
    return DispositionInstruction.objects.create(code="arsip-test", label="Arsipkan", order=90)


def _round_trips(queries: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if not q["sql"].startswith(HELD_MARK)]


def _label_elsewhere(box: DispositionInstruction) -> str:
    """The label as a statement sent now on this connection reads it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT label FROM cases_dispositioninstruction WHERE id = %s", [box.pk])
        return cursor.fetchone()[0]


def test_held_writes_go_with_the_next_statement_in_one_round_trip(box):
    with transaction.atomic(), write_behind(), CaptureQueriesContext(connection) as queries:
        box.label = "Arsipkan segera"
        save_later(box, ["label"])
        insert_later(
            DispositionInstruction,
            [
                DispositionInstruction(code="a-test", label="A", order=91),
                DispositionInstruction(code="b-test", label="B", order=92),
            ],
        )
        assert _label_elsewhere(box) == "Arsipkan segera"  # the read carried the update ahead of it
        assert DispositionInstruction.objects.filter(code__in=["a-test", "b-test"]).count() == 2
    assert len(queries.captured_queries) == 4  # the update, the two-row insert, the two reads
    assert len(_round_trips(queries)) == 2


def test_what_is_still_held_at_the_end_of_the_block_is_sent_then(box):
    with transaction.atomic():
        with CaptureQueriesContext(connection) as queries, write_behind():
            box.order = 5
            save_later(box, ["order"])
            execute_later("UPDATE cases_dispositioninstruction SET active = %s WHERE id = %s", [False, box.pk])
        assert len(_round_trips(queries)) == 1
        box.refresh_from_db()
    assert (box.order, box.active) == (5, False)


def test_a_rollback_to_a_savepoint_undoes_the_writes_held_since(box):
    with transaction.atomic(), write_behind():
        box.label = "Sebelum"
        save_later(box, ["label"])
        try:
            with transaction.atomic():  # its savepoint carries the first update
                box.label = "Sesudah"
                save_later(box, ["label"])
                raise ValueError("undo")
        except ValueError:
            pass
    box.refresh_from_db()
    assert box.label == "Sebelum"


def test_a_held_write_that_fails_raises_from_the_statement_that_carried_it_and_changes_nothing(box):
    with pytest.raises(IntegrityError), transaction.atomic(), write_behind():
        box.label = "Diubah"
        save_later(box, ["label"])
        insert_later(DispositionInstruction, [DispositionInstruction(code="arsip-test", label="dup", order=1)])
        DispositionInstruction.objects.count()
    box.refresh_from_db()
    assert box.label == "Arsipkan"


def test_an_error_of_the_block_still_sends_its_writes_as_an_immediate_save_would_have(box):
    with transaction.atomic():
        with pytest.raises(ValueError), write_behind():
            box.label = "Tetap tersimpan"
            save_later(box, ["label"])
            raise ValueError("not a database error")
        box.refresh_from_db()
    assert box.label == "Tetap tersimpan"


def test_a_statement_without_parameters_keeps_its_percent_signs_when_it_carries_writes(box):
    with transaction.atomic(), write_behind(), connection.cursor() as cursor:
        box.label = "50%"
        save_later(box, ["label"])
        cursor.execute("SELECT '100%', label FROM cases_dispositioninstruction WHERE code = 'arsip-test'")
        assert cursor.fetchone() == ("100%", "50%")


def test_a_server_side_cursor_reads_after_the_held_writes(box):
    with transaction.atomic(), write_behind():
        box.label = "Dibaca lewat cursor"
        save_later(box, ["label"])
        labels = list(DispositionInstruction.objects.filter(pk=box.pk).values_list("label", flat=True).iterator())
    assert labels == ["Dibaca lewat cursor"]


def test_outside_a_block_and_for_models_with_save_receivers_writes_go_at_once(box):
    def received(**kwargs):
        received.calls += 1

    received.calls = 0
    with CaptureQueriesContext(connection) as queries:
        box.label = "Langsung"
        save_later(box, ["label"])
    assert not any(q["sql"].startswith(HELD_MARK) for q in queries.captured_queries)

    post_save.connect(received, sender=DispositionInstruction)
    try:
        with transaction.atomic(), write_behind():
            box.order = 7
            save_later(box, ["order"])
            assert received.calls == 1  # saved through the model, signals and all
    finally:
        post_save.disconnect(received, sender=DispositionInstruction)
    box.refresh_from_db()
    assert (box.label, box.order) == ("Langsung", 7)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_block_needs_a_transaction():
    with pytest.raises(RuntimeError), write_behind():
        pass
