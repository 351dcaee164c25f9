from django.apps import AppConfig


class BenchConfig(AppConfig):
    """Installed only by bench.settings, so that viewflow can import the plain reference flow."""

    name = "bench"
    label = "bench"
