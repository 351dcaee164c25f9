"""Production: everything from base, with the security switches on. SECRET_KEY must come from the environment.

HTTPS only (redirect, HSTS with preload, secure cookies), CSRF on every form (CsrfViewMiddleware, HttpOnly cookie),
no DEBUG; `manage.py check --deploy` passes (tests/test_settings.py asserts it)."""

from .base import *  # noqa: F403
from .base import env, env_bool

DEBUG = False
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = int(env("SECURE_HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# The Content-Security-Policy (no inline script or style) and X_FRAME_OPTIONS = "DENY" are set in base.py for every
# environment, so that development shows what production refuses.
CSRF_TRUSTED_ORIGINS = [o for o in env("CSRF_TRUSTED_ORIGINS", "").split(",") if o]
EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")

# The dispatcher (due workflow timers and SLA escalation rungs) every minute, on the Redis broker of base.py. A round
# not started within its minute is dropped: the next one does its work.
CELERY_BEAT_SCHEDULE = {
    "dispatch-timers": {
        "task": "workflows.tasks.dispatch_timers",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
}
