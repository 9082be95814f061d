"""The rule registry. Every rule module is imported here, so all registration is in one place.

A rule is a function of a Frame (stage 1) or of a Frame and the stage-1 labels (stage 2,
context rules) returning one int8 label code per segment, or ABSTAIN. Names are versioned
(`family.what.vN`): a behaviour change gets a new version; old versions stay as they were."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from curation.label.features import Ints, Mask
from curation.registry import Registry
from curation.taxonomy import LABELS

ABSTAIN = -1
# rules vote with the built-in labels' codes; a configured label set narrows them
CODE = {name: i for i, name in enumerate(LABELS)}


@dataclass(frozen=True)
class Rule:
    name: str
    label: str  # the label this rule votes for (one label per rule keeps the analysis simple)
    fn: Callable[..., Mask]  # returns a bool mask of segments it labels
    stage: int
    weight: float
    doc: str


@dataclass(frozen=True)
class Stage1:
    """What stage-2 (context) rules see: the stage-1 winner per segment, and whether a specific
    rule (weight >= 1) decided it rather than only the weak defaults."""

    pre: Ints
    decided: Mask


RULES: Registry[Rule] = Registry("rule")


def rule(
    name: str, label: str, weight: float = 1.0, stage: int = 1
) -> Callable[[Callable[..., Mask]], Callable[..., Mask]]:
    """Register a rule: the decorated function returns a bool mask of the segments it labels."""
    if label not in CODE:
        raise ValueError(f"rule {name}: unknown label {label!r}")

    def deco(fn: Callable[..., Mask]) -> Callable[..., Mask]:
        RULES.register(name)(Rule(name, label, fn, stage, weight, (fn.__doc__ or "").strip()))
        return fn

    return deco


from curation.label.rules import context, cues, links, structure  # noqa: E402,F401  (registration)
