"""System check: every SOP file in the library validates (Wagtail/viewflow style).

Problems are warnings, not errors: a bad file must not stop the server from starting with the good SOPs.
"""

from typing import Any

from django.conf import settings
from django.core import checks

from .sops import load_sop_directory


@checks.register("sop")
def check_sop_library(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    directory = settings.SOP_DEFINITIONS_DIR
    if not directory.is_dir():
        return [checks.Warning(f"SOP directory {directory} does not exist", id="cepat.W001")]
    return [
        checks.Warning(str(problem), id="cepat.W002")
        for sop in load_sop_directory(directory)
        for problem in sop.problems
    ]
