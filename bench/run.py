"""`make bench`: run every benchmark, print each figure (median and p95) and ratio, append them to bench/RESULTS.md.

    python -m bench.run --small cepat_bench_small --large cepat_bench_large [--runs 20] [--only step,pages] [--label x]

The databases must exist, migrated and loaded (`make bench` does it with `manage.py seed_load`). Each measurement
runs in its own process against one database (bench/measure.py); ratios compare figures taken in this one run.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "RESULTS.md"
PG = os.environ.get("BENCH_PG", "postgres://cepat@127.0.0.1:5432")


def median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def p95(values: list[float]) -> float:
    """Nearest-rank 95th percentile."""
    ordered = sorted(values)
    return ordered[max(0, -(-95 * len(ordered) // 100) - 1)]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def measure(name: str, database: str, runs: int, *extra: str) -> dict[str, Any]:
    env = {**os.environ, "DATABASE_URL": f"{PG}/{database}", "DJANGO_SETTINGS_MODULE": "bench.settings"}
    output = subprocess.run(
        [sys.executable, "-m", "bench.measure", name, "--runs", str(runs), *extra],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(output)


def machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        found = re.search(r"model name\s*:\s*(.+)", cpuinfo.read_text())
        cpu = found.group(1).strip() if found else cpu
    pg = subprocess.run(
        ["psql", f"{PG}/postgres", "-tAc", "SHOW server_version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    return f"{os.cpu_count()} CPUs ({cpu}), PostgreSQL {pg}, Python {platform.python_version()}, load average {load}"


class Report:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def row(self, what: str, a: str, b: str, ratio: float | None, target: str) -> None:
        verdict = "" if ratio is None else f"{ratio:.2f}"
        line = f"| {what} | {a} | {b} | {verdict} | {target} |"
        self.lines.append(line)
        print(line, flush=True)

    def note(self, text: str) -> None:
        self.lines.append(f"\n{text}\n")
        print(text, flush=True)


def figure(values: list[float]) -> str:
    return f"median {ms(median(values))}, p95 {ms(p95(values))}"


def bench_step(report: Report, args: argparse.Namespace) -> None:
    result = measure("step", args.small, args.runs)
    cepat, sql, plain = result["cepat"], result["sql"], result["viewflow"]
    report.row(
        "step: CEPAT task_complete vs hand-written SQL (same rows)",
        figure(cepat),
        figure(sql),
        median(cepat) / median(sql),
        "≤ 3",
    )
    report.row(
        "step: CEPAT task_complete vs plain viewflow flow",
        figure(cepat),
        figure(plain),
        median(cepat) / median(plain),
        "≤ 1.5",
    )


def bench_pages(report: Report, args: argparse.Namespace) -> None:
    small, large = measure("pages", args.small, args.runs), measure("pages", args.large, args.runs)
    for page in ("inbox", "queue"):
        a, b = small["samples"][page], large["samples"][page]
        report.row(
            f"{page} first page: {large['cases']:,} vs {small['cases']:,} cases "
            f"({large['info'][page]['queries']} vs {small['info'][page]['queries']} queries)",
            figure(b),
            figure(a),
            p95(b) / p95(a),
            "p95 ≤ 1.5",
        )


def bench_sweep(report: Report, args: argparse.Namespace) -> None:
    runs = max(3, args.runs // 4)
    small, large = measure("sweep", args.small, runs), measure("sweep", args.large, runs)
    a, b = small["samples"]["per_clock"], large["samples"]["per_clock"]
    report.row(
        f"escalation sweep, per due clock ({small['info']['clocks']} due, {small['info']['rungs_fired']} rungs): "
        f"{large['cases']:,} vs {small['cases']:,} cases",
        figure(b),
        figure(a),
        median(b) / median(a),
        "≤ 1.5",
    )


def bench_pdf(report: Report, args: argparse.Namespace) -> None:
    result = measure("pdf", args.small, max(3, args.runs // 4))
    history, plain = result["samples"]["history"], result["samples"]["weasyprint"]
    report.row(
        f"PDF: case history of {result['info']['events']} events ({result['info']['pages']} pages) vs WeasyPrint "
        "on the same HTML",
        figure(history),
        figure(plain),
        median(history) / median(plain),
        "≤ 1.2",
    )
    lembar, lembar_plain = result["samples"]["lembar"], result["samples"]["lembar_weasyprint"]
    report.row(
        "PDF: lembar disposisi vs WeasyPrint on the same HTML",
        figure(lembar),
        figure(lembar_plain),
        median(lembar) / median(lembar_plain),
        "≤ 1.2",
    )


def bench_sopdoc(report: Report, args: argparse.Namespace) -> None:
    result = measure("sopdoc", args.small, args.runs)
    stored, render = result["samples"]["stored"], result["samples"]["render"]
    report.row(
        "SOP AP document (BU-RT-01): from the storage (after) vs rendered on each request (before)",
        figure(stored),
        figure(render),
        median(stored) / median(render),
        "fix: smaller is better",
    )


def _wrk(url: str, cookie: str, seconds: int) -> tuple[float, float]:
    """Requests per second and p99 latency (ms) from wrk."""
    out = subprocess.run(
        ["wrk", "-t2", "-c8", f"-d{seconds}s", "--latency", "-H", f"Cookie: sessionid={cookie}", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s*([\d.]+)", out).group(1))
    value, unit = re.search(r"99%\s+([\d.]+)(us|ms|s)", out).groups()
    p99 = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    if "Non-2xx" in out:
        raise RuntimeError(f"wrk saw errors on {url}:\n{out}")
    return rps, p99


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bench_http(report: Report, args: argparse.Namespace) -> None:
    if shutil.which("wrk") is None:
        report.note("HTTP: wrk is not installed (apt-get install wrk); skipped.")
        return
    session = measure("session", args.large, 1)
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": f"{PG}/{args.large}", "DJANGO_SETTINGS_MODULE": "bench.settings"}
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "bench.wsgi",
            "-w",
            "2",
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        seconds = max(5, args.runs // 2)
        _wrk(f"{base}/", session["cookie"], 2)  # warm both workers
        inbox_rps, inbox_p99 = _wrk(f"{base}/", session["cookie"], seconds)
        plain_rps, plain_p99 = _wrk(f"{base}/bench/plain/{session['bytes']}/", session["cookie"], seconds)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    report.row(
        f"HTTP inbox ({session['user']}, {session['bytes']:,} bytes) vs a plain Django page of that size, gunicorn "
        "2 workers, wrk 8 connections: throughput",
        f"{inbox_rps:.1f} req/s",
        f"{plain_rps:.1f} req/s",
        plain_rps / inbox_rps,
        "report (plain/inbox)",
    )
    report.row("HTTP same: p99 latency", f"{inbox_p99:.1f} ms", f"{plain_p99:.1f} ms", inbox_p99 / plain_p99, "report")


BENCHES = {
    "step": bench_step,
    "pages": bench_pages,
    "sweep": bench_sweep,
    "pdf": bench_pdf,
    "sopdoc": bench_sopdoc,
    "http": bench_http,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", default="cepat_bench_small")
    parser.add_argument("--large", default="cepat_bench_large")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--only", default=",".join(BENCHES))
    parser.add_argument("--label", default="", help="What this run measures (e.g. 'before the inbox index').")
    args = parser.parse_args()
    report = Report()
    started = datetime.datetime.now(datetime.UTC)
    header = f"## {started:%Y-%m-%d %H:%M} UTC{' — ' + args.label if args.label else ''}"
    print(header)
    print(machine())
    report.lines += [
        machine(),
        "",
        "| benchmark | CEPAT / large | reference / small | ratio | target |",
        "|---|---|---|---|---|",
    ]
    print("| benchmark | CEPAT / large | reference / small | ratio | target |")
    for name in args.only.split(","):
        BENCHES[name](report, args)
    with RESULTS.open("a") as results:
        results.write("\n" + header + "\n\n" + "\n".join(report.lines) + "\n")
    print(f"appended to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
