"""`manage.py restore IN`: check a backup's manifest, restore it into an empty database and MEDIA_ROOT, then check
the audit trail, the attachments and the printed documents (see cases/backup.py). Exit 1 on any problem."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from cases.backup import backup_verify, restore_read
from cases.errors import ApplicationError


class Command(BaseCommand):
    help = "Restore a backup made by `manage.py backup` into an empty database."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("source", type=Path, help="The backup directory.")
        parser.add_argument("--check-only", action="store_true", help="Only verify the manifest's hashes.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["check_only"]:
                manifest = backup_verify(source=options["source"])
                self.stdout.write(
                    _("Backup intact: %(count)d file(s) match the manifest.") % {"count": len(manifest["sha256"])}
                )
                return
            result = restore_read(source=options["source"])
        except ApplicationError as error:
            raise CommandError(str(error.message), returncode=1) from error
        for problem in result.problems:
            self.stderr.write(problem)
        if result.problems:
            raise CommandError(
                _("Restored, but %(count)d check(s) failed.") % {"count": len(result.problems)}, returncode=1
            )
        self.stdout.write(
            _(
                "Restored: %(events)d audit event(s), chain intact; %(files)d attachment(s) and %(documents)d printed "
                "document(s) verified."
            )
            % {"events": result.audit_events, "files": result.files, "documents": result.documents}
        )
