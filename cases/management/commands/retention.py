"""`manage.py retention list|archive`: finished cases whose active retention period has ended (see cases/retention.py).

`list` prints each case due for review; `archive` moves them to the inactive archive, one transaction and one audit
event per case (`--dry-run` prints what it would do). `--on YYYY-MM-DD` takes another day than today.
"""

import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.errors import ApplicationError
from cases.models import User
from cases.retention import case_archive, retention_due


class Command(BaseCommand):
    help = "List finished cases due for retention review, or archive them."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        for name, text in (("list", "Print the cases due for review."), ("archive", "Archive the cases due.")):
            command = sub.add_parser(name, help=text)
            command.add_argument("--on", type=datetime.date.fromisoformat, help="The day to judge by (YYYY-MM-DD).")
            if name == "archive":
                command.add_argument("--dry-run", action="store_true", help="Only print what would be archived.")
                command.add_argument("--user", help="Username recorded as the archivist (default: the system).")

    def handle(self, *args: Any, **options: Any) -> None:
        on = options["on"] or timezone.localdate()
        user = None
        if options.get("user"):
            user = User.objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(_("There is no user “%(username)s”.") % {"username": options["user"]})
        count = 0
        for due in retention_due(on=on):
            line = _(
                "%(reference)s (%(sop)s): finished %(finished)s, review %(review)s, inactive until %(until)s, "
                "then %(final)s"
            ) % {
                "reference": due.case.reference,
                "sop": due.case.sop_version.code,
                "finished": due.finished_on.isoformat(),
                "review": due.review_on.isoformat(),
                "until": due.inactive_until.isoformat(),
                "final": due.final,
            }
            if options["action"] == "archive" and not options["dry_run"]:
                try:
                    case_archive(case_id=due.case.pk, on=on, acting_user=user)
                except ApplicationError as error:
                    self.stderr.write(str(error.message))
                    continue
                line = _("archived: %(line)s") % {"line": line}
            self.stdout.write(line)
            count += 1
        if options["action"] == "archive" and not options["dry_run"]:
            self.stdout.write(_("%(count)d case(s) archived") % {"count": count})
        else:
            self.stdout.write(_("%(count)d case(s) due for retention review") % {"count": count})
