"""`manage.py case history REFERENCE --out FILE [--as USERNAME]`: print a case's history for auditors as PDF.

The print is recorded like one from the case page (a PrintedDocument and a `document_printed` event). The printer
is USERNAME, or the first superuser; they must be allowed to view the case, else the command refuses (exit 1).
"""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cases.access import can_view_case
from cases.models import Case, User


class Command(BaseCommand):
    help = "Case documents: print a case's history."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        history = sub.add_parser("history", help="Write the case history (every audit event, SLA, chain head) as PDF.")
        history.add_argument("reference", help="The case number.")
        history.add_argument("--out", required=True, help="The PDF file to write.")
        history.add_argument("--as", dest="username", help="Print as this user (default: the first superuser).")
        history.add_argument("--base-url", default=None, help="Site address for the QR code, e.g. https://cepat.example.")

    def handle(self, *args: Any, **options: Any) -> None:
        from reports.case_history import case_history_pdf

        case = Case.objects.filter(reference=options["reference"]).first()
        if case is None:
            raise CommandError(f"no case {options['reference']!r}", returncode=1)
        user = self._printer(options["username"])
        if not can_view_case(user, case):
            raise CommandError(f"{user.username} may not view case {case.reference}", returncode=1)
        pdf, document = case_history_pdf(case=case, acting_user=user, base_url=options["base_url"])
        out = Path(options["out"])
        out.write_bytes(pdf)
        self.stdout.write(f"{out}: {len(pdf)} bytes, code {document.code}, sha256 {document.content_sha256}")

    def _printer(self, username: str | None) -> User:
        if username:
            user = User.objects.filter(username=username, is_active=True).first()
            if user is None:
                raise CommandError(f"no active user {username!r}", returncode=1)
            return user
        user = User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first()
        if user is None:
            raise CommandError("no superuser: give --as USERNAME", returncode=1)
        return user
