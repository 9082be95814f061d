"""Label Studio round trip: push segments as tasks with pre-labels, pull and merge human labels.

Library functions (for notebooks and tests): `push`, `export_tasks`, `pull`, `label_config`.
They load on first use: the Label Studio SDK takes seconds to import, and every `curation`
command imports this package to mount `curation tasks`."""

from __future__ import annotations

from importlib import import_module
from typing import Any

_WHERE = {"PushReport": "client", "connect": "client", "ensure_project": "client",
          "push": "client", "LabelStudioError": "errors", "label_config": "labelconfig",
          "PullReport": "pull_labels", "pull": "pull_labels", "export_tasks": "tasks"}
# No submodule may share a name with a function above: importing it would set the package's
# attribute to the module (this is why pull() lives in pull_labels.py).

__all__ = ["LabelStudioError", "PullReport", "PushReport", "connect", "ensure_project",
           "export_tasks", "label_config", "pull", "push"]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{_WHERE[name]}"), name)
