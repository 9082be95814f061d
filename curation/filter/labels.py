"""Filters on the final label and how much to trust it (confidence, annotator agreement)."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field, model_validator

from curation.filter.base import Params, Verdict, register_filter


class LabelsParams(Params):
    keep: list[str] | None = None
    drop: list[str] | None = None

    @model_validator(mode="after")
    def _one_of(self) -> LabelsParams:
        if (self.keep is None) == (self.drop is None):
            raise ValueError("give exactly one of keep: [labels] or drop: [labels]")
        return self

    def check_labels(self, labels: list[str]) -> None:
        unknown = [x for x in (self.keep or self.drop or []) if x not in labels]
        if unknown:
            raise ValueError(f"unknown labels {unknown}; valid labels: {', '.join(labels)}")


class MinConfidence(Params):
    p: float = Field(ge=0.0, le=1.0)


class MinAgreement(Params):
    p: float = Field(ge=0.0, le=1.0)
    require_human: bool = False


def _is_human(table: pa.Table) -> pa.ChunkedArray:
    return pc.fill_null(pc.equal(table["label_source"], "human"), False)


@register_filter("labels.v1", LabelsParams)
def labels_filter(table: pa.Table, p: LabelsParams) -> Verdict:
    """Keep only (or drop) the listed labels; a null label is never in a list."""
    listed = pc.fill_null(pc.is_in(table["label"], value_set=pa.array(p.keep or p.drop,
                                                                       pa.string())), False)
    keep = listed if p.keep is not None else pc.invert(listed)
    return keep, pc.binary_join_element_wise(":", pc.fill_null(table["label"], "none"), "")


@register_filter("min_confidence.v1", MinConfidence)
def min_confidence(table: pa.Table, p: MinConfidence) -> Verdict:
    """Drop pre-labels with confidence below p; human labels pass (they replace the pre-label)."""
    return pc.or_kleene(_is_human(table), pc.greater_equal(table["confidence"], p.p)), f"<{p.p}"


@register_filter("min_agreement.v1", MinAgreement)
def min_agreement(table: pa.Table, p: MinAgreement) -> Verdict:
    """Drop rows annotators saw with agreement below p (ties too); unseen rows pass unless
    require_human."""
    seen = pc.fill_null(pc.greater(table["annotators"], 0), False)
    agreed = pc.fill_null(pc.greater_equal(table["agreement"], p.p), False)
    if p.require_human:
        human = _is_human(table)
        keep = pc.and_(human, agreed)
        detail = pc.if_else(human, f"<{p.p}", ":no_human")
    else:
        keep, detail = pc.or_(pc.invert(seen), agreed), f"<{p.p}"
    return keep, detail
