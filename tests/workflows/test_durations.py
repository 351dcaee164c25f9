import pytest
from django.utils import translation

from workflows.durations import describe_duration, describe_waktu, total_waktu


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


def test_total_time_standard_sums_the_waktu_column_like_the_printed_sop():
    definition = {"steps": [
        {"waktu": "30m"}, {"waktu": "45m"}, {"waktu": "2h"}, {"waktu": "1d"},
        {"waktu": {"biasa": "2d", "segera": "4h", "sangat_segera": "2h"}}, {"type": "pause"}, {"type": "end"},
    ]}
    with translation.override("en"):
        assert total_waktu(definition) == "3 working days + 3 office hours + 15 office minutes"
        assert total_waktu({"steps": [{"type": "end"}]}) == "0 office minutes"
