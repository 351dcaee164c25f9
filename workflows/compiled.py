"""Compiled SOP flows as module attributes (PEP 562), e.g. `workflows.compiled.BU_RT_01_r1_0a1b2c3d4e5f`."""

from typing import Any


def __getattr__(name: str) -> Any:
    if name.startswith("__"):
        raise AttributeError(name)
    from .compiler import flow_class_by_name

    return flow_class_by_name(name)
