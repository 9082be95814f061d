"""Cue phrases per language, read from <lang>.yaml files (packaged: curation/defaults/cues)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from curation.config import read_yaml_mapping
from curation.errors import ConfigError

CUE_KINDS = (
    "caption",
    "ad",
    "comment_ui",
    "joke",
    "teaser",
    "related_lead",
    "time_ago",
    "other",
    "byline",
    "social",
    "date",
)
ALL_LANGS = "*"  # common.yaml: cues for every language


@lru_cache(maxsize=8)
def load_cues(folder: str) -> dict[str, dict[str, str]]:
    """{lang: {cue kind: one RE2 alternation}} from every *.yaml in *folder*."""
    path = Path(folder)
    if not path.is_dir():
        raise ConfigError(f"cue folder {path} does not exist (prelabel.cues_dir in the config)")
    cues: dict[str, dict[str, str]] = {}
    for file in sorted(path.glob("*.yaml")):
        data = read_yaml_mapping(file, "cue file")
        lang = data.pop("lang", file.stem)
        unknown = set(data) - set(CUE_KINDS)
        if unknown:
            raise ConfigError(f"{file}: unknown cue kinds {sorted(unknown)}; valid: {CUE_KINDS}")
        cues[lang] = {k: "|".join(f"(?:{p})" for p in v) for k, v in data.items() if v}
    _check_patterns(cues)
    common = cues.pop(ALL_LANGS, {})
    merged = {
        lang: {
            k: "|".join(p for p in (kinds.get(k), common.get(k)) if p)
            for k in CUE_KINDS
            if kinds.get(k) or common.get(k)
        }
        for lang, kinds in cues.items()
    }
    if common:
        merged[ALL_LANGS] = common
    return merged


def _check_patterns(cues: dict[str, dict[str, str]]) -> None:
    import pyarrow as pa
    import pyarrow.compute as pc

    for lang, kinds in cues.items():
        for kind, pattern in kinds.items():
            try:
                pc.match_substring_regex(pa.array(["x"]), pattern)
            except pa.ArrowInvalid as exc:
                raise ConfigError(f"cue {lang}.{kind}: invalid regular expression: {exc}") from None
