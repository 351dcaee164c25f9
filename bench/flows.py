"""The plain viewflow reference: BU-RT-01's first steps written by hand as a viewflow 2.4 Flow, without CEPAT's
layers (no routing by org chart, no offers, no SLA clocks, no audit trail, no case row). The decision is kept in
process.data as CEPAT keeps it, and each step is assigned straight to a user id the process carries."""

from viewflow import this
from viewflow.workflow import flow, lock
from viewflow.workflow.activation import Activation


def _chose(step: str, key: str):  # noqa: ANN202 - a viewflow condition
    def condition(activation: Activation) -> bool:
        return activation.process.data.get("decisions", {}).get(step) == key

    return condition


def _owner(step: str):  # noqa: ANN202 - a viewflow owner callback
    def owner(activation: Activation) -> int:
        from cases.models import User

        return User(pk=activation.process.data["owners"][step])

    return owner


class VehicleRequestFlow(flow.Flow):
    lock_impl = lock.select_for_update_lock

    start = flow.StartHandle().Next(this.cek_ketersediaan)
    cek_ketersediaan = flow.View(view=None).Assign(_owner("cek_ketersediaan")).Next(this.cek_ketersediaan__decision)
    cek_ketersediaan__decision = (
        flow.Switch()
        .Case(this.persetujuan, _chose("cek_ketersediaan", "ya"))
        .Case(this.tidak_tersedia, _chose("cek_ketersediaan", "tidak"))
    )
    persetujuan = flow.View(view=None).Assign(_owner("persetujuan")).Next(this.persetujuan__decision)
    persetujuan__decision = (
        flow.Switch()
        .Case(this.surat_izin, _chose("persetujuan", "setuju"))
        .Case(this.ditolak, _chose("persetujuan", "tolak"))
    )
    surat_izin = flow.View(view=None).Assign(_owner("surat_izin")).Next(this.selesai)
    tidak_tersedia = flow.End()
    ditolak = flow.End()
    selesai = flow.End()
