"""resolve() hands the model its own settings: the checked model file and the rules' weights
its vote is mixed with; a weight set in the config moves the combined vote, nothing else of the
config reaches it."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from curation.config import load_config
from curation.gold import iter_gold, page_record
from curation.label import rule_label_pages
from curation.model.apply import rule_weights_of
from curation.model.inference import ModelVoter, model_vote
from curation.resolve import resolve
from curation.stats import Stats


def test_resolve_gives_the_model_its_file_and_rule_weights(trained_model: Path) -> None:
    cfg = load_config(prelabel={"model": str(trained_model),
                                "weights": {"article.long_paragraph.v1": 7.0}})
    voter = resolve(cfg).model
    assert isinstance(voter, ModelVoter)
    assert voter.path == trained_model
    assert voter.weights == rule_weights_of(cfg)
    assert voter.weights["article.long_paragraph.v1"] == 7.0
    assert set(voter.cleaner.rule_names) <= set(voter.weights)


def test_the_voter_votes_with_its_weights(synthetic_gold: Path, trained_model: Path) -> None:
    cfg = load_config(prelabel={"model": str(trained_model)})
    pages = list(iter_gold(synthetic_gold, cfg.labels, Stats()))
    table = rule_label_pages([page_record(p) for p in pages], cfg)
    voter = resolve(cfg).model
    assert voter is not None
    out = voter.vote(table)
    assert out.column("prelabel").to_pylist() == (
        model_vote(table, cfg).column("prelabel").to_pylist())
    assert all(any(v["rule"] == "model" for v in vs) for vs in out.column("votes").to_pylist())
    # a model without a fitted combiner mixes its vote with the rules' by their weights:
    # weighting every rule at zero changes the mix wherever a rule voted
    plain = copy.copy(voter.cleaner)
    plain.stacker = None
    weighted = ModelVoter(voter.path, plain, voter.weights).vote(table)
    silent = ModelVoter(voter.path, plain, {name: 0.0 for name in voter.weights}).vote(table)
    assert silent.column("confidence").to_pylist() != weighted.column("confidence").to_pylist()


def test_labels_are_the_same_chunk_by_chunk_of_pages(synthetic_gold: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The packaged cleaner labels a table in chunks of whole pages (apply.CHUNK_ROWS): every
    feature and score is a function of the row's page and of the run's cross-page counts,
    which are taken over the whole table, so the chunks change nothing."""
    from curation.model import apply

    cfg = load_config()  # the packaged cleaner
    pages = list(iter_gold(synthetic_gold, cfg.labels, Stats()))
    table = rule_label_pages([page_record(p) for p in pages], cfg)
    voter = resolve(cfg).model
    assert voter is not None
    whole = voter.vote(table)
    monkeypatch.setattr(apply, "CHUNK_ROWS", 25)  # a few pages a chunk, some pages alone
    assert len(apply._page_chunks(table, apply.CHUNK_ROWS)) > 3
    chunked = voter.vote(table)
    assert chunked.equals(whole)
    # a site's repeated menu is counted across the chunks' pages, not within one chunk
    monkeypatch.setattr(apply, "CHUNK_ROWS", 1)
    assert voter.vote(table).equals(whole)
