"""Local development and `make run`: embedded SQLite unless DATABASE_URL says otherwise."""

import os

os.environ.setdefault("SECRET_KEY", "dev-only-not-secret")  # noqa: S105 - dev settings never run in production
os.environ.setdefault("DEBUG", "true")

from .base import *  # noqa: E402,F403

EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
