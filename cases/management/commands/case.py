"""Print a case's documents as PDF, recorded like a print from the case page (a PrintedDocument and a
`document_printed` event):

    manage.py case history REFERENCE --out FILE [--as USERNAME]            the case history for auditors
    manage.py case disposition-sheet REFERENCE --out FILE [--paper a4]     the lembar disposisi (default half folio)
    manage.py case document REFERENCE DOCUMENT_ID --out FILE               an output document the SOP names

The printer is USERNAME, or the first superuser; they must be allowed to view the case, else the command refuses
(exit 1).
"""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cases.access import can_view_case
from cases.errors import ApplicationError
from cases.models import Case, User


class Command(BaseCommand):
    help = "Case documents: print a case's history, its lembar disposisi or an SOP output document."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        history = sub.add_parser("history", help="Write the case history (every audit event, SLA, chain head) as PDF.")
        sheet = sub.add_parser("disposition-sheet", help="Write the lembar disposisi as PDF.")
        sheet.add_argument("--paper", choices=["setengah_folio", "a4"], default="setengah_folio")
        document = sub.add_parser("document", help="Write an output document the case's SOP names as PDF.")
        for parser_ in (history, sheet, document):
            parser_.add_argument("reference", help="The case number.")
            if parser_ is document:
                parser_.add_argument("document", help="The document's id in the SOP file (documents: - id).")
            parser_.add_argument("--out", required=True, help="The PDF file to write.")
            parser_.add_argument("--as", dest="username", help="Print as this user (default: the first superuser).")
            parser_.add_argument("--base-url", default=None,
                                 help="Site address for the QR code, e.g. https://cepat.example.")

    def handle(self, *args: Any, **options: Any) -> None:
        case = Case.objects.filter(reference=options["reference"]).first()
        if case is None:
            raise CommandError(f"no case {options['reference']!r}", returncode=1)
        user = self._printer(options["username"])
        if not can_view_case(user, case):
            raise CommandError(f"{user.username} may not view case {case.reference}", returncode=1)
        try:
            pdf, document = self._print(options, case, user)
        except ApplicationError as error:
            raise CommandError(str(error.message), returncode=1) from error
        out = Path(options["out"])
        out.write_bytes(pdf)
        self.stdout.write(f"{out}: {len(pdf)} bytes, code {document.code}, sha256 {document.content_sha256}")

    def _print(self, options: dict[str, Any], case: Case, user: User) -> tuple[bytes, Any]:
        common = {"case": case, "acting_user": user, "base_url": options["base_url"]}
        if options["action"] == "history":
            from reports.case_history import case_history_pdf

            return case_history_pdf(**common)
        if options["action"] == "disposition-sheet":
            from reports.lembar_disposisi import lembar_disposisi_pdf

            return lembar_disposisi_pdf(paper=options["paper"], **common)
        from reports.sop_outputs import sop_output_pdf

        known = [d["id"] for d in case.sop_version.definition.get("documents", [])]
        if options["document"] not in known:
            raise CommandError(f"SOP {case.sop_version.code} has no document {options['document']!r}; it has: "
                               f"{', '.join(known) or 'none'}", returncode=1)
        return sop_output_pdf(output=options["document"], **common)

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
