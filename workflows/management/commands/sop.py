"""`manage.py sop check [PATH...]` validates SOP files; `manage.py sop load` registers the library."""

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation

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

    def handle(self, *args: Any, **options: Any) -> None:
        with translation.override(options.get("lang") or settings.LANGUAGE_CODE):
            if options["action"] == "check":
                self._check(options["paths"])
            elif options["dry_run"]:
                self._check([])
            else:
                self._load()

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
