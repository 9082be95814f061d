"""Publish: filtered segments -> a site-split Hugging Face dataset folder with a card."""

from curation.publish.card import features_yaml, render_card
from curation.publish.hf import publish_dataset
from curation.publish.splits import assign_splits, group_keys

__all__ = ["assign_splits", "features_yaml", "group_keys", "publish_dataset", "render_card"]
