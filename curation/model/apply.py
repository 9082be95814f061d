"""Use a trained cleaner on pre-labelled segments: alone, or as one more voter with the rules."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Literal, TypeAlias

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from threadpoolctl import ThreadpoolController

from curation.config import RunConfig
from curation.model.adapt import recall
from curation.model.arrays import Bools, Floats, Ints, Labels
from curation.model.body import BODY_MIN_WORDS, rows_of
from curation.model.cleaner import Cleaner
from curation.model.coded import page_runs
from curation.model.features import SiteCounts, text_norms
from curation.taxonomy import ARTICLE, BODY, META, MODEL_VOTER

Mode = Literal["rules", "model", "combined"]
# rule name -> its weight in the run: the one setting the model's vote takes from the config
RuleWeights: TypeAlias = Mapping[str, float]


# a rule this heavy is precise (caption.figure, comment_ui.comment_block, ad.social_link...):
# its non-article label stands unless an article rule at least as heavy voted too
SPECIFIC_WEIGHT = 2.5


def rule_weights_of(cfg: RunConfig) -> dict[str, float]:
    """The weight of every registered rule under *cfg* (inline config, fitted weights file,
    rule default): what the model's vote is mixed with."""
    from curation.label.combine import rule_weights
    from curation.label.rules import RULES

    rules = [RULES.get(name) for name in RULES]
    return dict(zip([r.name for r in rules], rule_weights(cfg, rules).tolist(), strict=True))


def _rule_votes(
    table: pa.Table, weights: RuleWeights, labels: list[str]
) -> tuple[Floats, Floats]:
    """Per segment and label: the summed weight of the rules voting it, and the heaviest one."""
    col = {lab: k for k, lab in enumerate(labels)}
    votes = table.column("votes").to_pylist()
    total = np.zeros((len(votes), len(labels)))
    top = np.zeros((len(votes), len(labels)))
    for i, vs in enumerate(votes):
        for v in vs or []:
            k = col.get(v["label"])
            if k is not None and v["rule"] != MODEL_VOTER:
                w = weights.get(v["rule"], 1.0)
                total[i, k] += w
                top[i, k] = max(top[i, k], w)
    return total, top


def _shares(weights: Floats) -> Floats:
    out = weights.copy()
    total = out.sum(axis=1, keepdims=True)
    empty = total[:, 0] == 0
    out[empty] = 1.0 / out.shape[1]
    total[empty] = 1.0
    shares: Floats = out / total
    return shares


def specific_label(top: Floats, total: Floats, a: int, min_weight: float) -> Ints:
    """Per segment, the non-article label a specific rule (weight >= *min_weight*) voted for
    when no article rule at least as heavy voted too; -1 elsewhere."""
    rest = np.array([k for k in range(top.shape[1]) if k != a], dtype=int)
    heavy = top[:, rest]
    # the heaviest non-article vote; among equals, the label with more total weight
    pick = rest[np.argmax(heavy + 1e-6 * total[:, rest], axis=1)] if len(rest) else rest
    w = heavy.max(axis=1) if len(rest) else np.zeros(len(top))
    return np.where((w >= min_weight) & (top[:, a] < w), pick, -1)


def combined_proba(
    cleaner: Cleaner,
    proba: Floats,
    table: pa.Table,
    weights: RuleWeights,
    specific_weight: float = SPECIFIC_WEIGHT,
) -> tuple[Floats, Ints]:
    """The model's probabilities mixed with the rules' vote shares, in two steps: whether a
    segment is article (model share `vote_weight`, the model's strength: it learns from every
    gold page), then which non-article label (model share `type_weight`: the type head learns
    from few fully labelled pages, the rules' cues often know better). Returns the mixed
    probabilities and, per segment, the label index a specific rule kept (-1: none).

    Where a specific rule (weight >= *specific_weight*) voted a non-article label and no article
    rule at least as heavy did, that label is kept: the model decides article-or-not where the
    rules are unsure, not where a precise rule fired (it cannot learn rare labels like captions
    from a few examples)."""
    labels = cleaner.labels
    total, top = _rule_votes(table, weights, labels)
    rules = _shares(total)
    if ARTICLE not in labels:
        w = cleaner.vote_weight
        return w * proba + (1 - w) * rules, np.full(len(proba), -1)
    a = labels.index(ARTICLE)
    rest = [k for k in range(len(labels)) if k != a]
    w, wt = cleaner.vote_weight, cleaner.type_weight
    p_art = w * proba[:, a] + (1 - w) * rules[:, a]

    def norm(m: Floats) -> Floats:
        s = m.sum(axis=1, keepdims=True)
        return np.where(s > 0, m / np.maximum(s, 1e-12), 1.0 / m.shape[1])

    kind = wt * norm(proba[:, rest]) + (1 - wt) * norm(rules[:, rest])
    out = np.zeros_like(proba)
    out[:, a] = p_art
    out[:, rest] = (1 - p_art)[:, None] * kind
    keep = specific_label(top, total, a, specific_weight)
    for i in np.flatnonzero(keep >= 0):
        k = keep[i]
        out[i, k] += out[i, a]  # the article mass goes to the rule's label
        out[i, a] = 0.0
        j = int(out[i].argmax())
        out[i, k], out[i, j] = out[i, j], out[i, k]  # and it ranks first
    return out, keep


@lru_cache(maxsize=1)
def _native_pools() -> ThreadpoolController:
    """The OpenMP and BLAS pools of the libraries scikit-learn loaded (found once: ~6 ms)."""
    return ThreadpoolController()


def apply_model(table: pa.Table, cleaner: Cleaner, weights: RuleWeights, mode: Mode
                ) -> pa.Table:
    """*table* (pre-labelled, one run) with prelabel/confidence/label from *mode*; the model's
    own label is added to `votes` as the voter "model". *weights*: the rules' weights in the
    run (`rule_weights_of(cfg)`), which combined mode mixes the model's vote with.

    Predicts on one thread: every tree of the body stage and the combiner is an OpenMP
    parallel region over at most a block of rows, so more threads mostly wait for each other
    at each tree's barrier (on a busy machine for a time slice each: the bundled sample pages
    took 28 CPU-s with 2 threads, 7.5 with 1); a row's prediction does not depend on them."""
    if mode == "rules" or table.num_rows == 0:
        return table
    with _native_pools().limit(limits=1):
        return _predicted(table, cleaner, weights, mode)


# rows a chunk of whole pages holds at most (a page longer than this is a chunk of its own)
CHUNK_ROWS = 8192


def _predicted(table: pa.Table, cleaner: Cleaner, weights: RuleWeights, mode: Mode
               ) -> pa.Table:
    """`_predicted_rows` chunk by chunk of whole pages: every feature, score and combination
    is a function of the row's page (and of the run's cross-page counts, taken over the whole
    table), so the labels are those of the table at once. A 256-page batch's feature matrix is
    ~8 million entries (~100 MB); in chunks the arrays stay small enough for the allocator to
    reuse instead of taking fresh pages from the kernel at every batch."""
    chunks = _page_chunks(table, CHUNK_ROWS)
    if len(chunks) == 1:
        return _predicted_rows(table, cleaner, weights, mode)
    row_norms, norms = text_norms(table)  # each distinct text normalised once a batch
    counts = SiteCounts().add(table, row_norms)
    return pa.concat_tables([_predicted_rows(table.slice(a, b - a), cleaner, weights, mode,
                                             counts, norms) for a, b in chunks])


def _page_chunks(table: pa.Table, rows: int) -> list[tuple[int, int]]:
    """Row ranges [a, b) of consecutive whole pages, each of at most *rows* rows unless one
    page alone has more."""
    chunks: list[tuple[int, int]] = []
    for a, b in page_runs(table):
        if chunks and b - chunks[-1][0] <= rows:
            chunks[-1] = (chunks[-1][0], b)
        else:
            chunks.append((a, b))
    return chunks or [(0, table.num_rows)]


def _predicted_rows(table: pa.Table, cleaner: Cleaner, weights: RuleWeights, mode: Mode,
                    site_counts: SiteCounts | None = None,
                    norms: Mapping[str, str] | None = None) -> pa.Table:
    x = cleaner.features(table, site_counts, norms)
    heads = cleaner.head_scores(x)
    proba = cleaner.predict_proba(x, heads)
    rows = rows_of(table)
    p_body = cleaner.predict_body(x, rows, heads)
    combined = None
    if mode == "combined" and cleaner.stacker is not None:
        combined = cleaner.combine_table(table, proba, p_body, x, rows)
    return with_prediction(table, cleaner, proba, weights, mode, p_body, combined)


def with_prediction(
    table: pa.Table,
    cleaner: Cleaner,
    proba: Floats,
    weights: RuleWeights,
    mode: Mode,
    p_body: Floats | None = None,
    combined: Floats | None = None,
    body_threshold: float | Floats | None = None,
) -> pa.Table:
    """Write the labels chosen from *proba* (model output) into the table's columns.

    In combined mode the cleaner's fitted combiner mixes model and rules (*combined*: its
    probabilities, already computed out-of-fold). With *p_body* (the model's P(story body)),
    a segment at P(body) >= 0.5 is labelled article (unless, in combined mode, a specific rule
    kept its label or the fitted combiner, which weighs P(body) itself, chose another) and
    `article_part` says which article segments are body and which the story's
    apparatus (headline, byline: "meta"): body where P(body) reaches *body_threshold* (default:
    the cleaner's; out-of-fold scoring gives each row its fold's), except an <h1> and the short
    lines `_apparatus` finds."""
    if mode == "rules":
        return table
    final, keep = _final_proba(table, cleaner, proba, weights, mode, p_body, combined)
    # the fitted combiner already weighed P(body) (one of its inputs): it is not overruled
    stacked = mode == "combined" and cleaner.stacker is not None and cleaner.stacker.with_body
    best: Ints = final.argmax(axis=1)
    conf = final[np.arange(len(best)), best].astype(np.float32)
    part: Labels = np.array(table.column("article_part").to_pylist(), dtype=object)
    labels = cleaner.labels
    if ARTICLE in labels:
        a = labels.index(ARTICLE)
        if p_body is not None:
            # more likely the story's body than not: article (the model alone has no other
            # judge of it); among article segments, body from the fitted threshold on
            promote = (p_body >= 0.5) & (keep < 0) & (best != a) & (not stacked)
            best = np.where(promote, a, best)
            conf = np.where(promote, p_body, conf).astype(np.float32)
            body = p_body >= (cleaner.body_threshold if body_threshold is None
                              else body_threshold)
            words = _words(table)
            apparatus = _apparatus(table, words, cleaner.rule_names)
            running = (body | (words >= BODY_MIN_WORDS)) & ~apparatus
            part = np.where(running & ~_is_h1(table), BODY, META).astype(object)
        part = np.where(part == None, BODY, part).astype(object)  # noqa: E711
        part[best != a] = None  # only article segments have a part
    model_label = [labels[k] for k in proba.argmax(axis=1)]
    return _write_labels(table, [labels[k] for k in best], conf, part, model_label)


def _words(table: pa.Table) -> Ints:
    """Words (whitespace-separated) of each segment's text."""
    words = pc.list_value_length(pc.utf8_split_whitespace(table.column("text")))
    return np.asarray(words.to_numpy(zero_copy_only=False), dtype=np.int64)


# a line this short that a rule calls the story's apparatus is never its running text
APPARATUS_MAX_WORDS = 12


def _apparatus(table: pa.Table, words: Ints, rule_names: list[str]) -> Bools:
    """Segments that are the story's apparatus whatever P(body) says: a short line voted by a
    rule that marks the apparatus (`label.parts.META_RULES`: a byline or dateline, "July 2,
    2018", "Robert Burns, AP National Security Writer", a header block's line), and a contact
    line (`label.parts.contact_lines`, which the rules' own parts use too). P(body) alone made
    such lines body text, which main-text gold leaves out: on gold-dev's Scrapinghub pages
    (site-grouped CV) the body's segment F1 0.916 -> 0.922 and token F1 0.973 -> 0.975 with
    this, all 326 pages 0.899 -> 0.902 (no figure fell). The body threshold is still fitted
    over every short row (model/body.py), these included: a rule's vote is not among the dense
    columns it reads, and they are few."""
    from curation.label.parts import META_RULES, contact_lines
    from curation.label.votes import voted

    marking = [n for n in rule_names if n.rsplit(".v", 1)[0] in META_RULES]
    out = voted(table, marking).any(axis=1)
    return (out & (words <= APPARATUS_MAX_WORDS)) | contact_lines(table.column("text"))


def _is_h1(table: pa.Table) -> Bools:
    """Segments that are an <h1>: the page's headline, the story's apparatus (meta), never its
    body (the gold's article bodies leave the headline out), whatever P(body) says."""
    paths = table.column("tag_path").to_pylist()
    return np.array([bool(t) and t.rsplit(">", 1)[-1] == "h1" for t in paths], dtype=np.bool_)


def _final_proba(
    table: pa.Table, cleaner: Cleaner, proba: Floats, weights: RuleWeights, mode: Mode,
    p_body: Floats | None, combined: Floats | None,
) -> tuple[Floats, Ints]:
    """The probabilities the label is chosen from under *mode* (then what the site's labelled
    pages remember), and per segment the label index a rule or the memory keeps (-1: none)."""
    keep: Ints = np.full(len(proba), -1, dtype=np.int64)
    final = proba
    if mode == "combined" and combined is not None:  # already combined (out-of-fold)
        final = combined
    elif mode == "combined" and cleaner.stacker is not None:
        final = cleaner.combine_table(table, proba, p_body)
    elif mode == "combined":
        final, keep = combined_proba(cleaner, proba, table, weights)
    if cleaner.site_memory:  # what the user's labelled pages of a site say (model/adapt.py)
        final, remembered = recall(table, final, cleaner.labels, cleaner.site_memory)
        keep = np.where(remembered & (keep < 0), final.argmax(axis=1), keep)
    return final, keep


def _write_labels(table: pa.Table, chosen: list[str], conf: Floats, part: Labels,
                  model_label: list[str]) -> pa.Table:
    """*table* with the chosen labels, their confidence and article parts, and the model's own
    label as its vote (replacing an earlier one)."""
    from curation.schema import SEGMENT_SCHEMA

    def put(t: pa.Table, name: str, values: object) -> pa.Table:
        arr = values if isinstance(values, pa.Array) else pa.array(
            values, type=SEGMENT_SCHEMA.field(name).type)
        return t.set_column(t.schema.get_field_index(name), name, arr)

    table = put(table, "votes", _with_model_vote(table.column("votes"), model_label))
    table = put(table, "prelabel", chosen)
    table = put(table, "confidence", conf)
    table = put(table, "label", chosen)
    table = put(table, "article_part", part.tolist())
    return put(table, "label_source", [MODEL_VOTER] * len(chosen))


def _with_model_vote(votes: pa.ChunkedArray, model_label: list[str]) -> pa.Array:
    """Each row's votes without an earlier model vote, then {"rule": "model", "label": its
    label}; in Arrow arrays, not a dict a vote (a batch has ~60,000 votes)."""
    from curation.schema import VOTE_TYPE

    lists = votes.combine_chunks() if votes.num_chunks != 1 else votes.chunk(0)
    n = len(lists)
    parent = np.asarray(pc.list_parent_indices(lists).to_numpy(zero_copy_only=False))
    flat = lists.flatten()  # the items of the rows' lists, in row order (null lists: none)
    keep = np.asarray(pc.not_equal(flat.field("rule"), MODEL_VOTER).fill_null(True)
                      .to_numpy(zero_copy_only=False))
    rows = np.concatenate([parent[keep], np.arange(n)])
    order = np.argsort(rows, kind="stable")  # a row's kept votes, then the model's
    take = pa.array(order)
    rule = pa.concat_arrays([flat.field("rule").filter(pa.array(keep)),
                             pa.array([MODEL_VOTER] * n, pa.string())]).take(take)
    label = pa.concat_arrays([flat.field("label").filter(pa.array(keep)),
                              pa.array(model_label, pa.string())]).take(take)
    offsets = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(np.bincount(rows, minlength=n), out=offsets[1:])
    items = pa.StructArray.from_arrays([rule, label], fields=list(VOTE_TYPE))
    return pa.ListArray.from_arrays(pa.array(offsets), items, type=pa.list_(VOTE_TYPE))
