"""Segment features for the trained cleaner: a sparse matrix from a pre-labelled SEGMENT_SCHEMA
table (pages contiguous, positions ascending, rule votes present).

Three blocks, all fixed functions of the input (nothing is fitted here, so the same config
always gives the same columns): hashed string features, hashed char n-grams of the (lower-cased,
digit-folded) text start, and dense numbers on a 0..~1 scale. Features come in groups
(`GROUPS`), each computed by one function; `FeatureConfig.groups` names those in use (a group
left out adds no string feature and zeros in its dense columns, so the width never changes).
"classes" (class/id tokens) is left out by default: under CV grouped by site it memorises the
class names of the training sites and does not carry to others (benchmarks/feature_ablation.py).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from functools import cached_property, lru_cache, partial
from typing import cast

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import scipy.sparse as sp

from curation.label.votes import voted
from curation.model import page_shape
from curation.model.arrays import Bools, Floats, Ints
from curation.model.chargrams import text_rows
from curation.model.charstats import CharCounts, char_counts
from curation.model.coded import Coded, count_in_runs, factorize, page_runs, run_ids
from curation.model.csr import joined
from curation.model.hashing import TokenRows
from curation.taxonomy import ARTICLE, site_of

# Bump when the code below changes what a feature means: a model trained with another value
# is refused at load time (its weights would silently mean something else).
FEATURE_CODE_VERSION = 3  # 3: feature groups; main run, headings, parent links, shapes, images

GROUPS = (
    "chars", "text", "tags", "classes", "votes", "context", "position", "repetition", "links",
    "template", "main_run", "headings", "parent_links", "siblings", "images",
)
DEFAULT_GROUPS = tuple(g for g in GROUPS if g != "classes")

_DIGITS = re.compile(r"\d+")
_HEADINGS = frozenset(("h1", "h2", "h3", "h4", "h5", "h6"))
_HEADING_LEVEL = {f"h{k}": k for k in range(1, 7)}


@dataclass(frozen=True)
class FeatureConfig:
    """What the featurizer computes; saved in the model file and hashed into its identity."""

    char_ngram_min: int = 2
    char_ngram_max: int = 4
    char_max_chars: int = 200  # n-grams of the text start: bounded cost on long paragraphs
    char_features: int = 2**15  # small hash spaces: the packaged model stays ~2 MB
    token_features: int = 2**15
    window: int = 2  # neighbours on each side whose structure and votes are features
    cross_page: bool = True  # repetition of a text across pages of one site in the same run
    groups: tuple[str, ...] = DEFAULT_GROUPS

    def __post_init__(self) -> None:
        groups = tuple(self.groups)  # a list when read back from a model file's JSON
        unknown = sorted(set(groups) - set(GROUPS))
        if unknown:
            raise ValueError(f"unknown feature groups {unknown}; known: {', '.join(GROUPS)}")
        object.__setattr__(self, "groups", groups)

    def digest(self, rule_names: list[str]) -> str:
        """Identity of the feature space: config, feature code version, rules voting."""
        blob = json.dumps(
            {"cfg": asdict(self), "code": FEATURE_CODE_VERSION, "rules": sorted(rule_names)},
            sort_keys=True,
        )
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


DENSE_NAMES = (
    "log_chars", "log_words", "link_density", "in_main", "rel_pos", "punct", "digit", "upper",
    "dup_in_page", "cross_page", "site_pages", "is_html", "ends_sentence", "win_article",
    "prev_log_words", "next_log_words", "prev_link", "next_link", "heading", "h1", "in_list",
    "template_in_page", "template_share", "template_site", "run_inside", "run_before_dist",
    "run_after_dist", "heading_level_before", "parent_link_density", "same_shape_siblings",
    "image_before", "image_after", "mean_word_len",
)


_WORD_EDGES = (1, 2, 3, 5, 8, 12, 20, 30, 50, 100)
_LD_EDGES = (0.01, 0.2, 0.5, 0.8, 0.99)
_POS_EDGES = (0.05, 0.15, 0.3, 0.5, 0.7, 0.85, 0.95)
_COUNT_EDGES = (2, 3, 5, 9, 17)
_SHARE_EDGES = (0.01, 0.25, 0.5, 0.75, 0.99)


def _norm_text(t: str) -> str:
    return _DIGITS.sub("0", t.lower()).strip()


def text_norms(table: pa.Table) -> tuple[list[str], dict[str, str]]:
    """Each row's normalised text and, per distinct text, its normalised form: a batch's,
    made once for its cross-page counts and every chunk's features (`featurize(norms=)`)."""
    text = Coded.of_arrow(table.column("text"))
    distinct = [_norm_text(t) for t in text.values]
    return (list(map(distinct.__getitem__, text.codes.tolist())),
            dict(zip(text.values, distinct, strict=True)))


def _key(kind: str, site: str, value: str) -> int:
    # Python's own 64-bit hash: SiteCounts live and die in one process (never stored or sent),
    # so its per-process salt changes nothing, and it costs a tenth of a digest
    return hash((kind, site, value))


class SiteCounts:
    """Per site of a run, its pages and, per normalised text and per template (tag path), how
    many of them hold it.

    Keys are 8-byte hashes (ints), so a run of many pages costs a dict of ints, not its
    strings; filled chunk by chunk, it lets chunks of one run be featurised apart. A page alone
    in its run (a site with one page) has no cross-page repetition: those features are 0."""

    def __init__(self) -> None:
        self.pages: Counter[str] = Counter()
        self.texts: dict[int, int] = {}

    def add(self, table: pa.Table, norms: list[str] | None = None) -> SiteCounts:
        """Count the pages of *table* (pages contiguous; each page added once per run).
        *norms*: each row's normalised text, when the caller has them already."""
        domains = table.column("domain").to_pylist()
        urls = table.column("url").to_pylist()
        text = table.column("text").to_pylist() if norms is None else []
        paths = table.column("tag_path").to_pylist()
        for a, b in page_runs(table):
            site = site_of(domains[a] or urls[a])
            self.pages[site] += 1
            # a page repeats its boilerplate: each distinct text and path is hashed once
            page_norms = (set(norms[a:b]) if norms is not None
                          else {_norm_text(t or "") for t in set(text[a:b])})
            keys = {_key("t", site, norm) for norm in page_norms}
            keys |= {_key("p", site, p or "") for p in set(paths[a:b])}
            for k in keys:
                self.texts[k] = self.texts.get(k, 0) + 1
        return self

    def text_pages(self, site: str, norm: str) -> int:
        """How many pages of *site* hold the normalised text *norm*."""
        return self.texts.get(_key("t", site, norm), 0)

    def template_pages(self, site: str, tag_path: str) -> int:
        """How many pages of *site* hold a block with the tag path *tag_path*."""
        return self.texts.get(_key("p", site, tag_path), 0)


def _voted_rules(table: pa.Table, rule_names: list[str]) -> Coded:
    """Per row, the names of the rules of *rule_names* that voted on it, sorted. A batch has a
    few hundred distinct sets for ~20,000 rows: each set's tuple is made once."""
    names = sorted(set(rule_names))
    if not names:
        return Coded(np.zeros(table.num_rows, dtype=np.int64), [()])
    rows = np.ascontiguousarray(np.packbits(voted(table, names), axis=1))
    # each row's bits as one bytes object, numbered first seen first (np.unique(axis=0) sorts
    # the rows as records: 4x slower)
    keys = cast(list[bytes], rows.view(np.dtype((np.void, rows.shape[1]))).ravel().tolist())
    which, distinct = factorize(keys)
    sets = [tuple(n for n, v in zip(names, np.unpackbits(np.frombuffer(c, dtype=np.uint8))
                                    [: len(names)], strict=True) if v)
            for c in distinct]
    return Coded(which, sets)


_WORD_BINS = [str(i) for i in range(len(_WORD_EDGES) + 1)]
_LD_BINS = [str(i) for i in range(len(_LD_EDGES) + 1)]


@dataclass
class _Segments:
    """The columns of one table every group reads, and its pages. String columns are coded
    (`coded.Coded`): what depends on a value alone is computed once per distinct value, and
    the groups' keys are made from codes, not row by row."""

    n: int
    text: Coded  # boilerplate repeats: its distinct texts, first seen first
    norm: list[str]  # per row, the normalised text
    norm_code: Ints  # per row, its normalised text's number (equal texts, equal numbers)
    norms: list[str]  # the distinct normalised texts, by number
    tag: Coded  # the tag path ("" for text input)
    attrs: Coded
    pre: Coded  # the rules' pre-label ("none" where none)
    votes: Coded  # the rules that voted on the row, sorted
    ld: Floats
    in_main: Bools
    after_image: Bools
    is_art: Bools  # pre-labelled article
    words: Floats
    chars: Floats
    runs: list[tuple[int, int]]  # each page's rows [a, b)
    sites: list[str]
    page_idx: Ints
    counted: CharCounts  # character counts of the distinct texts
    wb: Coded  # the word-count bin
    ldb: Coded  # the link-density bin

    @classmethod
    def of(cls, table: pa.Table, rule_names: list[str],
           known_norms: Mapping[str, str] | None = None) -> _Segments:
        """*known_norms*: the normalised form of every text of *table* (`text_norms`)."""
        n = table.num_rows
        text = Coded.of_arrow(table.column("text"))
        norm_of_text, norms = factorize(
            [_norm_text(t) for t in text.values] if known_norms is None
            else list(map(known_norms.__getitem__, text.values)))
        norm_code = norm_of_text[text.codes] if len(norms) else np.zeros(n, dtype=np.int64)
        counted = char_counts(text.values)
        pages = page_runs(table)
        starts = pa.array([a for a, _ in pages], pa.int64())
        domains = table.column("domain").take(starts).to_pylist()
        urls = table.column("url").take(starts).to_pylist()
        pre = Coded.of_arrow(table.column("prelabel"), null="none").map(lambda p: p or "none")
        words = counted.words.astype(float)[text.codes]
        ld = np.asarray(pc.fill_null(table.column("link_density"), 0.0)
                        .to_numpy(zero_copy_only=False), dtype=np.float64)
        return cls(
            n=n, text=text, norm=list(map(norms.__getitem__, norm_code.tolist())),
            norm_code=norm_code, norms=norms, tag=Coded.of_arrow(table.column("tag_path")),
            attrs=Coded.of_arrow(table.column("attrs")), pre=pre,
            votes=_voted_rules(table, rule_names), ld=ld,
            in_main=_flags(table.column("in_main")),
            after_image=_flags(table.column("after_image")),
            is_art=pre.per_row(lambda p: p == ARTICLE, np.bool_),
            words=words, chars=text.per_row(len), runs=pages,
            sites=[site_of(d or u) for d, u in zip(domains, urls, strict=True)],
            page_idx=np.repeat(np.arange(len(pages)), [b - a for a, b in pages]),
            counted=counted,
            wb=Coded.of_ints(np.searchsorted(_WORD_EDGES, words, side="right"), _WORD_BINS),
            ldb=Coded.of_ints(np.searchsorted(_LD_EDGES, ld, side="right"), _LD_BINS),
        )

    def neighbour(self, by: int) -> tuple[Ints, Bools]:
        """Per row the row *by* places away, and whether it is on the same page."""
        idx = np.arange(self.n) + by
        ok = (idx >= 0) & (idx < self.n)
        ok[ok] = self.page_idx[idx[ok]] == self.page_idx[ok]
        return idx, ok

    def shifted_num(self, values: Floats, by: int) -> Floats:
        """Numeric *values* of the row *by* places away on the same page (0 past its ends)."""
        out = np.zeros(self.n)
        idx, ok = self.neighbour(by)
        out[ok] = values[idx[ok]]
        return out

    def per_page(self, fn: Callable[[int, int], Floats]) -> Floats:
        """fn(a, b) for each page's rows [a, b), concatenated."""
        if not self.runs:
            return np.zeros(0)
        return np.concatenate([np.asarray(fn(a, b), dtype=float) for a, b in self.runs])

    def page_start(self) -> Ints:
        """Per row, its page's first row."""
        return np.array([a for a, _ in self.runs], dtype=np.int64)[self.page_idx]

    @cached_property
    def sibling_runs(self) -> Ints:
        """Per row, the number of its run of consecutive siblings: rows of one page whose tag
        paths have the same parent (two groups read it: found once)."""
        parent_of_tag, _ = factorize([page_shape.parent_path(t) for t in self.tag.values])
        parent = parent_of_tag[self.tag.codes] if self.tag.values else self.tag.codes
        return run_ids(self.page_idx, parent)


def _flags(column: pa.ChunkedArray) -> Bools:
    """A boolean column as a numpy mask (null: False)."""
    return np.asarray(pc.fill_null(column, False).to_numpy(zero_copy_only=False),
                      dtype=np.bool_)


Dense = dict[str, Floats]


def _log_scaled(x: Floats) -> Floats:
    return np.asarray(np.log1p(np.maximum(x, 0)) / math.log1p(1000))


def _lt2(tp: str) -> str:
    return ">".join(tp.split(">")[-2:]) if tp else "text"


def _text(s: _Segments, cfg: FeatureConfig, counts: SiteCounts, tok: TokenRows, d: Dense) -> None:
    safe = np.maximum(s.chars, 1)
    c = s.counted
    idx = s.text.codes
    d["log_chars"] = _log_scaled(s.chars) / 1.5
    d["log_words"] = _log_scaled(s.words)
    d["punct"] = c.punct[idx] / safe
    d["digit"] = c.digits[idx] / safe
    d["upper"] = (c.upper_letters / np.maximum(c.letters, 1))[idx]
    d["ends_sentence"] = s.text.per_row(lambda t: t.rstrip()[-1:] in ".!?\"'”»")
    d["mean_word_len"] = _log_scaled(s.chars / np.maximum(s.words, 1)) * 2
    tok.add_joint([s.wb], lambda k: (f"w={k[0]}",))


def _tags(s: _Segments, cfg: FeatureConfig, counts: SiteCounts, tok: TokenRows, d: Dense) -> None:
    d["is_html"] = s.tag.per_row(bool)
    d["heading"] = s.tag.per_row(lambda tp: page_shape.last_tag(tp) in _HEADINGS)
    d["h1"] = s.tag.per_row(lambda tp: page_shape.last_tag(tp) == "h1")
    d["in_list"] = s.tag.per_row(lambda tp: ">li" in tp or tp.startswith("li"))
    tok.add_joint([s.tag], lambda k: (
        f"lt={_lt2(k[0])}", *(f"tag={t}" for t in set(k[0].split(">")) if t)))


def _classes(s: _Segments, cfg: FeatureConfig, counts: SiteCounts, tok: TokenRows, d: Dense
             ) -> None:
    tok.add_joint([s.attrs], lambda k: tuple(f"attr={t}" for t in k[0].split()[-12:]))


def _votes(s: _Segments, cfg: FeatureConfig, counts: SiteCounts, tok: TokenRows, d: Dense) -> None:
    is_art = s.is_art.astype(float)
    k = cfg.window + 1

    def window_share(a: int, b: int) -> Floats:
        m = b - a
        csum = np.concatenate([[0.0], np.cumsum(is_art[a:b])])
        lo = np.clip(np.arange(m) - k, 0, m)
        hi = np.clip(np.arange(m) + k + 1, 0, m)
        return np.asarray((csum[hi] - csum[lo] - is_art[a:b]) / np.maximum(hi - lo - 1, 1))

    d["win_article"] = s.per_page(window_share)
    tok.add_joint([s.pre, s.wb, s.votes], lambda k: (
        f"pre={k[0]}", f"pre={k[0]}&w={k[1]}", *(f"vote={v}" for v in k[2])))


def _context(s: _Segments, cfg: FeatureConfig, counts: SiteCounts, tok: TokenRows, d: Dense
             ) -> None:
    lt = s.tag.map(_lt2)
    for by in [b for k in range(1, cfg.window + 1) for b in (-k, k)]:
        idx, ok = s.neighbour(by)
        npre = s.pre.taken(idx, ok, "edge")
        if abs(by) == 1:
            near = [npre, s.pre, lt.taken(idx, ok, "edge"), s.wb.taken(idx, ok, "edge"),
                    s.votes.taken(idx, ok, ("edge",))]
            tok.add_joint(near, partial(_near_tokens, by))
        else:
            tok.add_joint([npre, s.pre], partial(_far_tokens, by))
    d["prev_log_words"] = _log_scaled(s.shifted_num(s.words, -1))
    d["next_log_words"] = _log_scaled(s.shifted_num(s.words, 1))
    d["prev_link"] = s.shifted_num(s.ld, -1)
    d["next_link"] = s.shifted_num(s.ld, 1)


@lru_cache(maxsize=1 << 16)
def _near_tokens(by: int, k: tuple[str, str, str, str, tuple[str, ...]]) -> tuple[str, ...]:
    """The tokens of the neighbour *by* (+-1) places away: its pre-label (alone and with the
    row's own), tag, word bin and the rules that voted on it ("edge" past the page's ends).
    Remembered: a batch of 256 pages has ~16,000 distinct keys a side, and a run's batches
    share many."""
    npre, pre, lt, wb, votes = k
    return (f"{by}:pre={npre}", f"{by}:pre={npre}&self={pre}", f"{by}:lt={lt}", f"{by}:w={wb}",
            *(f"{by}:vote={v}" for v in votes))


def _far_tokens(by: int, k: tuple[str, str]) -> tuple[str, ...]:
    """The tokens of a neighbour further away: its pre-label, alone and with the row's own."""
    return (f"{by}:pre={k[0]}", f"{by}:pre={k[0]}&self={k[1]}")


_REGIONS = ["nomain", "before", "after", "inside", "hole"]


def _regions(s: _Segments) -> Ints:
    """Per row its place against the page's main container (`_REGIONS`): before its first
    block, after its last, inside it or in a hole of it; against the article rows when the
    page has no main container."""
    out = np.zeros(s.n, dtype=np.int64)
    for a, b in s.runs:
        in_main = s.in_main[a:b]
        mains = np.flatnonzero(in_main)
        anchor = mains if len(mains) else np.flatnonzero(s.is_art[a:b])
        if not len(anchor):
            continue
        idx = np.arange(b - a)
        region = np.where(in_main | (len(mains) == 0), 3, 4)
        region[idx < anchor[0]] = 1
        region[idx > anchor[-1]] = 2
        out[a:b] = region
    return out


def _position(s: _Segments, cfg: FeatureConfig, counts: SiteCounts, tok: TokenRows, d: Dense
              ) -> None:
    rel_pos = s.per_page(lambda a, b: np.arange(b - a) / max(b - a - 1, 1))
    d["in_main"] = s.in_main.astype(float)
    d["rel_pos"] = rel_pos
    # bins: the index of the first edge above the value (len(edges) when none is)
    pos = Coded.of_ints(np.searchsorted(_POS_EDGES, rel_pos, side="right"))
    keys = [Coded(_regions(s), _REGIONS), pos, Coded.of_ints(s.in_main.astype(np.int64), [0, 1]),
            s.pre]
    tok.add_joint(keys, lambda k: (f"region={k[0]}", f"pos={k[1]}", f"main={k[2]}",
                                   f"region={k[0]}&pre={k[3]}"))


_XPAGE = ["0", "1", "2", "3", "4", "unique", ""]


def _repetition(s: _Segments, cfg: FeatureConfig, counts: SiteCounts, tok: TokenRows, d: Dense
                ) -> None:
    dup = count_in_runs(s.page_idx, s.norm_code).astype(float)
    n_site = np.repeat([counts.pages[site] if site else 1 for site in s.sites],
                       [b - a for a, b in s.runs]).astype(float)
    cross = np.zeros(s.n)
    if cfg.cross_page:
        for (a, b), site in zip(s.runs, s.sites, strict=True):
            pages = counts.pages[site] if site else 1
            if pages > 1:
                cross[a:b] = [(counts.text_pages(site, t) - 1) / (pages - 1) for t in s.norm[a:b]]
    d["dup_in_page"] = _log_scaled(dup - 1)
    d["cross_page"] = cross
    d["site_pages"] = _log_scaled(n_site - 1)
    # the share of the site's pages holding the text in quarters, "unique" on none of them
    xpage = np.where(cross > 0, np.minimum((cross * 4).astype(np.int64), 4),
                     np.where(n_site > 1, 5, 6))
    keys = [Coded.of_ints(np.minimum(dup, 4).astype(np.int64)), Coded(xpage, _XPAGE)]
    tok.add_joint(keys, lambda k: (f"dup={k[0]}", *((f"xpage={k[1]}",) if k[1] else ())))


def _links(s: _Segments, cfg: FeatureConfig, counts: SiteCounts, tok: TokenRows, d: Dense) -> None:
    d["link_density"] = s.ld
    tok.add_joint([s.ldb, s.tag], lambda k: (f"ld={k[0]}", f"lt={_lt2(k[1])}&ld={k[0]}"))


def _template(s: _Segments, cfg: FeatureConfig, counts: SiteCounts, tok: TokenRows, d: Dense
              ) -> None:
    """How often the block's template (its tag path, no class names) repeats on the page and
    on the site's other pages of the run."""
    in_page = count_in_runs(s.page_idx, s.tag.codes).astype(float)
    share = in_page / np.repeat([b - a for a, b in s.runs], [b - a for a, b in s.runs])
    site_share = np.full(s.n, -1.0)
    if cfg.cross_page:
        paths = s.tag.rows()
        for (a, b), site in zip(s.runs, s.sites, strict=True):
            pages = counts.pages[site] if site else 1
            if pages > 1:
                site_share[a:b] = [(counts.template_pages(site, tp) - 1) / (pages - 1)
                                   for tp in paths[a:b]]
    d["template_in_page"] = _log_scaled(in_page - 1)
    d["template_share"] = share
    d["template_site"] = np.maximum(site_share, 0)
    keys = [Coded.of_ints(np.searchsorted(_COUNT_EDGES, in_page, side="right")),
            Coded.of_ints(np.where(site_share >= 0,
                                   np.searchsorted(_SHARE_EDGES, site_share, side="right"),
                                   len(_SHARE_EDGES) + 1))]
    tok.add_joint(keys, lambda k: (
        f"tmpl={k[0]}", *((f"tmpl_site={k[1]}",) if k[1] <= len(_SHARE_EDGES) else ())))


_WHERE = ["none", "before", "inside", "after"]


def _main_run(s: _Segments, cfg: FeatureConfig, counts: SiteCounts, tok: TokenRows, d: Dense
              ) -> None:
    """Place against the page's main run of article text (by the rules' pre-labels)."""
    where = np.zeros(s.n, dtype=np.int64)
    dist = np.zeros(s.n)
    for a, b in s.runs:
        span = page_shape.main_run(s.words[a:b], s.is_art[a:b])
        if span is None:
            continue
        lo, hi = span
        idx = np.arange(b - a)
        where[a:b] = np.where(idx < lo, 1, np.where(idx > hi, 3, 2))
        dist[a:b] = np.where(idx < lo, lo - idx, np.where(idx > hi, idx - hi, 0))
    d["run_inside"] = (where == 2).astype(float)
    d["run_before_dist"] = np.where(where == 1, _log_scaled(dist), 0.0)
    d["run_after_dist"] = np.where(where == 3, _log_scaled(dist), 0.0)
    near = Coded.of_ints(np.searchsorted(_COUNT_EDGES, dist, side="right"))
    tok.add_joint([Coded(where, _WHERE), near, s.pre], lambda k: (
        f"run={k[0]}", f"run={k[0]}&d={k[1]}", f"run={k[0]}&pre={k[2]}"))


def _headings(s: _Segments, cfg: FeatureConfig, counts: SiteCounts, tok: TokenRows, d: Dense
              ) -> None:
    """The level of the nearest heading before the row on its page (0: none), and how many
    rows back it is."""
    own = s.tag.per_row(lambda tp: _HEADING_LEVEL.get(page_shape.last_tag(tp), 0), np.int64)
    idx = np.arange(s.n)
    seen = np.maximum.accumulate(np.where(own > 0, idx, -1)) if s.n else idx
    prev = np.concatenate([[-1], seen[:-1]]).astype(np.int64) if s.n else idx
    on_page = prev >= s.page_start()
    level = np.where(on_page, own[np.maximum(prev, 0)], 0)
    since = np.where(on_page, idx - prev, -1)
    d["heading_level_before"] = level / 6
    keys = [Coded.of_ints(level), Coded.of_ints(np.searchsorted(_COUNT_EDGES, since,
                                                                side="right"))]
    tok.add_joint(keys, lambda k: (f"hprev={k[0]}", f"hprev={k[0]}&d={k[1]}"))


def _parent_links(s: _Segments, cfg: FeatureConfig, counts: SiteCounts, tok: TokenRows, d: Dense
                  ) -> None:
    """The character-weighted link density of the row's consecutive siblings (itself
    included): its parent's."""
    run = s.sibling_runs
    w = np.maximum(s.chars, 1.0)
    pld: Floats = np.zeros(s.n)
    if s.n:
        pld[:] = (np.bincount(run, s.ld * w) / np.bincount(run, w))[run]
    d["parent_link_density"] = pld
    keys = [Coded.of_ints(np.searchsorted(_LD_EDGES, pld, side="right")), s.ldb]
    tok.add_joint(keys, lambda k: (f"pld={k[0]}", f"pld={k[0]}&ld={k[1]}"))


def _siblings(s: _Segments, cfg: FeatureConfig, counts: SiteCounts, tok: TokenRows, d: Dense
              ) -> None:
    """How many consecutive siblings (the row included) have the row's shape (its own tag and
    word bin): lists and cards of teasers, menus, comment threads."""
    own_of_tag, _ = factorize([page_shape.last_tag(t) for t in s.tag.values])
    own = own_of_tag[s.tag.codes] if s.tag.values else s.tag.codes
    shape = own * len(_WORD_BINS) + s.wb.codes
    same = count_in_runs(s.sibling_runs, shape).astype(float)
    d["same_shape_siblings"] = _log_scaled(same - 1)
    keys = [Coded.of_ints(np.searchsorted(_COUNT_EDGES, same, side="right")), s.pre]
    tok.add_joint(keys, lambda k: (f"sib={k[0]}", f"sib={k[0]}&pre={k[1]}"))


def _images(s: _Segments, cfg: FeatureConfig, counts: SiteCounts, tok: TokenRows, d: Dense) -> None:
    before, after = np.zeros(s.n), np.zeros(s.n)
    for a, b in s.runs:
        before[a:b], after[a:b] = page_shape.image_before_after(s.after_image[a:b])
    d["image_before"], d["image_after"] = before, after
    keys = [Coded.of_ints(before.astype(np.int64), [0, 1]),
            Coded.of_ints(after.astype(np.int64), [0, 1]), s.wb]
    tok.add_joint(keys, lambda k: (f"img={k[0]}{k[1]}", f"img={k[0]}{k[1]}&w={k[2]}")
                  if k[0] or k[1] else ())


_GROUP_FUNCTIONS: dict[str, Callable[[_Segments, FeatureConfig, SiteCounts, TokenRows, Dense],
                                     None]] = {
    "text": _text, "tags": _tags, "classes": _classes, "votes": _votes, "context": _context,
    "position": _position, "repetition": _repetition, "links": _links, "template": _template,
    "main_run": _main_run, "headings": _headings, "parent_links": _parent_links,
    "siblings": _siblings, "images": _images,
}


def featurize(
    table: pa.Table,
    cfg: FeatureConfig,
    rule_names: list[str],
    site_counts: SiteCounts | None = None,
    norms: Mapping[str, str] | None = None,
) -> sp.csr_matrix:
    """The feature matrix of *table* (one row a segment, same order).

    Cross-page repetition is counted over *site_counts* (the whole run, when *table* is one
    page-aligned chunk of it), else over *table* itself. *norms*: the normalised form of each
    of the table's texts, when the caller made them for the run (`text_norms`)."""
    n = table.num_rows
    if n == 0:
        return sp.csr_matrix((0, cfg.token_features + cfg.char_features + len(DENSE_NAMES)))
    s = _Segments.of(table, rule_names, norms)
    counts = site_counts if site_counts is not None else SiteCounts().add(table, s.norm)
    tokens = TokenRows(n)
    dense: Dense = {}
    for group in GROUPS:
        fn = _GROUP_FUNCTIONS.get(group)
        if fn is not None and group in cfg.groups:
            fn(s, cfg, counts, tokens, dense)
    hashed = tokens.matrix(cfg.token_features)
    dense_m = np.column_stack([dense.get(name, np.zeros(n)) for name in DENSE_NAMES])
    return joined([(_row_scale(hashed), None), _char_ngram_rows(s, cfg),
                   (sp.csr_matrix(dense_m), None)], n)


def _char_ngrams(s: _Segments, cfg: FeatureConfig) -> sp.csr_matrix:
    """The char n-gram block, one row a segment (`_char_ngram_rows`, gathered)."""
    distinct, which = _char_ngram_rows(s, cfg)
    return distinct if which is None else distinct[which]


def _char_ngram_rows(s: _Segments, cfg: FeatureConfig) -> tuple[sp.csr_matrix, Ints | None]:
    """The char n-gram rows of the distinct texts and each segment's row among them (None:
    one each): `chargrams.text_rows` of the normalised texts."""
    if "chars" not in cfg.groups:
        return sp.csr_matrix((s.n, cfg.char_features)), None
    return text_rows(s.norms, s.norm_code, s.n, cfg.char_ngram_min, cfg.char_ngram_max,
                     cfg.char_max_chars, cfg.char_features)


def _row_scale(m: sp.csr_matrix) -> sp.csr_matrix:
    """Scale each row of binary features to unit length (rows differ in how many they have)."""
    norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sp.csr_matrix(sp.diags(1.0 / norms) @ m)
