import pytest
from django.utils import translation

from workflows.durations import describe_duration, describe_waktu, time_standard_range


@pytest.mark.parametrize(
    ("value", "english"),
    [("1m", "1 office minute"), ("30m", "30 office minutes"), ("1h", "1 office hour"), ("4h", "4 office hours"),
     ("1d", "1 working day"), ("5d", "5 working days")],
)
def test_durations_read_as_office_time_or_working_days(value, english):
    with translation.override("en"):
        assert describe_duration(value) == english


def test_time_standard_per_derajat_lists_each_in_order():
    with translation.override("en"):
        text = describe_waktu({"biasa": "1d", "segera": "4h", "sangat_segera": "2h"})
    assert text == "Biasa: 1 working day; Segera: 4 office hours; Sangat segera: 2 office hours"


def test_time_standard_reads_in_indonesian_by_default():
    with translation.override("id"):
        assert describe_duration("4h") == "4 jam kerja"
        assert describe_duration("2d") == "2 hari kerja"


def _sop(steps: list[dict], start: str = "a") -> dict:
    return {"start": start, "steps": steps}


def test_time_standard_sums_the_waktu_column_along_the_way_through_the_sop():
    definition = _sop([
        {"id": "a", "waktu": "30m", "next": "b"}, {"id": "b", "waktu": "45m", "next": "c"},
        {"id": "c", "waktu": "2h", "next": "d"}, {"id": "d", "waktu": "1d", "next": "e"},
        {"id": "e", "waktu": {"biasa": "2d", "segera": "4h", "sangat_segera": "2h"}, "next": "f"},
        {"id": "f", "type": "pause", "next": "z"}, {"id": "z", "type": "end"},
    ])
    with translation.override("en"):
        assert time_standard_range(definition) == "3 working days + 3 office hours + 15 office minutes"


def test_time_standard_gives_the_quickest_and_longest_way_and_ignores_loops_back():
    definition = _sop([
        {"id": "a", "waktu": "35m", "decision": {"question": "?", "branches": [
            {"key": "ya", "label": "Ya", "next": "z"}, {"key": "tidak", "label": "Tidak", "next": "b"}]}},
        {"id": "b", "waktu": "11d", "decision": {"question": "?", "branches": [
            {"key": "ulang", "label": "Ulang", "next": "a"}, {"key": "lanjut", "label": "Lanjut", "next": "z"}]}},
        {"id": "z", "type": "end"},
    ])
    with translation.override("en"):
        assert time_standard_range(definition) == "35 office minutes – 11 working days + 35 office minutes"
