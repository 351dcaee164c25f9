"""The Celery app (Celery's "First steps with Django"): settings from Django's, with the CELERY_ prefix.

Production runs a worker and beat: `celery -A config worker` and `celery -A config beat`, with
CELERY_BEAT_SCHEDULE in config/settings/production.py firing the dispatcher every minute.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

app = Celery("cepat")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
