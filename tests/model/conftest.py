"""Synthetic gold pages for the cleaner tests: several sites, each page with a story, a menu,
a related-stories list, an ad line and a footer, every block labelled (taxonomy)."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

WORDS = [
    "river", "council", "budget", "school", "winter", "harbour", "market", "doctor", "station",
    "village", "theatre", "museum", "bridge", "festival", "library", "minister", "election",
    "forest", "coast", "engineer", "farmer", "report", "study",
]


def _sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def synthetic_page(site: str, k: int, rng: random.Random) -> dict[str, Any]:
    """One HTML page of *site* and its labelled segments."""
    title = _sentence(rng, 7)
    body = [" ".join(_sentence(rng, rng.randint(9, 16)) for _ in range(3)) for _ in range(4)]
    related = [_sentence(rng, rng.randint(6, 9)) for _ in range(4)]
    menu = ["Home", "World", "Business", "Sport", "Contact"]
    ad = "Subscribe to our newsletter and follow us on social media"
    footer = f"Copyright 2024 {site}. All rights reserved."
    html = (
        "<html><body><nav class='menu'><ul>"
        + "".join(f"<li><a href='/{m}'>{m}</a></li>" for m in menu)
        + f"</ul></nav><article class='story'><h1>{title}</h1>"
        + "".join(f"<p>{p}</p>" for p in body)
        + "</article><div class='related'><h3>Related stories</h3><ul>"
        + "".join(f"<li><a href='/x{i}'>{t}</a></li>" for i, t in enumerate(related))
        + f"</ul></div><div class='promo'>{ad}</div><footer><p>{footer}</p></footer>"
        "</body></html>"
    )
    segs = [{"text": m, "label": "other"} for m in menu]
    segs += [{"text": title, "label": "article"}] + [{"text": p, "label": "article"} for p in body]
    segs += [{"text": "Related stories", "label": "teaser"}]
    segs += [{"text": t, "label": "teaser"} for t in related]
    segs += [{"text": ad, "label": "ad"}, {"text": footer, "label": "other"}]
    return {
        "page_id": f"{site}:{k}", "dataset": "synthetic", "url": f"https://www.{site}/story/{k}",
        "annotation": "taxonomy", "html": html, "group": site, "segments": segs,
    }


@pytest.fixture(scope="session")
def synthetic_gold(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A gold JSONL file: 6 sites x 3 pages."""
    rng = random.Random(7)
    path = tmp_path_factory.mktemp("gold") / "synthetic.jsonl"
    rows = [synthetic_page(f"site{s}.com", k, rng) for s in range(6) for k in range(3)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def trained_model(synthetic_gold: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cleaner trained on the synthetic gold (once per session)."""
    from curation.config import load_config
    from curation.model.run import train

    out = tmp_path_factory.mktemp("model") / "cleaner.model"
    train(load_config(), out, gold=[synthetic_gold])
    return out


@pytest.fixture(scope="session")
def make_page() -> Callable[[str, int, random.Random], dict[str, Any]]:
    """The synthetic page maker, for tests that need a page of a new site."""
    return synthetic_page
