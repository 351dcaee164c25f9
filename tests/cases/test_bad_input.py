"""Bad input is refused with a clear message and changes nothing (property-based, hypothesis): oversized and disguised
uploads, path tricks in upload names, over-long fields, wrongly encoded text, and SOP files of any bytes at all."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse
from hypothesis import HealthCheck, assume, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from cases import errors
from cases.errors import ApplicationError
from cases.models import Attachment, AuditEvent, Case
from cases.services import case_start
from cases.uploads import attachment_upload_to, clean_upload_name
from tests.builders import ADM_CODE, RT_CODE, RT_INTAKE, Walk, assert_refused_without_change, start_letter
from workflows.forms import MSG_NOT_TEXT, step_form_class
from workflows.models import SopVersion
from workflows.services import sop_library_load
from workflows.sops import load_sop_directory, load_sop_file

pytestmark = pytest.mark.django_db

# With the org chart and library as pytest fixtures, each example runs in the test's transaction: a refusal must leave
# no trace for the next example to see, which is exactly the property under test.
DB_PROPERTY = hypothesis_settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
# Contents that are not an allowed type, whatever they are named.
FOREIGN = {
    "zip": b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"\x00" * 40,
    "elf": b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 40,
    "html": b"<!DOCTYPE html><html><script>alert(1)</script></html>",
    "svg": b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    "exe": b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 40,
    "text": b"Surat permohonan kendaraan",
}
ALLOWED_MAGIC = (b"%PDF", b"\x89PNG", b"\xff\xd8\xff")

PATH_TRICKS = [
    "../../etc/passwd.pdf",
    "..\\..\\windows\\win.ini.pdf",
    "/etc/shadow.pdf",
    "nota/../../../../tmp/x.pdf",
    "C:\\Users\\Public\\nota.pdf",
    "nota\x00.pdf",
    "nota\u202egpj.pdf",
    ".pdf",
    "....pdf",
]


def footprint() -> tuple[int, int, int, set[str]]:
    """What an accepted intake leaves behind: cases, attachments, audit events and stored files."""
    root = Path(settings.MEDIA_ROOT)
    files = {str(p) for p in root.rglob("*") if p.is_file()} if root.exists() else set()
    return Case.objects.count(), Attachment.objects.count(), AuditEvent.objects.count(), files


def start_with_upload(org, version: SopVersion, name: str, content: bytes) -> Case:
    upload = SimpleUploadedFile(name, content, content_type="application/pdf")  # the browser's claim: ignored
    return case_start(
        sop_version=version, acting_user=org["pemohon"], data=dict(RT_INTAKE), files={"nota_dinas": upload}
    )


def assert_intake_refused(org, version: SopVersion, name: str, content: bytes, message: str) -> None:
    before = footprint()
    with pytest.raises(ApplicationError) as refused:
        start_with_upload(org, version, name, content)
    assert refused.value.message == errors.INTAKE_FORM_INVALID
    assert [str(m) for m in refused.value.errors["nota_dinas"]] == [message]
    assert footprint() == before


@DB_PROPERTY
@given(kind=st.sampled_from(sorted(FOREIGN)), name=st.sampled_from(["nota.pdf", "nota.png", "nota", "nota.jpg"]))
def test_a_file_whose_content_is_not_pdf_jpeg_or_png_is_refused_whatever_its_name(org, sop_library, kind, name):
    expected = errors.UPLOAD_TYPE_NOT_ALLOWED % {"name": name}
    assert_intake_refused(org, sop_library[RT_CODE], name, FOREIGN[kind], expected)


@DB_PROPERTY
@given(content=st.binary(min_size=1, max_size=2048))
def test_random_bytes_are_refused_as_an_unknown_type(org, sop_library, content):
    assume(not content.startswith(ALLOWED_MAGIC))
    expected = errors.UPLOAD_TYPE_NOT_ALLOWED % {"name": "pindaian.pdf"}
    assert_intake_refused(org, sop_library[RT_CODE], "pindaian.pdf", content, expected)


@pytest.mark.parametrize(
    ("name", "content", "claimed", "actual"),
    [
        ("nota.pdf", PNG, "application/pdf", "image/png"),
        ("foto.png", JPEG, "image/png", "image/jpeg"),
        ("foto.jpg", PDF, "image/jpeg", "application/pdf"),
    ],
)
def test_a_disguised_file_is_refused(org, sop_library, name, content, claimed, actual):
    expected = errors.UPLOAD_TYPE_MISMATCH % {"name": name, "claimed": claimed, "actual": actual}
    assert_intake_refused(org, sop_library[RT_CODE], name, content, expected)


@override_settings(UPLOAD_MAX_MB=1)
def test_an_oversized_file_is_refused_before_it_is_stored(org, sop_library):
    content = PDF + b"0" * (1024 * 1024)
    expected = errors.UPLOAD_TOO_LARGE % {"name": "besar.pdf", "size": "1.0", "limit": 1}
    assert_intake_refused(org, sop_library[RT_CODE], "besar.pdf", content, expected)


@DB_PROPERTY
@given(name=st.one_of(st.sampled_from(PATH_TRICKS), st.text(min_size=1, max_size=300)))
@example(name="../" * 100 + "passwd.pdf")
def test_any_upload_name_is_stored_under_a_random_name_inside_the_media_root_or_refused(org, sop_library, name):
    before = footprint()
    try:
        case = start_with_upload(org, sop_library[RT_CODE], name + ("" if name.endswith(".pdf") else ".pdf"), PDF)
    except ApplicationError as refused:
        assert [str(m) for m in refused.value.errors["nota_dinas"]]
        assert footprint() == before
        return
    attachment = case.attachments.get()
    stored = Path(attachment.file.path).resolve()
    assert stored.is_relative_to(Path(settings.MEDIA_ROOT).resolve())
    assert re.fullmatch(r"attachments/\d{4}/\d{2}/[0-9a-f]{32}\.pdf", attachment.file.name)
    assert not any(ch in attachment.original_name for ch in "/\\\x00\u202e")
    assert attachment.original_name and not attachment.original_name.startswith(".")


@given(name=st.text(max_size=300))
def test_clean_upload_names_never_hold_a_path_or_control_character(name):
    try:
        cleaned = clean_upload_name(name)
    except ValidationError as refused:
        assert (refused.code, refused.message) == ("upload_name", errors.UPLOAD_NAME_INVALID)
        return
    assert cleaned and len(cleaned) <= 255
    assert not set(cleaned) & {"/", "\\"}
    assert cleaned not in (".", "..")
    assert re.fullmatch(
        r"attachments/\d{4}/\d{2}/[0-9a-f]{32}(\.pdf|\.jpg|\.png)?", attachment_upload_to(None, cleaned)
    )


def test_a_stored_file_is_not_reachable_by_url_and_downloads_only_through_the_case(client, org, sop_library):
    case = start_with_upload(org, sop_library[RT_CODE], "../../nota.pdf", PDF)
    attachment = case.attachments.get()
    client.force_login(org["pemohon"])
    assert client.get("/" + settings.MEDIA_URL + attachment.file.name).status_code == 404
    response = client.get(reverse("cases:attachment_download", args=[attachment.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert 'filename="nota.pdf"' in response["Content-Disposition"]


# Step forms ---------------------------------------------------------------------------------------------------------

LIBRARY = [sop for sop in load_sop_directory(Path(settings.SOP_DEFINITIONS_DIR)) if sop.ok]
STEPS = [
    (sop.definition["code"], step)
    for sop in LIBRARY
    for step in sop.definition["steps"]
    if step.get("kelengkapan", {}).get("fields")
]
GARBAGE = st.one_of(
    st.text(max_size=40),
    st.text(min_size=501, max_size=6000),
    st.binary(max_size=60).map(lambda b: b.decode("latin-1")),
    st.binary(max_size=60).map(lambda b: b.decode("utf-8", errors="replace")),
    st.sampled_from(["\x00", "\ufffd", "\ud800", "2026-02-30", "-1", "9" * 40, "<script>alert(1)</script>"]),
    st.lists(st.text(max_size=20), max_size=3),
)


@given(data=st.data())
@hypothesis_settings(max_examples=300, deadline=None)
def test_any_input_to_any_step_form_is_either_clean_text_within_bounds_or_refused_with_a_message(data):
    code, step = data.draw(st.sampled_from(STEPS), label="step")
    fields = step["kelengkapan"]["fields"]
    values = {f["name"]: data.draw(GARBAGE, label=f["name"]) for f in fields}
    form = step_form_class(step)(values, {})
    if form.is_valid():
        specs = {f["name"]: f for f in fields}
        for name, value in form.values().items():
            if specs[name]["type"] in ("text", "textarea"):
                assert len(value) <= specs[name].get("max_length", 5000)
                assert "\x00" not in value and "\ufffd" not in value
        return
    assert form.errors
    for name, messages in form.errors.items():
        assert name in form.fields or name == "__all__"
        assert all(str(m).strip() for m in messages)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("ringkasan", "x" * 5001, None),
        ("nomor_agenda", "0412" * 20, None),
        ("ringkasan", "Undangan\ufffd rapat", MSG_NOT_TEXT),
    ],
)
def test_an_over_long_or_wrongly_encoded_field_is_refused_and_nothing_changes(
    org, pos, sop_library, scan, field, value, message
):
    from tests.builders import agenda_data

    walk = Walk(org, start_letter(org, sop_library[ADM_CODE]), "agendaris1")
    agd = {pos["agendaris1"]}
    walk.do("terima", "agendaris1", offered=agd, queue=True)
    walk.do("cek_alamat", "agendaris1", {"_keputusan": "ya"}, offered=agd, queue=True)
    data = agenda_data(**{field: value})
    assert_refused_without_change(walk, org["agendaris1"], data, {"pindaian_surat": scan("s.pdf")}, field)
    if message is not None:
        form = step_form_class(sop_library[ADM_CODE].step("agenda"))(data, {"pindaian_surat": scan("s.pdf")})
        assert not form.is_valid() and str(message) in form.errors[field]


def test_a_wrongly_encoded_form_post_is_refused_with_a_message(client, org, sop_library):
    client.force_login(org["pemohon"])
    body = "&".join(f"{k}={v}" for k, v in {**RT_INTAKE, "subject": "Kendaraan"}.items()).encode()
    # A browser posting in another encoding (here latin-1 "Kendaraan ke Masohi – ÿþ") percent-encodes bytes that are
    # not UTF-8.
    body = body.replace(b"subject=Kendaraan", b"subject=Kendaraan+ke+Masohi+%96+%FF%FE")
    before = footprint()
    response = client.post(
        reverse("cases:case_start", args=[RT_CODE]), body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert str(MSG_NOT_TEXT) in response.content.decode()
    assert footprint() == before


# The SOP loader -----------------------------------------------------------------------------------------------------

VALID_SOP = (Path(settings.SOP_DEFINITIONS_DIR) / "kerumahtanggaan" / "BU-RT-04.yaml").read_text(encoding="utf-8")


@st.composite
def mutated_sops(draw: st.DrawFn) -> bytes:
    """A real SOP file with one line replaced, cut short, re-encoded or given an over-long value."""
    lines = VALID_SOP.splitlines()
    index = draw(st.integers(0, len(lines) - 1))
    how = draw(st.sampled_from(["replace", "truncate", "latin1", "utf16", "long_title", "long_id", "bytes"]))
    if how == "replace":
        lines[index] = draw(st.text(max_size=80))
    elif how == "truncate":
        lines = lines[:index]
    elif how == "long_title":
        lines = [f"title: {'Sangat panjang ' * 30}" if ln.startswith("title:") else ln for ln in lines]
    elif how == "long_id":
        lines = [ln.replace("id: ", f"id: {'a' * 70}", 1) if ln.strip().startswith("- id:") else ln for ln in lines]
    text = "\n".join(lines) + "\n"
    if how == "latin1":
        latin = (text + "# catatan: perubahan ketentuan\n").replace("catatan", "cätatan")
        return latin.encode("latin-1", errors="replace")
    if how == "utf16":
        return text.encode("utf-16")
    if how == "bytes":
        return draw(st.binary(max_size=400))
    return text.encode("utf-8", errors="surrogatepass")


@given(content=mutated_sops())
@hypothesis_settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_a_broken_sop_file_gives_file_line_messages_and_never_half_loads(tmp_path_factory, content):
    directory = tmp_path_factory.mktemp("sop")
    path = directory / "BU-RT-04.yaml"
    path.write_bytes(content)
    sop = load_sop_file(path)
    if sop.ok:
        return  # a harmless change (a comment, a blank line, an equivalent value)
    assert sop.definition is None
    for problem in sop.problems:
        assert re.match(rf"{re.escape(str(path))}:\d+: [^:]+: .+", str(problem))


def test_an_sop_with_an_over_long_title_or_step_id_is_refused_with_its_line(tmp_path):
    long_title = VALID_SOP.replace("title: ", "title: " + "Sangat panjang " * 30, 1)
    (tmp_path / "BU-RT-04.yaml").write_text(long_title, encoding="utf-8")
    result = sop_library_load(directory=tmp_path)
    [failed] = result.failed
    [problem] = failed.problems
    title_line = next(n for n, ln in enumerate(VALID_SOP.splitlines(), 1) if ln.startswith("title:"))
    assert (problem.field, problem.line) == ("title", title_line)
    assert not result.registered
    assert not SopVersion.objects.filter(code="BU-RT-04").exists()


def test_an_instruction_code_that_is_not_text_is_refused_before_any_lookup(db):
    """A lone surrogate cannot even be sent to PostgreSQL: the form must say so itself (found by the test above)."""
    step = next(step for code, step in STEPS if code == "BU-ADM-01" and step["id"] == "disposisi")
    form = step_form_class(step)({"instruksi": ["\ud800"]}, {})
    assert not form.is_valid()
    assert form.errors["instruksi"] == [str(MSG_NOT_TEXT)]
