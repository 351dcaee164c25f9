"""Notifications: written in each recipient's language, e-mailed only after the act commits, counted in the header."""

import pytest
from django.core import mail
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext

from cases.demo import DEMO_PASSWORD
from cases.models import Notification
from cases.notifications import notifications_mark_read, notify

pytestmark = pytest.mark.django_db


def write():
    return gettext("Log in"), gettext("Cases")


def test_each_recipient_reads_the_notification_in_their_language(org, django_capture_on_commit_callbacks):
    org["karo"].email, org["auditor"].email = "karo@malukuprov.go.id", "auditor@malukuprov.go.id"
    org["auditor"].language = "en"
    with django_capture_on_commit_callbacks(execute=True):
        notify(recipients=[org["karo"], org["auditor"], org["karo"]], case=None, kind="test", write=write)

    by_user = {n.recipient.username: n.subject for n in Notification.objects.all()}
    assert by_user == {"karo": "Masuk", "auditor": "Log in"}
    assert sorted((m.to[0], m.subject) for m in mail.outbox) == [
        ("auditor@malukuprov.go.id", "Log in"), ("karo@malukuprov.go.id", "Masuk"),
    ]


def test_no_email_leaves_before_the_act_commits(org, django_capture_on_commit_callbacks):
    org["karo"].email = "karo@malukuprov.go.id"
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notify(recipients=[org["karo"]], case=None, kind="test", write=write)
    assert len(callbacks) == 1 and mail.outbox == []


def test_unread_count_shows_in_the_header_until_marked_read(client, org):
    notify(recipients=[org["karo"]], case=None, kind="test", write=write)
    client.login(request=HttpRequest(), username="karo", password=DEMO_PASSWORD)
    page = client.get(reverse("cases:inbox")).content.decode()
    assert '<span class="badge">1</span>' in page

    assert notifications_mark_read(user=org["karo"]) == 1
    page = client.get(reverse("cases:notifications")).content.decode()
    assert '<span class="badge">' not in page and "Masuk" in page
