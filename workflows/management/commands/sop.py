"""The SOP library from the command line.

`sop check [PATH...]` validates files; `sop load` registers the library; `sop print CODE` renders the official SOP
AP document; `sop export CODE --format bpmn|svg` writes the diagram; `sop migrate CODE --from REV --to REV
--map old=new ...` moves open cases to a new version.
"""

from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation

from workflows.models import SopVersion
from workflows.services import sop_library_load
from workflows.sops import load_sop_directory


class Command(BaseCommand):
    help = "Check or load the SOP library."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        check = sub.add_parser("check", help="Validate SOP files; exit status 1 on any problem.")
        check.add_argument("paths", nargs="*", type=Path, help="Files or folders (default: the whole library).")
        check.add_argument("--lang", default=None, help="Language of the messages: id (default) or en.")
        load = sub.add_parser("load", help="Register every valid file as the current version of its SOP.")
        load.add_argument("--dry-run", action="store_true", help="Only check; register nothing.")
        print_ = sub.add_parser("print", help="Render the SOP AP document (PDF) of the current version.")
        print_.add_argument("code")
        print_.add_argument("--out", type=Path, help="Output file (default: CODE.pdf).")
        print_.add_argument("--paper", choices=["A4", "F4"], default="A4", help="Landscape A4 or F4 (folio).")
        export = sub.add_parser("export", help="Write the flow of the current version as BPMN 2.0 XML or SVG.")
        export.add_argument("code")
        export.add_argument("--format", choices=["bpmn", "svg"], required=True)
        export.add_argument("--out", type=Path, help="Output file (default: standard output).")
        migrate = sub.add_parser("migrate", help="Move open cases from one revision of an SOP to another.")
        migrate.add_argument("code")
        migrate.add_argument("--from", dest="from_revision", type=int, required=True)
        migrate.add_argument("--to", dest="to_revision", type=int, required=True)
        migrate.add_argument("--map", dest="step_map", action="append", default=[], metavar="OLD=NEW",
                             help="Where an open step of the old version continues in the new one (repeatable).")
        migrate.add_argument("--dry-run", action="store_true", help="List what would move; change nothing.")
        migrate.add_argument("--batch-size", type=int, default=100)

    def handle(self, *args: Any, **options: Any) -> None:
        with translation.override(options.get("lang") or settings.LANGUAGE_CODE):
            action = options["action"]
            if action == "check":
                self._check(options["paths"])
            elif action == "load" and options["dry_run"]:
                self._check([])
            elif action == "load":
                self._load()
            elif action == "print":
                self._print(options["code"], options["out"], options["paper"])
            elif action == "export":
                self._export(options["code"], options["format"], options["out"])
            else:
                self._migrate(options)

    def _files(self, paths: list[Path]) -> list[Path] | None:
        if not paths:
            return None
        files: list[Path] = []
        for path in paths:
            if not path.exists():
                raise CommandError(translation.gettext("%(path)s does not exist") % {"path": path})
            files.extend(sorted(path.rglob("*.yaml")) if path.is_dir() else [path])
        return files

    def _check(self, paths: list[Path]) -> None:
        sops = load_sop_directory(settings.SOP_DEFINITIONS_DIR, self._files(paths))
        problems = [problem for sop in sops for problem in sop.problems]
        for problem in problems:
            self.stderr.write(str(problem))
        summary = translation.gettext("%(files)d file(s) checked, %(problems)d problem(s)") % {
            "files": len(sops),
            "problems": len(problems),
        }
        if problems:
            raise CommandError(summary, returncode=1)
        self.stdout.write(summary)

    def _load(self) -> None:
        result = sop_library_load()
        for version in result.registered:
            self.stdout.write(translation.gettext("registered %(version)s") % {"version": version})
        for sop in result.failed:
            for problem in sop.problems:
                self.stderr.write(str(problem))
        self.stdout.write(
            translation.gettext("%(new)d new, %(same)d unchanged, %(bad)d not loaded")
            % {"new": len(result.registered), "same": len(result.unchanged), "bad": len(result.failed)}
        )

    def _current(self, code: str) -> SopVersion:
        version = SopVersion.objects.filter(code=code, is_current=True).first()
        if version is None:
            raise CommandError(translation.gettext("No SOP %(code)s is loaded.") % {"code": code})
        return version

    def _print(self, code: str, out: Path | None, paper: str) -> None:
        from reports.sop_document import sop_document_pdf

        out = out or Path(f"{code}.pdf")
        out.write_bytes(sop_document_pdf(version=self._current(code), paper=paper))
        self.stdout.write(str(out))

    def _export(self, code: str, fmt: str, out: Path | None) -> None:
        from workflows.export import flow_bpmn, flow_svg

        version = self._current(code)
        text = flow_bpmn(version=version) if fmt == "bpmn" else flow_svg(version=version)
        if out is None:
            self.stdout.write(text)
        else:
            out.write_text(text, encoding="utf-8")
            self.stdout.write(str(out))

    def _migrate(self, options: dict[str, Any]) -> None:
        from workflows.migration import MigrationRefused, migration_plan, migration_run

        step_map = {}
        for pair in options["step_map"]:
            old, sep, new = pair.partition("=")
            if not sep or not old or not new:
                raise CommandError(translation.gettext("--map takes OLD=NEW, not %(pair)s") % {"pair": pair})
            step_map[old] = new
        try:
            plan = migration_plan(
                code=options["code"], from_revision=options["from_revision"], to_revision=options["to_revision"],
                step_map=step_map,
            )
        except MigrationRefused as refusal:
            raise CommandError(str(refusal), returncode=1) from refusal
        for line in plan.describe():
            self.stdout.write(line)
        if options["dry_run"]:
            return
        moved = migration_run(plan=plan, batch_size=options["batch_size"], progress=self._progress(len(plan.moves)))
        for reference in plan.skipped:
            self.stdout.write(translation.gettext("skipped %(case)s: it changed since the plan") % {"case": reference})
        self.stdout.write(
            translation.gettext("%(moved)d case(s) moved to revision %(revision)d")
            % {"moved": moved, "revision": options["to_revision"]}
        )

    def _progress(self, total: int) -> Callable[[int], None]:
        """A text progress bar on stderr, redrawn in place."""

        def draw(done: int) -> None:
            width = 30
            filled = width * done // total if total else width
            self.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}", ending="")
            if done == total:
                self.stderr.write("")

        return draw
