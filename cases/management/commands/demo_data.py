"""Load the demo org chart, people and cases (once), then print the demo logins."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from cases.demo import DEMO_PASSWORD, PEOPLE, demo_cases, demo_letterhead, demo_org_chart
from cases.models import Case


class Command(BaseCommand):
    help = "Create the demo Biro Umum (Setda Provinsi Maluku) with cases in several states."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Only print the logins.")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["dry_run"]:
            today = timezone.localdate()
            users = demo_org_chart(valid_from=today.replace(month=1, day=1), today=today)
            demo_letterhead()
            if not Case.objects.exists():
                cases = demo_cases(users)
                self.stdout.write(f"{len(cases)} demo cases created")
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        self.stdout.write("  admin            Administrator (Django admin: /admin/)")
        for person in PEOPLE:
            self.stdout.write(f"  {person.username:<16} {person.title} — {person.full_name}")
