"""A user's own rules: modules a config names (`prelabel.plugins`) and the `curation.rules`
entry points of installed packages. Their rules register with the built-in decorator
(`curation.rule`), read the same Frame and vote like the built-in ones; a config's plugin rules
run only under the configs that name the plugin, an installed package's under every config."""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import sys
from collections.abc import Callable
from functools import lru_cache, partial
from importlib.metadata import entry_points
from types import ModuleType

from curation.config import RunConfig
from curation.errors import ConfigError
from curation.label.rules import RULES
from curation.taxonomy import LABELS

ENTRY_POINT_GROUP = "curation.rules"
_HINT = ("name a module on the Python path (my_rules) or a .py file relative to the config "
         "(rules/my_rules.py)")
_loaded: dict[str, tuple[str, ...]] = {}  # plugin (module name or file) -> the rules it holds


def builtin_rule_names() -> list[str]:
    return [n for n in RULES if RULES.get(n).fn.__module__.startswith("curation.")]


def _is_file(entry: str) -> bool:
    return entry.endswith(".py") or "/" in entry or "\\" in entry


def _import(entry: str, cfg: RunConfig) -> ModuleType:
    if not _is_file(entry):
        return importlib.import_module(entry)
    path = cfg.resolve(entry)
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist")
    # one module name per file, so worker processes and repeated runs import it once
    name = f"curation_rules_{path.stem}_{hashlib.sha1(str(path).encode()).hexdigest()[:8]}"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"{path} cannot be imported as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


def _load(key: str, what: str, load: Callable[[], object]) -> tuple[str, ...]:
    """The names of the rules plugin *key* registers (importing it once per process)."""
    if key in _loaded:
        return _loaded[key]
    before = set(RULES)
    try:
        loaded = load()
    except ValueError as exc:
        if "registered twice" in str(exc):
            raise ConfigError(f"{what}: {exc}: a built-in rule or another plugin's has that "
                              "name; give yours a name of its own (yoursite.what.v1)") from None
        valid = f"; valid labels: {', '.join(LABELS)}" if "unknown label" in str(exc) else ""
        raise ConfigError(f"{what} failed to load: {exc}{valid}") from None
    except Exception as exc:  # any import failure of user code is a config problem
        hint = f"; {_HINT}" if isinstance(exc, (ImportError, FileNotFoundError)) else ""
        raise ConfigError(f"{what} failed to load: {type(exc).__name__}: {exc}{hint}") from None
    mod_name = loaded.__name__ if isinstance(loaded, ModuleType) else \
        getattr(loaded, "__module__", None)
    names = set(RULES) - before
    names |= {n for n in RULES if RULES.get(n).fn.__module__ == mod_name}  # imported earlier
    _loaded[key] = tuple(sorted(names))
    return _loaded[key]


@lru_cache(maxsize=1)
def entry_point_rules() -> tuple[str, ...]:
    """The rules of installed packages' `curation.rules` entry points (looked up once)."""
    names: set[str] = set()
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        what = f"entry point {ep.name} = {ep.value} (group {ENTRY_POINT_GROUP})"
        names.update(_load(f"entry point:{ep.value}", what, ep.load))
    return tuple(sorted(names))


def plugin_rules(cfg: RunConfig) -> tuple[str, ...]:
    """The rules of the plugins *cfg* names, imported now; a ConfigError for one that fails."""
    names: set[str] = set()
    for entry in cfg.prelabel.plugins:
        key = str(cfg.resolve(entry)) if _is_file(entry) else entry
        names.update(_load(key, f"prelabel.plugins: {entry!r}", partial(_import, entry, cfg)))
    return tuple(sorted(names))


def available_rules(cfg: RunConfig) -> list[str]:
    """The rules *cfg* may run (what prelabel.rules: all means): the built-in ones, those of
    installed packages and those of the plugins it names."""
    return sorted({*builtin_rule_names(), *entry_point_rules(), *plugin_rules(cfg)})
