"""Typed configuration: YAML in, validated pydantic models out; defaults live only here."""

from __future__ import annotations

import hashlib
import math
import os
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from curation.defaults import BUILTIN, MODEL_FILE, builtin_path, default_model_path
from curation.errors import ConfigError
from curation.taxonomy import LABELS
from curation.user_cache import user_cache_dir

MAX_WEIGHT = 1000.0  # a rule weight above this drowns every other vote: surely a typo
_URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")  # an fsspec url (curation.io.remote.is_url)
_SECRET_KEY = re.compile(r"key|secret|token|password|credential|session", re.IGNORECASE)
SPLIT_NAME = re.compile(r"^\w+(\.\w+)*$")  # what datasets accepts as a split name


class _Model(BaseModel):
    # strict: `batch_pages: true` or `workers: "2"` is an error, not a silent 1 or 2
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class InputConfig(_Model):
    paths: list[str] = [
        "builtin:samples"
    ]  # files, folders or globs; builtin:samples = bundled pages
    # a larger page is skipped (counted), never truncated silently
    max_bytes: int = Field(20_000_000, gt=0)
    max_lines: int = Field(200_000, gt=0)


Detector = Literal["langdetect", "fasttext", "py3langid", "none"]


class LanguageConfig(_Model):
    detector: Detector = "langdetect"
    # langdetect's cost is mostly a fixed number of random trials, not the text length: 600
    # characters (longest segments first) and 3 trials agreed with 2,000 characters and 7
    # trials on all 326 gold-dev pages at 40 % of the cost (see benchmarks/README.md)
    sample_chars: int = Field(600, gt=0)
    langdetect_trials: int = Field(3, ge=1)
    seed: int = 0
    min_segment_chars: int = 80  # per-segment language only for segments this long


class SegmentConfig(_Model):
    max_segment_chars: int = 100_000


PACKAGED_MODEL = BUILTIN + MODEL_FILE  # the trained cleaner shipped in the package


def _packaged_model() -> str | None:
    """prelabel.model's default: the packaged cleaner votes with the rules (its site-grouped
    CV six-label mean is well above the rules'), or the rules alone in an install without one."""
    return PACKAGED_MODEL if default_model_path() is not None else None


class PrelabelConfig(_Model):
    rules: list[str] | Literal["all"] = "all"
    # a user's own rules: modules on the Python path, or .py files relative to the config
    plugins: list[str] = []
    # relative to the config file, or builtin:cues (packaged); one YAML of cue words a language
    cues_dir: str = "builtin:cues"
    weights: dict[str, float] = {}  # rule name -> weight (default 1.0)
    weights_file: str | None = None  # fitted weights (`curation rules fit`), under inline ones
    # raw -> calibrated confidence (`curation rules calibrate`); null: the raw vote share
    calibration: str | None = "builtin:calibration.yaml"
    # a trained cleaner voting with the rules: by default the packaged one; null: rules alone
    model: str | None = Field(default_factory=_packaged_model)
    fault_tolerant: bool = False

    @property
    def model_by_default(self) -> bool:
        """True when the config leaves prelabel.model unset (the packaged cleaner, if any)."""
        return "model" not in self.model_fields_set

    @property
    def no_model_note(self) -> str | None:
        """Why no model votes though the config did not say `model: null`; else None."""
        if self.model is None and self.model_by_default:
            return (f"this install ships no trained cleaner ({MODEL_FILE} in curation.defaults):"
                    " pre-labels come from the rules alone")
        return None

    @field_validator("weights")
    @classmethod
    def _weights_finite(cls, v: dict[str, float]) -> dict[str, float]:
        # a negative, NaN or infinite weight makes confidence negative or NaN in the dataset
        bad = {k: w for k, w in v.items() if not (math.isfinite(w) and 0 <= w <= MAX_WEIGHT)}
        if bad:
            raise ValueError(f"rule weights must be finite numbers in [0, {MAX_WEIGHT:g}], "
                             f"got {bad}")
        return v


class FilterSpec(_Model):
    name: str
    params: dict[str, Any] = {}


class FilterConfig(_Model):
    filters: list[FilterSpec] = []
    write_rejects: bool = True


class PublishConfig(_Model):
    splits: dict[str, float] = {"train": 0.8, "validation": 0.1, "test": 0.1}
    shard_rows: int = 200_000
    name: str = "curation-segments"
    license: str | None = None  # the dataset card's licence, e.g. cc-by-4.0 (a Hugging Face id)
    source: str | None = None  # the card's provenance: where, when and how the pages were got

    @field_validator("splits")
    @classmethod
    def _splits_sum_to_one(cls, v: dict[str, float]) -> dict[str, float]:
        if not v or abs(sum(v.values()) - 1.0) > 1e-6 or min(v.values()) < 0:
            raise ValueError(f"split fractions must be >= 0 and sum to 1, got {v}")
        bad = [s for s in v if not SPLIT_NAME.match(s)]
        if bad:  # checked here, so a bad name fails before ingest, not at publish
            raise ValueError(f"{bad} are not valid split names (letters, digits, _ and dots "
                             "only), e.g. train, validation, test")
        return v


class LabelStudioConfig(_Model):
    url: str | None = None  # else $LABEL_STUDIO_URL; the token only ever comes from the env
    project_title: str = "curation"
    # the labelling screen, docs/labelstudio.md
    layout: Literal["hypertext", "paragraphs", "page", "segment"] = "hypertext"
    # hypertext/paragraphs layouts: pre-labels drawn as regions ("unsure": only those less sure
    # than 0.7, the rest named in the line heading; regions cost most of the render) or "all"
    prelabel_regions: Literal["unsure", "all", "none"] = "unsure"
    # the human-label store (relative to the config's folder); None: OUTPUT/human_labels
    human_labels: str | None = None
    batch_size: int = 500
    context: int = 2  # neighbours shown with each segment in the "segment" layout
    timeout_s: float = 600.0
    model_version: str = "prelabel-v1"  # tags pushed predictions; the project pre-fills with it


class RunConfig(_Model):
    """The whole pipeline; `configs/default.yaml` is one of these."""

    # the published label set: a list of built-in labels (a subset narrows the set), or a
    # mapping from the user's own labels to the built-in ones they cover (`label_map`)
    labels: list[str] = list(LABELS)
    label_map: dict[str, list[str]] = {}  # user label -> built-in labels; {}: labels are built-in
    input: InputConfig = InputConfig()
    output: str = "out"  # a folder, or an fsspec url (file://, s3://, gs://, hf://, memory://)
    # for an url output: what fsspec needs to reach it (credentials, endpoint, ...), and the
    # local folder the run works in before its outputs are copied to the store
    storage_options: dict[str, Any] = {}
    staging: str | None = None  # default: $XDG_CACHE_HOME/curation/staging/<hash of the url>
    batch_pages: int = Field(256, ge=1)
    workers: int = Field(1, ge=1)  # processes (local) or CPUs for a local Ray
    engine: Literal["local", "ray"] = "local"  # ray: the per-batch step runs on Ray Data
    ray_address: str | None = None  # an existing Ray cluster (engine: ray); else a local one
    language: LanguageConfig = LanguageConfig()
    segment: SegmentConfig = SegmentConfig()
    prelabel: PrelabelConfig = Field(default_factory=PrelabelConfig)  # is there a packaged model
    filter: FilterConfig = FilterConfig()
    publish: PublishConfig = PublishConfig()
    labelstudio: LabelStudioConfig = LabelStudioConfig()
    base_dir: str = Field(".", exclude=True)  # folder of the YAML file, for relative paths

    @model_validator(mode="before")
    @classmethod
    def _labels_mapping(cls, data: Any) -> Any:
        """`labels: {main: [article], ...}` is read as labels [main, ...] plus their label_map."""
        if isinstance(data, dict) and isinstance(data.get("labels"), dict):
            mapping = data["labels"]
            data = {**data, "labels": [str(k) for k in mapping], "label_map": mapping}
        return data

    @model_validator(mode="after")
    def _labels_valid(self) -> RunConfig:
        if len(set(self.labels)) != len(self.labels) or not self.labels:
            raise ValueError(f"labels must be a non-empty list without repeats, got {self.labels}")
        if self.label_map:
            check_label_map(self.labels, self.label_map)
        else:
            unknown = [lab for lab in self.labels if lab not in LABELS]
            if unknown:
                raise ValueError(
                    f"unknown labels {unknown}: a list of labels takes the built-in ones "
                    f"({', '.join(LABELS)}); to name your own, map them to the built-in ones, "
                    "e.g. labels: {main: [article], boilerplate: [caption, ad, comment_ui, "
                    "joke, teaser, other]}")
        return self

    @property
    def voter_labels(self) -> list[str]:
        """The built-in labels rules and the model vote with (all of them under a mapping)."""
        return list(LABELS) if self.label_map else list(self.labels)

    @property
    def user_label_of(self) -> dict[str, str]:
        """Built-in label -> the published label it becomes (itself without a mapping)."""
        return ({b: user for user, members in self.label_map.items() for b in members}
                if self.label_map else {lab: lab for lab in self.labels})

    def resolve(self, path: str) -> Path:
        """A path from the config, relative to the config file's folder (builtin:NAME: packaged)."""
        packaged = builtin_path(path)
        if packaged is not None:
            return packaged
        if path == self.output and _URL.match(path):
            return self.staging_dir()  # a store output: the run works in a local copy
        p = Path(path)
        return p if p.is_absolute() else Path(os.path.normpath(Path(self.base_dir) / p))

    def staging_dir(self) -> Path:
        """The local folder a run to an url output works in (one per url)."""
        if self.staging:
            return self.resolve(self.staging)
        cache = user_cache_dir()
        if cache is None:
            raise ConfigError(f"output {self.output!r} is a store url and there is no user cache "
                             "folder to stage it in: set `staging:` or $CURATION_CACHE_DIR")
        name = hashlib.sha256(self.output.encode("utf-8")).hexdigest()[:16]
        return cache / "staging" / name


def rules_only(cfg: RunConfig) -> RunConfig:
    """*cfg* with prelabel.model set to null: the rules label alone (`--rules-only`)."""
    return cfg.model_copy(update={"prelabel": cfg.prelabel.model_copy(update={"model": None})})


_USER_LABEL = re.compile(r"^[\w.-]+$")  # what Label Studio choices and ClassLabel names take


def check_label_map(labels: list[str], label_map: dict[str, list[str]]) -> None:
    """ValueError unless *label_map* maps each of *labels* to built-in labels, every built-in
    label exactly once."""
    if list(label_map) != labels:
        raise ValueError(f"label_map names {list(label_map)}, labels {labels}: they must agree")
    bad_names = [u for u in labels if not _USER_LABEL.match(u)]
    if bad_names:
        raise ValueError(f"labels {bad_names}: a label name takes letters, digits, _ . - only")
    seen: dict[str, str] = {}
    for user, members in label_map.items():
        if not members:
            raise ValueError(f"labels.{user}: map it to one or more of {', '.join(LABELS)}")
        for b in members:
            if b not in LABELS:
                raise ValueError(f"labels.{user}: unknown built-in label {b!r}; valid: "
                                 f"{', '.join(LABELS)}")
            if b in seen:
                raise ValueError(f"built-in label {b!r} is mapped twice (to {seen[b]!r} and "
                                 f"{user!r}); map each of {', '.join(LABELS)} exactly once")
            seen[b] = user
    missing = [b for b in LABELS if b not in seen]
    if missing:
        raise ValueError(f"built-in labels {missing} are not mapped: map each of "
                         f"{', '.join(LABELS)} to one of your labels ({', '.join(labels)})")


def read_yaml_mapping(path: Path, what: str, hint: str = "") -> dict[str, Any]:
    """A YAML file holding a mapping, or a ConfigError naming the file and the problem."""
    if not path.is_file():
        raise ConfigError(f"{what} {path} does not exist{hint}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: must hold a mapping at the top level")
    return data


def load_config(path: str | Path | None = None, **overrides: Any) -> RunConfig:
    """Read a YAML config (or the built-in defaults) into typed, validated config: pure data;
    the names and files it gives are looked up by `curation.resolve.resolve`."""
    data: dict[str, Any] = {}
    base = Path(".")
    if path is not None:
        path = Path(path)
        data = read_yaml_mapping(path, "config file")
        base = path.resolve().parent
    data.update({k: v for k, v in overrides.items() if v is not None})
    data["base_dir"] = str(base)
    try:
        cfg = RunConfig.model_validate(data)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"]) or "(top)"
            msg = err["msg"]
            if err["type"] == "extra_forbidden":
                msg = "unknown key (check the spelling)"
            lines.append(f"  {where}: {msg}")
        raise ConfigError(f"invalid config {path or '(defaults)'}:\n" + "\n".join(lines)) from None
    return cfg


_URL_SECRETS = re.compile(
    r"(?P<scheme>\w+://)[^/@\s]+@"
    r"|(?P<param>[?&](?:token|key|api_key|apikey|access_token|password|secret)=)[^&#\s]+",
    re.IGNORECASE)


def redact_url(text: str) -> str:
    """*text* with the credentials of any URL in it masked: user:password@ and token=... .

    >>> redact_url("https://me:s3cret@ls.example.com/?token=abc&x=1")
    'https://***@ls.example.com/?token=***&x=1'
    """
    return _URL_SECRETS.sub(lambda m: (m["scheme"] + "***@") if m["scheme"]
                            else m["param"] + "***", text)


def dump_config(cfg: RunConfig) -> str:
    """The resolved config as YAML (written next to every output as run_config.yaml), with the
    credentials of labelstudio.url masked: the file is published with the dataset."""
    data = cfg.model_dump(mode="json")
    mapping = data.pop("label_map")
    if mapping:  # written back in the form a user writes it, so the file loads as it was
        data["labels"] = mapping
    if data["labelstudio"]["url"]:
        data["labelstudio"]["url"] = redact_url(data["labelstudio"]["url"])
    data["storage_options"] = {k: "***" if _SECRET_KEY.search(k) else v
                               for k, v in data["storage_options"].items()}
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
