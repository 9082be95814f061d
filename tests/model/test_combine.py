"""The combined labeller: the model decides article-or-not, except where a specific rule fired."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import scipy.sparse as sp

from curation.config import RunConfig, load_config
from curation.gold import iter_gold, page_record
from curation.model.apply import rule_weights_of, specific_label, with_prediction
from curation.model.cleaner import Cleaner, load
from curation.pipeline import label_pages
from curation.stats import Stats


def _sure(labels: list[str], n: int, label: str) -> np.ndarray:
    """(n, labels) probabilities of a model sure of *label* on every row."""
    proba = np.full((n, len(labels)), 0.01)
    proba[:, labels.index(label)] = 1 - 0.01 * (len(labels) - 1)
    return proba


def test_specific_label_needs_a_heavy_rule_and_no_heavier_article_vote():
    # labels: article, caption, other; rows: heavy caption / caption vs heavier article /
    # only weak votes / heavy caption vs equally heavy article
    top = np.array([[2.0, 2.5, 0.8], [3.0, 2.5, 0.0], [0.3, 1.5, 0.8], [2.5, 2.5, 0.0]])
    total = np.array([[2.0, 2.5, 1.1], [3.0, 2.5, 0.0], [0.3, 1.5, 1.6], [2.5, 2.5, 0.0]])
    assert list(specific_label(top, total, 0, 2.5)) == [1, -1, -1, -1]


def test_model_does_not_overrule_a_specific_caption_vote(
    synthetic_gold: Path, trained_model: Path
):
    cfg = load_config()
    pages = list(iter_gold(synthetic_gold, cfg.labels, Stats()))
    table = label_pages([page_record(p) for p in pages[:2]], cfg)
    votes = table.column("votes").to_pylist()
    texts = table.column("text").to_pylist()
    story = next(i for i, t in enumerate(texts) if len(t.split()) > 20)
    votes[story] = [*votes[story], {"rule": "caption.figure.v2", "label": "caption"}]
    table = table.set_column(
        table.schema.get_field_index("votes"), "votes",
        pa.array(votes, type=table.schema.field("votes").type),
    )
    cleaner = load(trained_model)
    assert cleaner.stacker is not None  # the fitted combiner decides; this tests the fallback
    cleaner.stacker = None  # of a model without one: fixed precedence for specific rules
    # a model sure that everything is article
    proba = np.full((table.num_rows, len(cleaner.labels)), 0.01 / (len(cleaner.labels) - 1))
    proba[:, cleaner.labels.index("article")] = 0.99
    out = with_prediction(table, cleaner, proba, rule_weights_of(cfg), "combined")
    labels = out.column("prelabel").to_pylist()
    assert labels[story] == "caption"
    # elsewhere the sure model wins over unsure rules: the menu ("Home") becomes article
    assert labels[texts.index("Home")] == "article"
    conf = np.array(out.column("confidence").to_pylist())
    assert np.all((conf > 0) & (conf <= 1))


def test_article_threshold_is_chosen_on_training_sites_and_applied():
    from curation.model.cleaner import article_threshold, fit_matrix
    from curation.model.features import FeatureConfig
    from curation.model.heads import positive

    rng = np.random.default_rng(0)
    n = 600
    signal = rng.normal(size=n)
    x = sp.csr_matrix(np.column_stack([signal + rng.normal(scale=0.8, size=n),
                                       rng.normal(size=n), np.ones(n)]))
    is_art = signal > 0.8  # few article rows: the best F1 threshold is not 0.5
    target = np.where(is_art, "article", "other").astype(object)
    group = np.array([f"site{i % 8}" for i in range(n)], dtype=object)
    known, weight = np.ones(n, dtype=bool), np.ones(n)
    t = article_threshold(x, is_art, known, weight, group, 4.0, 3)
    assert 0.2 <= t <= 0.8 and t != 0.5
    # too few sites to hold any out: the model's own threshold
    assert article_threshold(x, is_art, known, weight, group[:1].repeat(n), 4.0, 3) == 0.5
    cleaner = fit_matrix(x, target, weight, load_config(), FeatureConfig(), group=group)
    raw = positive(cleaner.article_head, x)
    p = cleaner.predict_proba(x)[:, cleaner.labels.index("article")]
    assert np.array_equal(p >= 0.5, raw >= t)


def _first_page(gold: Path, model: Path) -> tuple[RunConfig, pa.Table, Cleaner]:
    """The default config, the gold file's first page labelled by the rules, the model."""
    cfg = load_config()
    pages = list(iter_gold(gold, cfg.labels, Stats()))
    return cfg, label_pages([page_record(p) for p in pages[:1]], cfg), load(model)


def test_a_body_aware_combiner_is_not_overruled_by_p_body(
    synthetic_gold: Path, trained_model: Path
):
    cfg, table, cleaner = _first_page(synthetic_gold, trained_model)
    assert cleaner.stacker is not None and cleaner.stacker.with_body
    labels = cleaner.labels
    article = labels.index("article")
    n = table.num_rows
    sure_ad = _sure(labels, n, "ad")
    p_body = np.ones(n)  # the body stage is sure that every row is the story's body
    weights = rule_weights_of(cfg)
    # the combiner weighed P(body) already: its "ad" stands
    combined = with_prediction(table, cleaner, sure_ad, weights, "combined", p_body, sure_ad)
    assert set(combined.column("prelabel").to_pylist()) == {"ad"}
    # the model alone has no such judge: a sure body row is promoted to article
    alone = with_prediction(table, cleaner, sure_ad, weights, "model", p_body)
    assert set(alone.column("prelabel").to_pylist()) == {labels[article]}


def test_a_long_article_segment_is_body_whatever_p_body_says(
    synthetic_gold: Path, trained_model: Path
):
    from curation.model.apply import BODY_MIN_WORDS

    cfg, table, cleaner = _first_page(synthetic_gold, trained_model)
    labels, n = cleaner.labels, table.num_rows
    sure_article = _sure(labels, n, "article")
    p_body = np.zeros(n)  # the body stage misses the whole story
    out = with_prediction(table, cleaner, sure_article, rule_weights_of(cfg), "combined",
                          p_body, sure_article)
    words = [len(t.split()) for t in out.column("text").to_pylist()]
    last_tags = [p.rsplit(">", 1)[-1] for p in out.column("tag_path").to_pylist()]
    parts = out.column("article_part").to_pylist()
    assert set(out.column("prelabel").to_pylist()) == {"article"}
    long_rows = [i for i, w in enumerate(words) if w >= BODY_MIN_WORDS and last_tags[i] != "h1"]
    short_rows = [i for i, w in enumerate(words) if w < BODY_MIN_WORDS]
    assert long_rows and short_rows  # the page has both: the test can fail either way
    assert {parts[i] for i in long_rows} == {"body"}  # running text
    assert {parts[i] for i in short_rows} == {"meta"}  # headline, byline ...: the apparatus


def test_body_threshold_is_the_best_f1_on_the_rows_it_decides():
    from curation.model.cleaner import MIN_THRESHOLD_ROWS, body_threshold

    rng = np.random.default_rng(1)
    # short article rows: sub-heads and list items of the story score 0.3-0.45, bylines and
    # datelines 0.02-0.2 (a threshold of 0.5 would call every one of them meta)
    p = np.concatenate([rng.uniform(0.3, 0.45, 40), rng.uniform(0.02, 0.2, 60)])
    is_body = np.arange(100) < 40
    decided = np.ones(100, dtype=bool)
    t = body_threshold(p, is_body, decided)
    assert 0.2 < t <= 0.3 and np.array_equal(p >= t, is_body)
    # rows it does not decide (long paragraphs, the <h1>) do not move it
    p_all, body_all = np.concatenate([p, np.full(50, 0.9)]), np.concatenate([is_body, [False] * 50])
    assert body_threshold(p_all, body_all, np.arange(150) < 100) == t
    # too few rows of one kind to tell: the model's own 0.5
    few = np.arange(100) < MIN_THRESHOLD_ROWS - 1
    assert body_threshold(p, few, decided) == 0.5


def test_rows_decided_by_p_body_are_short_and_not_the_headline():
    from curation.model.body import BODY_MIN_WORDS, decided_by_p_body
    from curation.model.features import DENSE_NAMES

    dense = np.zeros((4, len(DENSE_NAMES)))
    words = np.array([3, BODY_MIN_WORDS - 1, BODY_MIN_WORDS, 5])
    dense[:, DENSE_NAMES.index("log_words")] = np.log1p(words) / np.log1p(1000)
    dense[3, DENSE_NAMES.index("h1")] = 1.0
    assert decided_by_p_body(dense).tolist() == [True, True, False, False]


def test_each_row_can_have_its_own_body_threshold(synthetic_gold: Path, trained_model: Path):
    cfg, table, cleaner = _first_page(synthetic_gold, trained_model)
    cleaner.body_threshold = 0.5
    labels, n = cleaner.labels, table.num_rows
    sure_article = _sure(labels, n, "article")
    p_body = np.full(n, 0.4)
    words = [len(t.split()) for t in table.column("text").to_pylist()]
    last_tags = [p.rsplit(">", 1)[-1] for p in table.column("tag_path").to_pylist()]
    short = [i for i in range(n) if words[i] < 20 and last_tags[i] != "h1"]
    assert len(short) >= 2
    thresholds = np.full(n, 0.5)
    thresholds[short[0]] = 0.3  # a fold whose fitted threshold is below this row's P(body)

    def parts(threshold: float | np.ndarray | None) -> list[str | None]:
        out = with_prediction(table, cleaner, sure_article, rule_weights_of(cfg), "combined",
                              p_body, sure_article, threshold)
        return out.column("article_part").to_pylist()

    assert parts(None)[short[0]] == parts(None)[short[1]] == "meta"  # the cleaner's 0.5
    per_row = parts(thresholds)
    assert per_row[short[0]] == "body" and per_row[short[1]] == "meta"
    assert parts(0.3)[short[1]] == "body"


def test_a_byline_a_dateline_and_a_contact_line_stay_meta_whatever_p_body_says(
    trained_model: Path,
):
    cfg = load_config()
    para = ("The council voted on Tuesday to approve the new budget, which includes funding "
            "for schools, roads and the public library, after a debate that lasted all day.")
    author, date, contact = "Jane Doe", "July 2, 2018", "jane.doe@example.com"
    byline, subhead = "By Jane Doe and John Roe", "What the budget pays for"
    html = (f"<html><body><nav><a href=/>Home</a></nav><article><header><h1>Budget approved"
            f"</h1><div class=author>{author}</div><p>{date}</p></header><div class=story>"
            f"<p>{para}</p><h2>{subhead}</h2><p>{para}</p><p>{para}</p><p>{byline}</p>"
            f"<p>{contact}</p></div></article></body></html>")
    table = label_pages([{"page_id": "p", "format": "html", "content": html, "lang": "en"}], cfg)
    cleaner = load(trained_model)
    n = table.num_rows
    sure_article = _sure(cleaner.labels, n, "article")
    p_body = np.ones(n)  # the body stage calls every row the story's running text
    out = with_prediction(table, cleaner, sure_article, rule_weights_of(cfg), "combined",
                          p_body, sure_article)
    part = dict(zip(out.column("text").to_pylist(), out.column("article_part").to_pylist(),
                    strict=True))
    assert part[author] == part[date] == part[byline] == part[contact] == "meta"
    assert part[subhead] == part[para] == "body"  # short, but no rule marks it apparatus
    assert part["Budget approved"] == "meta"  # the <h1>, as before
