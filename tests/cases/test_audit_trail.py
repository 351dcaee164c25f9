"""The audit trail: contiguous, hash-chained globally and per case; any raw-SQL tampering is found by `audit verify`."""

from __future__ import annotations

import datetime
import re
import zoneinfo
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from cases.audit import GENESIS, _event_hash, audit_append, audit_verify
from cases.models import AuditChainHead, AuditEvent, Case, Position, User
from cases.org import today
from cases.services import case_comment, task_complete
from cases.templatetags.cepat import in_zone
from tests.builders import (
    ADM_CODE,
    RT_CODE,
    agenda_data,
    appoint_plh,
    open_steps,
    start_letter,
    start_vehicle_request,
    task_at,
)

pytestmark = pytest.mark.django_db


def complete(case: Case, step: str, user: User, data: dict[str, Any], files: dict | None = None) -> Case:
    return task_complete(task_id=task_at(case, step).pk, acting_user=user, data=data, files=files)


@pytest.fixture
def trail(org, sop_library, scan) -> dict[str, Case]:
    """Two BU-RT-01 cases whose events interleave: one driven through several steps, one just started."""
    first = start_vehicle_request(org, sop_library[RT_CODE], scan, subject="Kendaraan ke Masohi")
    second = start_vehicle_request(org, sop_library[RT_CODE], scan, subject="Kendaraan ke bandara")
    first = complete(first, "cek_ketersediaan", org["kasubbag.rt"], {"_keputusan": "ya", "kendaraan": "DE 1234 AM"})
    case_comment(case_id=second.pk, acting_user=org["pemohon"], body="Mohon disiapkan pagi hari.")
    first = complete(first, "persetujuan", org["kabag.rt"], {"_keputusan": "setuju", "_catatan": "Disetujui"})
    first = complete(first, "surat_izin", org["kasubbag.rt"], {"nomor_surat_izin": "000.1.4/27/RT/2026"})
    first = complete(first, "serah_terima", org["pengemudi1"], {"km_awal": 45210, "bbm_awal": "3/4"})
    case_comment(case_id=first.pk, acting_user=org["pemohon"], body="Kendaraan sudah diterima.")
    return {"first": first, "second": second}


def events() -> list[AuditEvent]:
    return list(AuditEvent.objects.order_by("global_seq"))


def middle_case_event() -> AuditEvent:
    """A case event with events on both sides of it in the global chain and in its case chain."""
    event = AuditEvent.objects.filter(action="step_completed", step="persetujuan").get()
    assert 1 < event.global_seq < AuditChainHead.objects.get(pk=1).last_seq
    assert event.case_seq > 1
    return event


def raw_sql(query: str, params: list[Any]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        assert cursor.rowcount == 1


def assert_verify_fails_at(global_seq: int) -> CommandError:
    broken = audit_verify()
    assert broken is not None
    assert broken.global_seq == global_seq
    with pytest.raises(CommandError) as failed:
        call_command("audit", "verify")
    assert failed.value.returncode == 1
    named = re.search(r"event #(\d+) ", str(failed.value))
    assert named is not None, str(failed.value)
    assert int(named.group(1)) == global_seq, str(failed.value)
    return failed.value


# --- an intact trail ---------------------------------------------------------------------------------------------


def test_events_have_contiguous_global_and_case_sequences_each_linking_to_the_hash_before(trail):
    all_events = events()
    assert [e.global_seq for e in all_events] == list(range(1, len(all_events) + 1))
    previous = GENESIS
    for event in all_events:
        assert event.global_prev_hash == previous
        assert event.hash == _event_hash(event)
        previous = event.hash
    head = AuditChainHead.objects.get(pk=1)
    assert (head.last_seq, head.last_hash) == (all_events[-1].global_seq, all_events[-1].hash)

    for case in trail.values():
        case_events = [e for e in all_events if e.case_id == case.pk]
        assert [e.case_seq for e in case_events] == list(range(1, len(case_events) + 1))
        assert [e.case_prev_hash for e in case_events] == [GENESIS, *(e.hash for e in case_events[:-1])]
    first = [(e.action, e.step) for e in all_events if e.case_id == trail["first"].pk]
    assert first == [
        ("case_started", ""),
        ("step_completed", "cek_ketersediaan"),
        ("step_completed", "persetujuan"),
        ("step_completed", "surat_izin"),
        ("step_completed", "serah_terima"),
        ("comment_added", ""),
    ]
    # Events outside any case (the SOP library being registered) sit in the global chain only.
    for event in all_events:
        if event.case_id is None:
            assert (event.case_seq, event.case_prev_hash) == (None, "")


def test_verify_passes_on_an_intact_trail(trail, capsys):
    assert audit_verify() is None
    call_command("audit", "verify")
    assert f"audit trail intact: {AuditEvent.objects.count()} events" in capsys.readouterr().out


def test_events_record_who_did_what_with_the_data_before_and_after(trail, org):
    event = AuditEvent.objects.get(action="step_completed", step="persetujuan")
    assert (event.actor, event.on_behalf_of, event.case, event.note) == (
        org["kabag.rt"],
        None,
        trail["first"],
        "Disetujui",
    )
    assert event.after["decision"] == "setuju"
    assert event.after["next_steps"] == ["surat_izin"]
    started = AuditEvent.objects.get(case=trail["first"], action="case_started")
    assert started.actor == org["pemohon"]
    assert [h.split(":")[0] for h in started.attachment_hashes] == ["nota_dinas"]


# --- tampering with raw SQL ---------------------------------------------------------------------------------------


def test_editing_the_note_of_a_middle_event_is_found(trail):
    target = middle_case_event()
    raw_sql("UPDATE cases_auditevent SET note = %s WHERE id = %s", ["Ditolak", target.pk])
    message = str(assert_verify_fails_at(target.global_seq))
    assert "edited" in message


def test_deleting_a_middle_event_is_found_at_the_event_after_it(trail):
    target = middle_case_event()
    raw_sql("DELETE FROM cases_auditevent WHERE id = %s", [target.pk])
    message = str(assert_verify_fails_at(target.global_seq + 1))
    assert f"expected sequence {target.global_seq}" in message


def test_deleting_the_last_event_is_found(trail):
    last = events()[-1]
    raw_sql("DELETE FROM cases_auditevent WHERE id = %s", [last.pk])
    assert audit_verify() is not None
    with pytest.raises(CommandError) as failed:
        call_command("audit", "verify")
    assert failed.value.returncode == 1
    assert "removed" in str(failed.value)


def test_deleting_the_last_event_names_the_missing_event(trail):
    last = events()[-1]
    raw_sql("DELETE FROM cases_auditevent WHERE id = %s", [last.pk])
    assert_verify_fails_at(last.global_seq)


def test_swapping_two_events_global_sequence_is_found(trail):
    target = middle_case_event()
    after = AuditEvent.objects.get(global_seq=target.global_seq + 1)
    # Through a free number (0): global_seq is unique.
    raw_sql("UPDATE cases_auditevent SET global_seq = 0 WHERE id = %s", [target.pk])
    raw_sql("UPDATE cases_auditevent SET global_seq = %s WHERE id = %s", [target.global_seq, after.pk])
    raw_sql("UPDATE cases_auditevent SET global_seq = %s WHERE id = %s", [after.global_seq, target.pk])
    assert_verify_fails_at(target.global_seq)


def test_editing_the_after_json_of_an_event_is_found(trail):
    target = middle_case_event()
    raw_sql(
        """UPDATE cases_auditevent SET "after" = jsonb_set("after", '{decision}', '"tolak"') WHERE id = %s""",
        [target.pk],
    )
    assert AuditEvent.objects.get(pk=target.pk).after["decision"] == "tolak"
    message = str(assert_verify_fails_at(target.global_seq))
    assert "edited" in message


def test_changing_the_actor_of_an_event_is_found(trail, org):
    target = middle_case_event()
    raw_sql("UPDATE cases_auditevent SET actor_id = %s WHERE id = %s", [org["karo"].pk, target.pk])
    assert_verify_fails_at(target.global_seq)


def test_editing_an_event_and_recomputing_its_hash_breaks_the_link_from_the_next_event(trail):
    target = middle_case_event()
    target.note = "Ditolak"
    forged = _event_hash(target)
    raw_sql("UPDATE cases_auditevent SET note = %s, hash = %s WHERE id = %s", ["Ditolak", forged, target.pk])
    message = str(assert_verify_fails_at(target.global_seq + 1))
    assert "does not link" in message


# --- appending ----------------------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_audit_append_outside_a_transaction_is_refused(org):
    with pytest.raises(RuntimeError):
        audit_append(action="comment_added", actor=org["karo"], note="outside")
    assert not AuditEvent.objects.filter(action="comment_added").exists()


def _letter_at_disposisi(org, sop_library, scan) -> Case:
    case = start_letter(org, sop_library[ADM_CODE])
    case = complete(case, "terima", org["agendaris1"], {})
    case = complete(case, "cek_alamat", org["agendaris1"], {"_keputusan": "ya"})
    case = complete(
        case,
        "agenda",
        org["agendaris1"],
        agenda_data(tingkat_keamanan="B", derajat="segera", ringkasan="Undangan rapat evaluasi"),
        {"pindaian_surat": scan("surat-dishub.pdf")},
    )
    case = complete(case, "cek_rahasia", org["agendaris1"], {"_keputusan": "tidak"})
    case = complete(case, "telaah", org["kasubbag.surat"], {"usulan_tujuan": "Kabag Rumah Tangga"})
    case = complete(case, "telaah_kabag", org["kabag.tu"], {})
    assert open_steps(case) == ["disposisi"]
    return case


def test_a_plh_acting_for_the_kepala_biro_is_recorded_as_actor_on_behalf_of_the_official(org, sop_library, scan):
    kepala_biro = Position.objects.get(unit__code="biro-umum", is_head=True)
    appoint_plh(org["kabag.tu"], kepala_biro, today(), today())
    case = _letter_at_disposisi(org, sop_library, scan)
    kabag_rt = Position.objects.get(unit__code="bag-rt", is_head=True)

    complete(
        case,
        "disposisi",
        org["kabag.tu"],
        {"diteruskan_kepada": kabag_rt.pk, "instruksi": ["proses_lebih_lanjut"], "_catatan": "Plh Karo"},
    )

    event = AuditEvent.objects.get(case=case, action="step_completed", step="disposisi")
    assert (event.actor, event.on_behalf_of) == (org["kabag.tu"], org["karo"])
    assert event.note == "Plh Karo"
    # Her own step (telaah_kabag, as Kepala Bagian TU) was on nobody's behalf.
    own = AuditEvent.objects.get(case=case, action="step_completed", step="telaah_kabag")
    assert (own.actor, own.on_behalf_of) == (org["kabag.tu"], None)
    assert audit_verify() is None


def test_event_time_is_stored_in_utc_and_shown_in_the_units_zone_wit(trail):
    event = AuditEvent.objects.get(case=trail["first"], action="case_started")
    assert event.at.tzinfo is datetime.UTC
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') FROM cases_auditevent WHERE id = %s",
            [event.pk],
        )
        stored_utc = cursor.fetchone()[0]
    assert stored_utc == event.at.strftime("%Y-%m-%d %H:%M:%S.%f")

    zone = trail["first"].unit.time_zone
    assert zone == "Asia/Jayapura"
    local = event.at.astimezone(zoneinfo.ZoneInfo(zone))
    assert local.utcoffset() == datetime.timedelta(hours=9)
    assert local.replace(tzinfo=None) == event.at.replace(tzinfo=None) + datetime.timedelta(hours=9)
    assert local.tzname() == "WIT"
    assert in_zone(event.at, zone).endswith(" WIT")
    # Django's own local time (TIME_ZONE) agrees with the unit's zone here.
    assert timezone.localtime(event.at).replace(tzinfo=None) == local.replace(tzinfo=None)
