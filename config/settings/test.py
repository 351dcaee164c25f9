"""Test settings: PostgreSQL (DATABASE_URL, default the local trust-auth server), fast hashing."""

import os
from pathlib import Path

os.environ.setdefault("SECRET_KEY", "test-only-not-secret")
os.environ.setdefault("DATABASE_URL", "postgres://cepat@127.0.0.1:5432/cepat")

from .base import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", str(BASE_DIR / ".test-media")))  # noqa: F405
