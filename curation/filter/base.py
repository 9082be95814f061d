"""Filter contract: a versioned name, a typed params model and a column-wise keep mask.

A filter is a plain function `(table, params) -> (keep, detail)` registered with its params
model; it sees its own validated params and nothing else of the config. `keep` is a boolean
array over the table's rows (null counts as drop); `detail` is a string (or a per-row string
array) appended to the filter name to form the reject reason.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, Literal, TypeAlias, TypeVar, get_args, get_origin

import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel, ConfigDict, ValidationError

from curation.config import FilterSpec, RunConfig
from curation.errors import ConfigError, SchemaError
from curation.registry import Registry
from curation.schema import SEGMENT_SCHEMA
from curation.stats import Stats

# rejects/: the dropped segments plus the first filter that dropped each, e.g. "min_chars.v1<20"
REJECT_SCHEMA = pa.schema(
    [*SEGMENT_SCHEMA, pa.field("reason", pa.string(), nullable=False)],
    metadata={**(SEGMENT_SCHEMA.metadata or {}), b"kind": b"rejects"},
)

Mask: TypeAlias = pa.Array | pa.ChunkedArray
Verdict: TypeAlias = tuple[Mask, str | pa.Array | pa.ChunkedArray]


class Params(BaseModel):
    """Base for filter params: unknown keys are errors; override `check_labels` if needed.

    A param whose default is a run-wide setting (the language detector, the output folder)
    names it in `FROM_CONFIG` and takes it in `with_config`: the filter gets the value in its
    params, never the config itself, and a config may still set it per filter."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    FROM_CONFIG: ClassVar[dict[str, str]] = {}  # param -> the config setting it defaults to

    @classmethod
    def with_config(cls, params: dict[str, Any], cfg: RunConfig) -> dict[str, Any]:
        """*params* as written in *cfg*, with the FROM_CONFIG params it does not set taken from
        *cfg* (and paths made relative to the config's folder)."""
        return dict(params)

    def check_labels(self, labels: list[str]) -> None:
        """Raise ValueError when the params name a label outside *labels*."""


P = TypeVar("P", bound=Params)


@dataclass(frozen=True)
class Filter(Generic[P]):
    """A registered filter: its name, params model and the column-wise function."""

    name: str
    params_model: type[P]
    fn: Callable[[pa.Table, P], Verdict]

    def params_help(self) -> str:
        """Each param with its type and default, e.g. `n (int, default 20)`."""
        from_config = self.params_model.FROM_CONFIG
        return ", ".join(
            f"{k} ({_type_name(f.annotation)}"
            + (f", default: the config's {from_config[k]})" if k in from_config
               else ")" if f.is_required() else f", default {f.default!r})")
            for k, f in self.params_model.model_fields.items()
        )

    def parse(self, params: dict[str, Any], cfg: RunConfig) -> P:
        """Validated params (the FROM_CONFIG ones filled from *cfg* unless *params* set them),
        or a ConfigError that names the valid params."""
        valid = self.params_help()
        try:
            parsed = self.params_model.model_validate(self.params_model.with_config(params, cfg))
            parsed.check_labels(cfg.labels)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(x) for x in e['loc']) or '(params)'}: "
                + ("unknown param" if e["type"] == "extra_forbidden" else e["msg"])
                for e in exc.errors()
            )
            raise ConfigError(
                f"filter {self.name}: bad params {params!r}: {problems}; valid params: {valid}"
            ) from None
        except ValueError as exc:
            raise ConfigError(f"filter {self.name}: {exc}") from None
        return parsed

    def evaluate(self, table: pa.Table, params: P) -> Verdict:
        """Keep mask (nulls already dropped) and reason detail for *table*."""
        keep, detail = self.fn(table, params)
        return pc.fill_null(keep, False), detail


def _type_name(annotation: Any) -> str:
    if get_origin(annotation) is Literal:
        return "one of " + "|".join(str(a) for a in get_args(annotation))
    return getattr(annotation, "__name__", None) or str(annotation).replace("typing.", "")


FILTERS: Registry[Filter[Any]] = Registry("filter")
# a filter looked up with its validated params: what the filter stage runs
Bound: TypeAlias = tuple[Filter[Any], Params]


def register_filter(
    name: str, params: type[P]
) -> Callable[[Callable[[pa.Table, P], Verdict]], Filter[P]]:
    """Decorator: register a column-wise filter function under a versioned *name*."""

    def deco(fn: Callable[[pa.Table, P], Verdict]) -> Filter[P]:
        flt = Filter(name=name, params_model=params, fn=fn)
        FILTERS.register(name)(flt)
        return flt

    return deco


def as_segments(table: pa.Table, what: str = "segments") -> pa.Table:
    """*table* with exactly the SEGMENT_SCHEMA columns and types, or SchemaError."""
    missing = [n for n in SEGMENT_SCHEMA.names if n not in table.column_names]
    if missing:
        raise SchemaError(f"{what}: columns {missing} are missing; was it written by curation?")
    try:
        return table.select(SEGMENT_SCHEMA.names).cast(SEGMENT_SCHEMA)
    except (pa.ArrowInvalid, pa.ArrowTypeError, ValueError) as exc:
        raise SchemaError(f"{what}: does not match SEGMENT_SCHEMA: {exc}") from None


def bind_filters(specs: Sequence[FilterSpec], cfg: RunConfig) -> tuple[Bound, ...]:
    """Each spec's filter with its validated params; a ConfigError for an unknown name or a
    bad param (the valid ones listed)."""
    return tuple((FILTERS.get(s.name), FILTERS.get(s.name).parse(s.params, cfg)) for s in specs)


def apply_filters(
    table: pa.Table, filters: Sequence[Bound], stats: Stats
) -> tuple[pa.Table, pa.Table]:
    """Run the bound *filters* in order; return (kept, rejected) with the first failing filter
    as `reason`."""
    kept = as_segments(table, "apply_filters input")
    rejected: list[pa.Table] = []
    for flt, params in filters:
        if kept.num_rows == 0:
            break
        keep, detail = flt.evaluate(kept, params)
        drop = pc.invert(keep)
        dropped = kept.filter(drop)
        if dropped.num_rows:
            if isinstance(detail, str):
                reason: Mask = pa.array([flt.name + detail] * dropped.num_rows, pa.string())
            else:
                reason = pc.binary_join_element_wise(
                    flt.name, pc.fill_null(pc.filter(detail, drop), "none"), ""
                )
            rejected.append(dropped.append_column(REJECT_SCHEMA.field("reason"), reason))
            counts = pc.value_counts(reason)
            for value, n in zip(counts.field("values").to_pylist(),
                                counts.field("counts").to_pylist(), strict=True):
                stats.add("filter", f"dropped:{value}", n)
            kept = kept.filter(keep)
    stats.add("filter", "kept", kept.num_rows)
    rejects = (pa.concat_tables(rejected).cast(REJECT_SCHEMA) if rejected
               else REJECT_SCHEMA.empty_table())
    return kept, rejects
