"""The trained cleaner: a segment classifier over structure, text and context features that
stacks on the rules' votes (see cleaner.py); train, clean, cross-validate by site."""

from curation.model.apply import apply_model
from curation.model.cleaner import MODEL_FORMAT_VERSION, Cleaner, fit, load, save
from curation.model.features import FeatureConfig
from curation.model.run import clean, load_for, model_vote, train

__all__ = [
    "MODEL_FORMAT_VERSION", "Cleaner", "FeatureConfig", "apply_model", "clean", "fit", "load",
    "load_for", "model_vote", "save", "train",
]
