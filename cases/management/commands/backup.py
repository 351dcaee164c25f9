"""`manage.py backup OUT`: a consistent backup of the database and the stored files, with a manifest of SHA-256
hashes (see cases/backup.py)."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from cases.backup import backup_write
from cases.errors import ApplicationError


class Command(BaseCommand):
    help = "Back up the database (pg_dump, one snapshot) and the stored files into a new directory."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("out", type=Path, help="A new (or empty) directory for the backup.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = backup_write(out=options["out"])
        except ApplicationError as error:
            raise CommandError(str(error.message), returncode=1) from error
        self.stdout.write(
            _("Backup written to %(path)s: the database up to audit event #%(seq)d and %(files)d stored file(s).")
            % {"path": result.directory, "seq": result.audit_head, "files": result.files}
        )
