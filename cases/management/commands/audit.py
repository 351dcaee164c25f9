"""`manage.py audit verify`: walk the hash chains; exit 1 naming the first broken event."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cases.audit import audit_verify
from cases.models import AuditEvent


class Command(BaseCommand):
    help = "Verify the audit trail."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("verify", help="Check every event against its hash and its place in both chains.")

    def handle(self, *args: Any, **options: Any) -> None:
        broken = audit_verify()
        if broken is not None:
            raise CommandError(f"audit trail broken at {broken}", returncode=1)
        self.stdout.write(f"audit trail intact: {AuditEvent.objects.count()} events")
