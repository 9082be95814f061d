"""Label Studio round trip: push segments as tasks with pre-labels, pull and merge human labels.

Library functions (for notebooks and tests): `push`, `export_tasks`, `pull`, `label_config`."""

from curation.labelstudio.client import PushReport, connect, ensure_project, push
from curation.labelstudio.errors import LabelStudioError
from curation.labelstudio.labelconfig import label_config
from curation.labelstudio.pull import PullReport, pull
from curation.labelstudio.tasks import export_tasks

__all__ = ["LabelStudioError", "PullReport", "PushReport", "connect", "ensure_project",
           "export_tasks", "label_config", "pull", "push"]
