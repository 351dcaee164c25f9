"""In-app notifications and their e-mails, each in the recipient's own language."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext

from .models import Case, Notification, User


def notify(
    *, recipients: Iterable[User], case: Case | None, kind: str, write: Callable[[], tuple[str, str]]
) -> list[Notification]:
    """Leave each recipient a notification; `write` returns (subject, body) and is called in their language.

    E-mails go out only after the transaction commits, so a rolled-back act sends nothing. For a confidential case
    (R/SR) neither the notification nor the e-mail says more than the case number: the text is read in CEPAT.
    """
    made = []
    for user in {u.pk: u for u in recipients}.values():
        with translation.override(user.language or settings.LANGUAGE_CODE):
            subject, body = confidential_text(case) if case is not None and case.is_confidential else write()
        made.append(Notification(recipient=user, case=case, kind=kind, subject=str(subject)[:300], body=str(body)))
    Notification.objects.bulk_create(made)
    for note in made:
        if note.recipient.email:
            transaction.on_commit(
                lambda note=note: send_mail(
                    note.subject, note.body, settings.DEFAULT_FROM_EMAIL, [note.recipient.email], fail_silently=True
                )
            )
    return made


def confidential_text(case: Case) -> tuple[str, str]:
    """What a notification about a confidential case says, whatever happened: the case number and where to read."""
    params = {"reference": case.reference}
    return (
        gettext("News on confidential case %(reference)s") % params,
        gettext("There is news on confidential case %(reference)s. Log in to CEPAT to read it.") % params,
    )


def notifications_mark_read(*, user: User, ids: Iterable[int] | None = None) -> int:
    """Mark the user's notifications (or just `ids`) read; returns how many changed."""
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    return unread.update(read_at=timezone.now())


def unread_count(user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count() if user.is_authenticated else 0
