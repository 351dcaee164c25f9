"""Demo data for `make run`: the Biro Umum of Setda Provinsi Maluku, its people, and cases in several states.

Cases are made through the services, so their audit trails are real.
"""

from __future__ import annotations

import datetime
import io
from dataclasses import dataclass

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from workflows.models import SopVersion

from .models import Case, Delegation, Position, PositionHolding, Role, Unit, User
from .services import case_start, task_complete

DEMO_PASSWORD = "cepat-demo-2026"  # noqa: S105 - published demo logins, never a production account

ROLES = {
    "PMH": "Pemohon",
    "AGD": "Pengadministrasi umum / agendaris",
    "KTU": "Kasubbag Persuratan dan Arsip",
    "KBTU": "Kepala Bagian Tata Usaha",
    "KRT": "Kasubbag Rumah Tangga",
    "KBRT": "Kepala Bagian Rumah Tangga",
    "KPA": "Kasubbag Perlengkapan dan Aset",
    "KBPA": "Kepala Bagian Perlengkapan dan Aset",
    "PBP": "Pengurus Barang Pengguna",
    "KARO": "Kepala Biro Umum",
    "ARS": "Arsiparis",
    "DRV": "Pengemudi",
    "TEK": "Teknisi",
    "PRM": "Pramu bakti / petugas ruang",
    "TIM": "Tim (inventarisasi, penghapusan, stock opname)",
    "AUD": "Auditor",
}

# (code, name, kind, parent)
UNITS = [
    ("biro-umum", "Biro Umum Setda Provinsi Maluku", Unit.Kind.BIRO, None),
    ("bag-tu", "Bagian Tata Usaha", Unit.Kind.BAGIAN, "biro-umum"),
    ("subbag-persuratan", "Subbagian Persuratan dan Arsip", Unit.Kind.SUBBAGIAN, "bag-tu"),
    ("bag-rt", "Bagian Rumah Tangga", Unit.Kind.BAGIAN, "biro-umum"),
    ("subbag-rt", "Subbagian Rumah Tangga", Unit.Kind.SUBBAGIAN, "bag-rt"),
    ("bag-aset", "Bagian Perlengkapan dan Aset", Unit.Kind.BAGIAN, "biro-umum"),
    ("subbag-aset", "Subbagian Perlengkapan dan Aset", Unit.Kind.SUBBAGIAN, "bag-aset"),
    ("inspektorat", "Inspektorat Provinsi Maluku", Unit.Kind.EXTERNAL, None),
    ("biro-pemerintahan", "Biro Pemerintahan Setda Provinsi Maluku", Unit.Kind.EXTERNAL, None),
]


@dataclass(frozen=True)
class Person:
    username: str
    full_name: str
    nip: str
    pangkat: str
    unit: str
    title: str
    roles: tuple[str, ...]
    is_head: bool = False


PEOPLE = [
    Person("karo", "Drs. Johanis Latuconsina, M.Si.", "196805121994031007", "Pembina Utama Muda (IV/c)",
           "biro-umum", "Kepala Biro Umum", ("KARO",), True),
    Person("kabag.tu", "Maria Pattinama, S.Sos., M.M.", "197203151998032004", "Pembina Tingkat I (IV/b)",
           "bag-tu", "Kepala Bagian Tata Usaha", ("KBTU",), True),
    Person("kasubbag.surat", "Yohana Tuhumury, S.H.", "197811202003122002", "Pembina (IV/a)",
           "subbag-persuratan", "Kepala Subbagian Persuratan dan Arsip", ("KTU",), True),
    Person("agendaris1", "Rizal Ohorella, A.Md.", "198904102015031002", "Pengatur Tingkat I (II/d)",
           "subbag-persuratan", "Pengadministrasi Umum", ("AGD",)),
    Person("agendaris2", "Nurlela Wattimena", "199102022019032011", "Pengatur (II/c)",
           "subbag-persuratan", "Pengadministrasi Umum", ("AGD",)),
    Person("arsiparis", "Sarah Leiwakabessy, S.Hum.", "198707072011012003", "Penata (III/c)",
           "subbag-persuratan", "Arsiparis Ahli Pertama", ("ARS",)),
    Person("kabag.rt", "Ir. Frans Sahetapy", "197009091997031005", "Pembina Tingkat I (IV/b)",
           "bag-rt", "Kepala Bagian Rumah Tangga", ("KBRT",), True),
    Person("kasubbag.rt", "Abdul Tuasikal, S.E.", "198001012005011009", "Penata Tingkat I (III/d)",
           "subbag-rt", "Kepala Subbagian Rumah Tangga", ("KRT",), True),
    Person("pengemudi1", "Benny Matulessy", "198503032009011004", "Pengatur (II/c)",
           "subbag-rt", "Pengemudi", ("DRV",)),
    Person("pengemudi2", "Hasan Lessy", "199006062014031001", "Pengatur Muda Tingkat I (II/b)",
           "subbag-rt", "Pengemudi", ("DRV",)),
    Person("kabag.aset", "Dra. Ivonne Siahaya", "197405051999032006", "Pembina Tingkat I (IV/b)",
           "bag-aset", "Kepala Bagian Perlengkapan dan Aset", ("KBPA",), True),
    Person("kasubbag.aset", "Ahmad Marasabessy, S.T.", "198208082008011012", "Penata Tingkat I (III/d)",
           "subbag-aset", "Kepala Subbagian Perlengkapan dan Aset", ("KPA",), True),
    Person("pengurus.barang", "Yulianti Soplanit, S.E.", "198906062014022003", "Penata Muda Tingkat I (III/b)",
           "subbag-aset", "Pengurus Barang Pengguna", ("PBP",)),
    Person("analis.aset", "Marthin Wattimury, S.T.", "199201012019031006", "Penata Muda (III/a)",
           "subbag-aset", "Analis Barang Milik Daerah", ("TIM",)),
    Person("teknisi", "Yusuf Latuconsina", "198702142010011003", "Pengatur Tingkat I (II/d)",
           "subbag-rt", "Teknisi Sarana dan Prasarana", ("TEK",)),
    Person("pramu", "Agustina Huwae", "199305052015032002", "Pengatur (II/c)",
           "subbag-rt", "Pramu Bakti / Petugas Ruang Rapat", ("PRM",)),
    Person("auditor", "Lukas Manuputty, S.E., Ak.", "198112122006041003", "Penata Tingkat I (III/d)",
           "inspektorat", "Auditor Ahli Muda", ("AUD",)),
    Person("pemohon", "Rina Pelupessy, S.IP.", "199304042020122005", "Penata Muda (III/a)",
           "biro-pemerintahan", "Analis Kebijakan", ("PMH",)),
]


def pdf_stub(name: str) -> SimpleUploadedFile:
    """A tiny real PDF standing in for a scanned letter."""
    body = io.BytesIO(b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>"
                      b"endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
    return SimpleUploadedFile(name, body.getvalue(), content_type="application/pdf")


@transaction.atomic
def demo_org_chart(*, valid_from: datetime.date, today: datetime.date) -> dict[str, User]:
    """Create the org chart and its people (idempotent: existing rows are kept)."""
    roles = {code: Role.objects.get_or_create(code=code, defaults={"name": name})[0] for code, name in ROLES.items()}
    units: dict[str, Unit] = {}
    for code, name, kind, parent in UNITS:
        units[code] = Unit.objects.get_or_create(
            code=code, defaults={"name": name, "kind": kind, "parent": units.get(parent) if parent else None}
        )[0]
    users = {}
    for person in PEOPLE:
        user, created = User.objects.get_or_create(
            username=person.username,
            defaults={"full_name": person.full_name, "nip": person.nip, "pangkat_golongan": person.pangkat},
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        # Two agendaris share one position (one jabatan, two holders), as formasi do.
        position, _ = Position.objects.get_or_create(
            unit=units[person.unit], title=person.title, defaults={"is_head": person.is_head}
        )
        position.roles.add(*(roles[r] for r in person.roles))
        PositionHolding.objects.get_or_create(user=user, position=position, defaults={"valid_from": valid_from})
        users[person.username] = user
    admin, created = User.objects.get_or_create(
        username="admin", defaults={"full_name": "Administrator CEPAT", "is_staff": True, "is_superuser": True}
    )
    if created:
        admin.set_password(DEMO_PASSWORD)
        admin.save(update_fields=["password"])
    users["admin"] = admin
    # The archivist is on leave this month; the second agendaris stands in for her.
    Delegation.objects.get_or_create(
        delegator=users["arsiparis"], substitute=users["agendaris2"],
        defaults={"valid_from": today, "valid_until": today + datetime.timedelta(days=14),
                  "reason": "Cuti tahunan"},
    )
    return users


def _complete(case: Case, user: User, data: dict, files: dict | None = None) -> Case:
    task = case.process.task_set.filter(status__in=["NEW", "ASSIGNED"]).order_by("pk").first()
    return task_complete(task_id=task.pk, acting_user=user, data=data, files=files)


def _vehicle_request(users: dict[str, User], subject: str, tujuan: str) -> Case:
    return case_start(
        sop_version=SopVersion.objects.get(code="BU-RT-01", is_current=True),
        acting_user=users["pemohon"],
        data={
            "subject": subject, "requester_name": users["pemohon"].full_name, "derajat": "biasa",
            "tingkat_keamanan": "B", "tujuan": tujuan, "tanggal_berangkat": "2026-12-01T08:00",
            "tanggal_kembali": "2026-12-01T15:00", "jumlah_penumpang": 3,
        },
        files={"nota_dinas": pdf_stub("nota-dinas.pdf")},
    )


def _incoming_letter(users: dict[str, User], subject: str, asal: str) -> Case:
    return case_start(
        sop_version=SopVersion.objects.get(code="BU-ADM-01", is_current=True),
        acting_user=users["agendaris1"],
        data={
            "subject": subject, "requester_name": asal, "derajat": "segera", "tingkat_keamanan": "B",
            "asal_surat": asal, "nomor_surat": "000.1.4/112/DISHUB/2026", "tanggal_surat": "2026-11-20",
            "media": "fisik",
        },
    )


@transaction.atomic
def demo_cases(users: dict[str, User]) -> list[Case]:
    """A handful of cases in different states, made by the people who would make them."""
    waiting = _vehicle_request(users, "Kendaraan untuk monitoring ke Kabupaten Maluku Tengah", "Masohi")

    in_use = _vehicle_request(users, "Kendaraan untuk rapat koordinasi di Kantor Gubernur", "Kantor Gubernur")
    _complete(in_use, users["kasubbag.rt"], {"_keputusan": "ya", "kendaraan": "Toyota Innova DE 1234 AM"})
    _complete(in_use, users["kabag.rt"], {"_keputusan": "setuju"})
    _complete(in_use, users["kasubbag.rt"], {"nomor_surat_izin": "000.1.4/27/RT/2026", "pengemudi": "Benny"})
    _complete(in_use, users["pengemudi1"], {"km_awal": 45210, "bbm_awal": "3/4", "stnk_lengkap": "on"})

    done = _vehicle_request(users, "Kendaraan antar tamu BPK ke bandara", "Bandara Pattimura")
    _complete(done, users["kasubbag.rt"], {"_keputusan": "ya", "kendaraan": "Toyota Avanza DE 1020 AM"})
    _complete(done, users["kabag.rt"], {"_keputusan": "setuju"})
    _complete(done, users["kasubbag.rt"], {"nomor_surat_izin": "000.1.4/28/RT/2026"})
    _complete(done, users["pengemudi2"], {"km_awal": 30100})
    _complete(done, users["pengemudi2"], {})
    _complete(done, users["pengemudi2"], {"km_akhir": 30162, "bbm_akhir": "1/2"})
    _complete(done, users["kasubbag.rt"], {"_keputusan": "tidak"})

    at_disposition = _incoming_letter(users, "Undangan rapat evaluasi kendaraan dinas", "Dinas Perhubungan")
    _complete(at_disposition, users["agendaris1"], {})
    _complete(at_disposition, users["agendaris1"], {"_keputusan": "ya"})
    _complete(
        at_disposition, users["agendaris1"],
        {"nomor_agenda": "0412", "kode_klasifikasi": "000.1.4", "tingkat_keamanan": "B", "derajat": "segera",
         "ringkasan": "Undangan rapat evaluasi penggunaan kendaraan dinas tahun 2026"},
        {"pindaian_surat": pdf_stub("surat-dishub.pdf")},
    )
    _complete(at_disposition, users["agendaris1"], {"_keputusan": "tidak"})
    _complete(at_disposition, users["kasubbag.surat"], {"usulan_tujuan": "Kabag Rumah Tangga"})
    _complete(at_disposition, users["kabag.tu"], {})

    returned = _incoming_letter(users, "Surat salah alamat: permohonan data kepegawaian", "BKD Kota Ambon")
    _complete(returned, users["agendaris2"], {})
    _complete(returned, users["agendaris2"], {"_keputusan": "tidak"})
    _complete(returned, users["agendaris2"], {"_catatan": "Diteruskan ke BKD Provinsi"})
    return [waiting, in_use, done, at_disposition, returned]
