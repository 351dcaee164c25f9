"""Demo data for `make run`: the Biro Umum of Setda Provinsi Maluku, its people, and cases in several states.

Cases are made through the services, by the people who would act, so their audit trails are real; child cases are
opened by their parents' subcase steps, as in use. Every SOP of the library has at least one case.
"""

from __future__ import annotations

import datetime
import io
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from viewflow.workflow.models import Task

from workflows.models import SopVersion

from .models import Case, Delegation, Position, PositionHolding, Role, Unit, User
from .services import case_start, complaint_file, disposition_give, task_complete

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


KOP_LINES = "PEMERINTAH PROVINSI MALUKU\nSEKRETARIAT DAERAH\nBIRO UMUM"
KOP_ADDRESS = "Jalan Pattimura No. 1, Ambon 97124 · Telepon (0911) 352211 · biroumum@malukuprov.go.id"


def demo_letterhead() -> None:
    """The Biro Umum's kop with a stand-in logo (a plain shield: the provincial emblem is not ours to ship)."""
    from PIL import Image, ImageDraw

    biro = Unit.objects.get(code="biro-umum")
    biro.kop_lines, biro.kop_address = KOP_LINES, KOP_ADDRESS
    if not biro.logo:
        image = Image.new("RGBA", (240, 280), (255, 255, 255, 0))
        draw = ImageDraw.Draw(image)
        draw.polygon([(12, 12), (228, 12), (228, 170), (120, 268), (12, 170)], fill="#1f4e8c", outline="#c9a227",
                     width=10)
        draw.ellipse([(80, 70), (160, 150)], fill="#c9a227")
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        biro.logo.save("biro-umum.png", SimpleUploadedFile("biro-umum.png", buffer.getvalue()), save=False)
    biro.save()


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
    # One hash of the published demo password for every account: hashing it anew for each would take most of the
    # command's time (the hasher is slow on purpose).
    password_hash = make_password(DEMO_PASSWORD)
    for person in PEOPLE:
        user, created = User.objects.get_or_create(
            username=person.username,
            defaults={"full_name": person.full_name, "nip": person.nip, "pangkat_golongan": person.pangkat},
        )
        if created:
            user.password = password_hash
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
        admin.password = password_hash
        admin.save(update_fields=["password"])
    users["admin"] = admin
    # The archivist is on leave this month; the second agendaris stands in for her.
    Delegation.objects.get_or_create(
        delegator=users["arsiparis"], substitute=users["agendaris2"],
        defaults={"valid_from": today, "valid_until": today + datetime.timedelta(days=14),
                  "reason": "Cuti tahunan"},
    )
    return users


def _days_ahead(days: int) -> str:
    """A date `days` ahead of today, ISO: batas waktu in the demo stay in the future whenever it is loaded."""
    return (timezone.localdate() + datetime.timedelta(days=days)).isoformat()


def _position(user: User) -> int:
    """The pk of the one position `user` holds (what a `position` field takes)."""
    return PositionHolding.objects.get(user=user).position_id


def _do(case: Case, step: str, user: User, data: dict | None = None, files: dict | None = None) -> Case:
    """Complete the case's open step `step` as `user`, as the step's form would send it."""
    tasks = Task.objects.filter(process_id=case.process_id, flow_task_type="HUMAN", status__in=["NEW", "ASSIGNED"])
    task = next((t for t in tasks.order_by("pk") if t.flow_task.name == step), None)
    if task is None:
        raise LookupError(f"{case.reference}: step {step!r} is not open")
    return task_complete(task_id=task.pk, acting_user=user, data=data or {}, files=files)


def _start(code: str, user: User, data: dict, files: dict | None = None) -> Case:
    return case_start(
        sop_version=SopVersion.objects.get(code=code, is_current=True), acting_user=user,
        data={"derajat": "biasa", "tingkat_keamanan": "B", **data}, files=files,
    )


def _vehicle_request(
    users: dict[str, User], subject: str, tujuan: str,
    berangkat: str = "2026-12-01T08:00", kembali: str = "2026-12-01T15:00",
) -> Case:
    return _start(
        "BU-RT-01", users["pemohon"],
        {"subject": subject, "requester_name": users["pemohon"].full_name, "tujuan": tujuan,
         "tanggal_berangkat": berangkat, "tanggal_kembali": kembali, "jumlah_penumpang": 3},
        {"nota_dinas": pdf_stub("nota-dinas.pdf")},
    )


def _incoming_letter(
    users: dict[str, User], subject: str, asal: str, *, nomor: str = "000.1.4/112/DISHUB/2026",
    tanggal: str = "2026-11-20", media: str = "fisik", derajat: str = "segera",
) -> Case:
    return _start(
        "BU-ADM-01", users["agendaris1"],
        {"subject": subject, "requester_name": asal, "derajat": derajat, "asal_surat": asal, "nomor_surat": nomor,
         "tanggal_surat": tanggal, "media": media},
    )


def _vehicle_loans(users: dict[str, User]) -> list[Case]:
    """BU-RT-01: one waiting for the Kasubbag RT, one on the road, one returned; one returned damaged, whose
    BU-AS-01 repair (a child case) is at the bengkel."""
    waiting = _vehicle_request(users, "Kendaraan untuk monitoring ke Kabupaten Maluku Tengah", "Masohi")

    in_use = _vehicle_request(users, "Kendaraan untuk rapat koordinasi di Kantor Gubernur", "Kantor Gubernur")
    _do(in_use, "cek_ketersediaan", users["kasubbag.rt"], {"_keputusan": "ya", "kendaraan": "Toyota Innova DE 1234 AM"})
    _do(in_use, "persetujuan", users["kabag.rt"], {"_keputusan": "setuju"})
    _do(in_use, "surat_izin", users["kasubbag.rt"], {"nomor_surat_izin": "000.1.4/27/RT/2026", "pengemudi": "Benny"})
    _do(in_use, "serah_terima", users["pengemudi1"], {"km_awal": 45210, "bbm_awal": "3/4", "stnk_lengkap": "on"})

    done = _vehicle_request(users, "Kendaraan antar tamu BPK ke bandara", "Bandara Pattimura")
    _do(done, "cek_ketersediaan", users["kasubbag.rt"], {"_keputusan": "ya", "kendaraan": "Toyota Avanza DE 1020 AM"})
    _do(done, "persetujuan", users["kabag.rt"], {"_keputusan": "setuju"})
    _do(done, "surat_izin", users["kasubbag.rt"], {"nomor_surat_izin": "000.1.4/28/RT/2026"})
    _do(done, "serah_terima", users["pengemudi2"], {"km_awal": 30100})
    _do(done, "penggunaan", users["pengemudi2"])
    _do(done, "pengembalian", users["pengemudi2"], {"km_akhir": 30162, "bbm_akhir": "1/2"})
    _do(done, "pemeriksaan", users["kasubbag.rt"], {"_keputusan": "tidak"})

    damaged = _vehicle_request(
        users, "Kendaraan untuk kunjungan kerja ke Kecamatan Leihitu", "Hila, Kecamatan Leihitu",
        berangkat="2026-11-17T07:30", kembali="2026-11-17T16:00",
    )
    _do(damaged, "cek_ketersediaan", users["kasubbag.rt"],
        {"_keputusan": "ya", "kendaraan": "Toyota Hilux DE 8124 AM"})
    _do(damaged, "persetujuan", users["kabag.rt"], {"_keputusan": "setuju"})
    _do(damaged, "surat_izin", users["kasubbag.rt"], {"nomor_surat_izin": "000.1.4/25/RT/2026", "pengemudi": "Hasan"})
    _do(damaged, "serah_terima", users["pengemudi2"], {"km_awal": 61870, "bbm_awal": "penuh"})
    _do(damaged, "penggunaan", users["pengemudi2"])
    _do(damaged, "pengembalian", users["pengemudi2"], {"km_akhir": 61958, "bbm_akhir": "1/4"})
    # Damage found on return: the loan ends and a BU-AS-01 repair case is opened as its child.
    _do(damaged, "pemeriksaan", users["kasubbag.rt"],
        {"_keputusan": "ya", "catatan_kondisi": "Suspensi depan berbunyi keras, ban depan kanan sobek"})
    repair = damaged.children.get(parent_step="laporan_kerusakan")
    _do(repair, "pemeriksaan_awal", users["teknisi"],
        {"_keputusan": "perbaikan", "hasil_pemeriksaan": "Bushing arm depan aus, ban depan kanan harus diganti"})
    _do(repair, "estimasi_biaya", users["kasubbag.aset"],
        {"_keputusan": "dalam_pagu", "bengkel": "Bengkel Karya Motor Ambon", "estimasi_biaya": 3_450_000,
         "rincian_pekerjaan": "Ganti bushing arm depan (2), ban 265/65 R17 (1), spooring dan balancing"})
    _do(repair, "persetujuan_spk", users["kabag.aset"],
        {"_keputusan": "setuju", "nomor_spk": "027/15/SPK-ASET/2026", "tanggal_selesai_spk": "2026-11-27"})
    return [waiting, in_use, done, damaged, repair]


def _letters(users: dict[str, User]) -> list[Case]:
    """BU-ADM-01: one at the Karo's disposition, one returned, one just received; one whose follow-up waits at
    `siapkan_jawaban` on its BU-ADM-02 reply (a child case), which waits for the Kasubbag Persuratan's paraf."""
    at_disposition = _incoming_letter(users, "Undangan rapat evaluasi kendaraan dinas", "Dinas Perhubungan")
    _do(at_disposition, "terima", users["agendaris1"])
    _do(at_disposition, "cek_alamat", users["agendaris1"], {"_keputusan": "ya"})
    _do(
        at_disposition, "agenda", users["agendaris1"],
        {"nomor_agenda": "0412", "kode_klasifikasi": "000.1.4", "tingkat_keamanan": "B", "derajat": "segera",
         "ringkasan": "Undangan rapat evaluasi penggunaan kendaraan dinas tahun 2026"},
        {"pindaian_surat": pdf_stub("surat-dishub.pdf")},
    )
    _do(at_disposition, "cek_rahasia", users["agendaris1"], {"_keputusan": "tidak"})
    _do(at_disposition, "telaah", users["kasubbag.surat"], {"usulan_tujuan": "Kabag Rumah Tangga"})
    _do(at_disposition, "telaah_kabag", users["kabag.tu"])

    returned = _incoming_letter(
        users, "Surat salah alamat: permohonan data kepegawaian", "BKD Kota Ambon", nomor="800.1.2/377/BKD/2026"
    )
    _do(returned, "terima", users["agendaris2"])
    _do(returned, "cek_alamat", users["agendaris2"], {"_keputusan": "tidak"})
    _do(returned, "kembalikan", users["agendaris2"], {"_catatan": "Diteruskan ke BKD Provinsi"})

    answered = _incoming_letter(
        users, "Permintaan data barang milik daerah Semester II 2026",
        "Badan Pengelolaan Keuangan dan Aset Daerah Provinsi Maluku",
        nomor="900.1.13.1/415/BPKAD/2026", tanggal="2026-11-16", media="srikandi",
    )
    _do(answered, "terima", users["agendaris1"])
    _do(answered, "cek_alamat", users["agendaris1"], {"_keputusan": "ya"})
    _do(
        answered, "agenda", users["agendaris2"],
        {"nomor_agenda": "0398", "kode_klasifikasi": "000.2.3", "tingkat_keamanan": "B", "derajat": "segera",
         "ringkasan": "BPKAD meminta rekapitulasi KIB dan saldo persediaan Semester II 2026 untuk rekonsiliasi"},
        {"pindaian_surat": pdf_stub("surat-bpkad.pdf")},
    )
    _do(answered, "cek_rahasia", users["agendaris2"], {"_keputusan": "tidak"})
    _do(answered, "telaah", users["kasubbag.surat"],
        {"usulan_tujuan": "Kabag Perlengkapan dan Aset", "catatan_telaah": "Perlu jawaban tertulis"})
    _do(answered, "telaah_kabag", users["kabag.tu"], {"catatan_kabag": "Mohon disposisi ke Bagian Aset"})
    _do(answered, "disposisi", users["karo"],
        {"diteruskan_kepada": _position(users["kabag.aset"]), "instruksi": ["proses_lebih_lanjut", "siapkan_jawaban"],
         "catatan_disposisi": "Siapkan data dan jawaban kepada BPKAD", "batas_waktu": _days_ahead(4)})
    _do(answered, "distribusi", users["agendaris1"])
    _do(answered, "disposisi_lanjutan", users["kabag.aset"],
        {"_keputusan": "ya", "diteruskan_kepada": _position(users["kasubbag.aset"]), "instruksi": ["siapkan_jawaban"],
         "catatan_disposisi": "Rekap KIB dan persediaan, siapkan konsep jawaban"})
    _do(answered, "disposisi_lanjutan", users["kasubbag.aset"], {"_keputusan": "tidak"})
    _do(answered, "tindak_lanjut", users["kasubbag.aset"],
        {"_keputusan": "ya", "uraian_tindak_lanjut": "Rekapitulasi KIB B dan saldo persediaan disusun",
         "konseptor": _position(users["kasubbag.aset"])})
    reply = answered.children.get(parent_step="siapkan_jawaban")
    _do(reply, "konsep", users["kasubbag.aset"],
        {"tujuan_surat": "Kepala BPKAD Provinsi Maluku", "kode_klasifikasi": "000.2.3",
         "tembusan": "Kepala Biro Umum (sebagai laporan)"},
        {"konsep_surat": pdf_stub("konsep-jawaban-bpkad.pdf")})

    # The Kabag TU asks the archivist, on her own initiative, to pull the earlier BPKAD correspondence.
    disposition_give(case_id=answered.pk, acting_user=users["kabag.tu"],
                     recipients=[Position.objects.get(pk=_position(users["arsiparis"]))],
                     instructions=["untuk_diketahui"], note="Siapkan berkas surat BPKAD Semester I sebagai pembanding")

    received = _incoming_letter(
        users, "Undangan upacara peringatan HUT KORPRI ke-55", "BKD Provinsi Maluku",
        nomor="000.1.5/1042/BKD/2026", tanggal="2026-11-23", media="email", derajat="biasa",
    )
    return [at_disposition, returned, answered, reply, received]


def _housekeeping(users: dict[str, User]) -> list[Case]:
    """BU-RT-02 room in use (on hold), BU-RT-04 supplies waiting for approval, BU-RT-03 damage at the technician."""
    meeting = _start(
        "BU-RT-02", users["pemohon"],
        {"subject": "Rapat koordinasi pemerintahan kabupaten/kota", "requester_name": users["pemohon"].full_name,
         "ruang": "Aula Biro Umum", "tanggal_mulai": "2026-11-25T09:00", "tanggal_selesai": "2026-11-25T13:00",
         "jumlah_peserta": 60, "kebutuhan": ["sound_system", "proyektor", "konsumsi"]},
        {"surat_permohonan": pdf_stub("nota-dinas-ruang.pdf")},
    )
    _do(meeting, "cek_jadwal", users["kasubbag.rt"], {"_keputusan": "tersedia", "ruang": "Aula Biro Umum"})
    _do(meeting, "persetujuan", users["kabag.rt"], {"_keputusan": "setuju"})
    _do(meeting, "cek_retribusi", users["kasubbag.rt"], {"_keputusan": "tidak_berbayar"})
    _do(meeting, "konfirmasi", users["kasubbag.rt"], {"nomor_surat_izin": "000.1.4/33/RT/2026"})
    _do(meeting, "persiapan", users["pramu"], {"kondisi_awal": "Aula bersih, sound system dan proyektor diuji"})

    supplies = _start(
        "BU-RT-04", users["pemohon"],
        {"subject": "Permintaan ATK Desember 2026", "requester_name": users["pemohon"].full_name,
         "daftar_barang": "Kertas HVS A4 — 10 rim\nTinta printer hitam — 4 botol\nMap snelhecter — 2 pak",
         "keperluan": "Penyusunan laporan akhir tahun", "unit_kerja": "Biro Pemerintahan"},
    )

    damage = _start(
        "BU-RT-03", users["agendaris1"],
        {"subject": "Lampu dan stop kontak ruang persuratan mati", "requester_name": users["agendaris1"].full_name,
         "lokasi": "Kantor Gubernur, lantai 1, ruang Subbagian Persuratan dan Arsip",
         "uraian_kerusakan": "Dua lampu dan stop kontak dekat meja agenda mati sejak 20 November",
         "jenis_sarana": "utilitas", "sumber_laporan": "pegawai"},
        {"foto_kerusakan": pdf_stub("foto-stop-kontak.pdf")},
    )
    _do(damage, "triase", users["kasubbag.rt"], {"_keputusan": "biasa"})
    return [meeting, supplies, damage]


def _archive_loan(users: dict[str, User]) -> Case:
    """BU-ADM-03: the archive is lent and in the requester's hands; the archivist is on leave, her substitute acts."""
    loan = _start(
        "BU-ADM-03", users["pemohon"],
        {"subject": "Peminjaman arsip surat masuk Dinas Perhubungan 2025", "requester_name": users["pemohon"].full_name,
         "arsip_diminta": "Surat Dinas Perhubungan nomor 000.1.4/88/DISHUB/2025 beserta disposisinya",
         "keperluan": "Bahan rapat evaluasi kendaraan dinas", "bentuk_penggunaan": "salinan", "lama_pinjam": 3},
    )
    _do(loan, "cek_akses", users["agendaris2"],
        {"_keputusan": "biasa", "tingkat_keamanan": "B", "kode_klasifikasi": "000.1.4", "lokasi_simpan": "Rak 3B"})
    _do(loan, "serahkan", users["agendaris2"], {"nomor_bukti_pinjam": "BP-014/2026", "batas_kembali": "2026-11-27"})
    return loan


def _assets(users: dict[str, User]) -> list[Case]:
    """BU-AS-05 stock-take with three BU-AS-06 counts (one finished), BU-AS-03 mutasi at the Kasubbag Aset, BU-AS-02
    loan just asked for, and an uneconomic vehicle whose BU-AS-01 opened a BU-AS-04 penghapusan (a child case)."""
    locations = ["Gudang ATK", "Gudang Barang Cetakan", "Gudang Alat Kebersihan"]
    opname = _start(
        "BU-AS-05", users["kasubbag.aset"],
        {"subject": "Stock opname persediaan Semester II 2026", "requester_name": "Subbagian Perlengkapan dan Aset",
         "jenis_kegiatan": "stock_opname", "periode": "Semester II 2026", "tanggal_cut_off": "2026-11-30"},
    )
    _do(opname, "surat_tugas", users["kasubbag.aset"],
        {"_keputusan": "stock_opname", "nomor_surat_tugas": "094/88/BU/2026", "daftar_lokasi": "\n".join(locations)},
        {"surat_tugas_tim": pdf_stub("surat-tugas-so.pdf")})
    _do(opname, "cut_off", users["pengurus.barang"], {}, {"kartu_persediaan": pdf_stub("kartu-persediaan.pdf")})
    counted, handed_in, counting = opname.children.filter(parent_step="hitung_fisik").order_by("pk")
    for count, jumlah in ((counted, 214), (handed_in, 86)):
        _do(count, "hitung", users["analis.aset"], {"jumlah_item": jumlah},
            {"lembar_hitung": pdf_stub("lembar-hitung.pdf")})
        _do(count, "catat_kondisi", users["analis.aset"], {"jumlah_baik": jumlah - 2, "jumlah_rusak": 2})
    _do(counted, "serahkan_lembar", users["pengurus.barang"], {"_keputusan": "lengkap"})

    mutasi = _start(
        "BU-AS-03", users["pemohon"],
        {"subject": "Mutasi 4 unit meja kerja ke Ruang Analis Biro Pemerintahan",
         "requester_name": users["pemohon"].full_name,
         "daftar_barang": "4 unit meja kerja, kode 02.06.01.01.001, register 0012–0015",
         "lokasi_asal": "Gudang Subbagian Perlengkapan dan Aset",
         "lokasi_tujuan": "Ruang Analis Biro Pemerintahan, Lantai 2", "alasan_mutasi": "Penambahan pegawai"},
        {"nota_dinas": pdf_stub("nota-dinas-mutasi.pdf")},
    )
    _do(mutasi, "verifikasi", users["pengurus.barang"], {"hasil_verifikasi": "Data KIR sesuai, kondisi baik"})

    projector = _start(
        "BU-AS-02", users["pemohon"],
        {"subject": "Peminjaman proyektor untuk rapat koordinasi pemerintahan",
         "requester_name": users["pemohon"].full_name, "jenis_peminjaman": "internal",
         "barang": "1 unit proyektor Epson EB-X51",
         "keperluan": "Rapat koordinasi camat se-Kota Ambon, 2 Desember 2026", "jangka_waktu": "2 hari"},
    )

    old_car = _start(
        "BU-AS-01", users["pengemudi1"],
        {"subject": "Perbaikan mesin Toyota Kijang DE 1003 AM", "requester_name": users["pengemudi1"].full_name,
         "pemicu": "laporan_kerusakan", "kendaraan": "Toyota Kijang DE 1003 AM",
         "kode_register": "02.03.01.02.003/0002", "km_akhir": 318450,
         "catatan_kondisi": "Mesin berasap putih dan sering mati saat menanjak"},
    )
    _do(old_car, "pemeriksaan_awal", users["teknisi"],
        {"_keputusan": "tidak_ekonomis", "hasil_pemeriksaan": "Blok mesin retak, perlu turun mesin total",
         "uraian_barang": "Toyota Kijang DE 1003 AM, tahun 2006, kode register 02.03.01.02.003/0002",
         "alasan_usulan": "Biaya perbaikan mesin melebihi 50% nilai kendaraan"})
    penghapusan = old_car.children.get(parent_step="usul_penghapusan")
    return [opname, counted, handed_in, counting, mutasi, projector, old_car, penghapusan]


def _complaint(users: dict[str, User], about: Case) -> Case:
    """BU-ADM-04: the requester complains about her vehicle loan; the Kasubbag RT has looked into it and must answer."""
    complaint = complaint_file(
        acting_user=users["pemohon"], about_case_id=about.pk,
        body="Pengemudi datang 45 menit terlambat dan tidak memberi kabar; rapat di Kantor Gubernur tertunda.",
    )
    _do(complaint, "telaah", users["kasubbag.rt"], {"_keputusan": "jelas"})
    return complaint


@transaction.atomic
def demo_cases(users: dict[str, User]) -> list[Case]:
    """Cases in several SOPs and states, some linked as parent and child, made by the people who would make them.

    Returns every case made, children included.
    """
    loans = _vehicle_loans(users)
    return [*loans, _complaint(users, loans[1]), *_letters(users), *_housekeeping(users), _archive_loan(users),
            *_assets(users)]
