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
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import partial
from itertools import chain
from typing import cast

import numpy as np
import pyarrow as pa
import scipy.sparse as sp
from sklearn.preprocessing import normalize

from curation.label.votes import voted
from curation.model import page_shape
from curation.model.arrays import Bools, Floats, Ints
from curation.model.charstats import CharCounts, char_counts
from curation.model.hashing import TokenRows, string_columns
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
_WHITE_SPACES = re.compile(r"\s\s+")  # scikit-learn's, in its char_wb analyzer


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


def _bin(x: float, edges: tuple[float, ...]) -> int:
    """The index of the first edge above *x* (len(edges) when none is)."""
    return bisect_right(edges, x)


_WORD_EDGES = (1, 2, 3, 5, 8, 12, 20, 30, 50, 100)
_LD_EDGES = (0.01, 0.2, 0.5, 0.8, 0.99)
_POS_EDGES = (0.05, 0.15, 0.3, 0.5, 0.7, 0.85, 0.95)
_COUNT_EDGES = (2, 3, 5, 9, 17)
_SHARE_EDGES = (0.01, 0.25, 0.5, 0.75, 0.99)


def _norm_text(t: str) -> str:
    return _DIGITS.sub("0", t.lower()).strip()


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
        page_ids = table.column("page_id").to_pylist()
        domains = table.column("domain").to_pylist()
        urls = table.column("url").to_pylist()
        text = table.column("text").to_pylist() if norms is None else []
        paths = table.column("tag_path").to_pylist()
        for a, b in page_shape.equal_runs(page_ids):
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


def _voted_rules(table: pa.Table, rule_names: list[str]) -> list[tuple[str, ...]]:
    """Per row, the names of the rules of *rule_names* that voted on it, sorted. A batch has a
    few hundred distinct sets for ~20,000 rows: each set's tuple is made once."""
    names = sorted(set(rule_names))
    if not names:
        return [()] * table.num_rows
    rows = np.ascontiguousarray(np.packbits(voted(table, names), axis=1))
    # each row's bits as one bytes object, numbered first seen first (np.unique(axis=0) sorts
    # the rows as records: 4x slower)
    keys = cast(list[bytes], rows.view(np.dtype((np.void, rows.shape[1]))).ravel().tolist())
    ids: dict[bytes, int] = {}
    which = [ids.setdefault(k, len(ids)) for k in keys]
    sets = [tuple(n for n, v in zip(names, np.unpackbits(np.frombuffer(c, dtype=np.uint8))
                                    [: len(names)], strict=True) if v)
            for c in ids]
    return [sets[k] for k in which]


@dataclass
class _Segments:
    """The columns of one table every group reads, and its pages."""

    n: int
    text: list[str]
    norm: list[str]
    tag_path: list[str]
    last_tag: list[str]
    attrs: list[str]
    ld: Floats
    in_main: Bools
    after_image: Bools
    pre: list[str]
    votes: list[tuple[str, ...]]
    words: Floats
    chars: Floats
    runs: list[tuple[int, int]]
    sites: list[str]
    page_idx: Ints
    counted: CharCounts  # character counts of the distinct texts
    word_bins: list[str] = field(default_factory=list)  # computed once, in _with_bins
    ld_bins: list[str] = field(default_factory=list)  # computed once, in _with_bins
    # the distinct texts (first seen first) and each row's index among them: boilerplate
    # repeats, so what depends on a text alone is computed once per distinct text
    distinct: list[str] = field(default_factory=list)
    text_idx: Ints = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    @classmethod
    def of(cls, table: pa.Table, rule_names: list[str]) -> _Segments:
        text = [t or "" for t in table.column("text").to_pylist()]
        first: dict[str, int] = {}
        text_idx = np.fromiter((first.setdefault(t, len(first)) for t in text), dtype=np.int64,
                               count=len(text))
        distinct = list(first)
        norm = [_norm_text(t) for t in distinct]
        counted = char_counts(distinct)
        tag_path = [t or "" for t in table.column("tag_path").to_pylist()]
        page_ids = table.column("page_id").to_pylist()
        domains = table.column("domain").to_pylist()
        urls = table.column("url").to_pylist()
        runs = page_shape.equal_runs(page_ids)
        return cls(
            n=table.num_rows, text=text, norm=[norm[i] for i in text_idx.tolist()],
            tag_path=tag_path,
            last_tag=[page_shape.last_tag(tp) for tp in tag_path],
            attrs=[a or "" for a in table.column("attrs").to_pylist()],
            ld=np.array([x or 0.0 for x in table.column("link_density").to_pylist()], float),
            in_main=np.array([bool(x) for x in table.column("in_main").to_pylist()]),
            after_image=np.array([bool(x) for x in table.column("after_image").to_pylist()]),
            pre=[p or "none" for p in table.column("prelabel").to_pylist()],
            votes=_voted_rules(table, rule_names),
            words=counted.words.astype(float)[text_idx], counted=counted,
            chars=np.array([len(t) for t in text], dtype=float),
            runs=runs, sites=[site_of(domains[a] or urls[a]) for a, _ in runs],
            page_idx=np.repeat(np.arange(len(runs)), [b - a for a, b in runs]),
            distinct=distinct, text_idx=text_idx,
        )._with_bins()

    def _with_bins(self) -> _Segments:
        self.word_bins = list(map(str, np.searchsorted(_WORD_EDGES, self.words, side="right")
                                  .tolist()))
        self.ld_bins = list(map(str, np.searchsorted(_LD_EDGES, self.ld, side="right").tolist()))
        return self

    def shifted(self, values: list[str], by: int) -> list[str]:
        """*values* of the row *by* places away on the same page ("edge" past its ends)."""
        idx = np.arange(self.n) + by
        ok = (idx >= 0) & (idx < self.n)
        ok[ok] = self.page_idx[idx[ok]] == self.page_idx[ok]
        out = np.full(self.n, "edge", dtype=object)
        out[ok] = np.asarray(values, dtype=object)[idx[ok]]
        shifted: list[str] = out.tolist()
        return shifted

    def shifted_num(self, values: Floats, by: int) -> Floats:
        """Numeric *values* of the row *by* places away on the same page (0 past its ends)."""
        out = np.zeros(self.n)
        idx = np.arange(self.n) + by
        ok = (idx >= 0) & (idx < self.n)
        ok[ok] = self.page_idx[idx[ok]] == self.page_idx[ok]
        out[ok] = values[idx[ok]]
        return out

    def per_page(self, fn: Callable[[int, int], Floats]) -> Floats:
        """fn(a, b) for each page's rows [a, b), concatenated."""
        if not self.runs:
            return np.zeros(0)
        return np.concatenate([np.asarray(fn(a, b), dtype=float) for a, b in self.runs])


Dense = dict[str, Floats]


def _log_scaled(x: Floats) -> Floats:
    return np.asarray(np.log1p(np.maximum(x, 0)) / math.log1p(1000))


def _lt2(tp: str) -> str:
    return ">".join(tp.split(">")[-2:]) if tp else "text"


def _text(s: _Segments, cfg: FeatureConfig, counts: SiteCounts, tok: TokenRows, d: Dense) -> None:
    safe = np.maximum(s.chars, 1)
    c = s.counted
    d["log_chars"] = _log_scaled(s.chars) / 1.5
    d["log_words"] = _log_scaled(s.words)
    d["punct"] = c.punct[s.text_idx] / safe
    d["digit"] = c.digits[s.text_idx] / safe
    d["upper"] = (c.upper_letters / np.maximum(c.letters, 1))[s.text_idx]
    d["ends_sentence"] = np.array([t.rstrip()[-1:] in ".!?\"'”»" for t in s.distinct],
                                  dtype=float)[s.text_idx]
    d["mean_word_len"] = _log_scaled(s.chars / np.maximum(s.words, 1)) * 2
    tok.add(s.word_bins, lambda w: (f"w={w}",))


def _tags(s: _Segments, cfg: FeatureConfig, counts: SiteCounts, tok: TokenRows, d: Dense) -> None:
    d["is_html"] = np.array([bool(tp) for tp in s.tag_path], dtype=float)
    d["heading"] = np.array([t in _HEADINGS for t in s.last_tag], dtype=float)
    d["h1"] = np.array([t == "h1" for t in s.last_tag], dtype=float)
    d["in_list"] = np.array([">li" in tp or tp.startswith("li") for tp in s.tag_path], float)
    tok.add(s.tag_path, lambda tp: (
        f"lt={_lt2(tp)}", *(f"tag={t}" for t in set(tp.split(">")) if t)))


def _classes(s: _Segments, cfg: FeatureConfig, counts: SiteCounts, tok: TokenRows, d: Dense
             ) -> None:
    tok.add(s.attrs, lambda a: tuple(f"attr={t}" for t in a.split()[-12:]))


def _votes(s: _Segments, cfg: FeatureConfig, counts: SiteCounts, tok: TokenRows, d: Dense) -> None:
    is_art = np.array([p == ARTICLE for p in s.pre], dtype=float)
    k = cfg.window + 1

    def window_share(a: int, b: int) -> Floats:
        m = b - a
        csum = np.concatenate([[0.0], np.cumsum(is_art[a:b])])
        lo = np.clip(np.arange(m) - k, 0, m)
        hi = np.clip(np.arange(m) + k + 1, 0, m)
        return np.asarray((csum[hi] - csum[lo] - is_art[a:b]) / np.maximum(hi - lo - 1, 1))

    d["win_article"] = s.per_page(window_share)
    tok.add(zip(s.pre, s.word_bins, s.votes, strict=True), lambda k: (
        f"pre={k[0]}", f"pre={k[0]}&w={k[1]}", *(f"vote={v}" for v in k[2])))


def _context(s: _Segments, cfg: FeatureConfig, counts: SiteCounts, tok: TokenRows, d: Dense
             ) -> None:
    lt = [_lt2(tp) for tp in s.tag_path]
    wb = s.word_bins
    vote_str = [" ".join(v) for v in s.votes]
    for by in [b for k in range(1, cfg.window + 1) for b in (-k, k)]:
        npre = s.shifted(s.pre, by)
        if abs(by) == 1:
            keys = zip(npre, s.pre, s.shifted(lt, by), s.shifted(wb, by), s.shifted(vote_str, by),
                       strict=True)
            tok.add(keys, partial(_near_tokens, by))
        else:
            tok.add(zip(npre, s.pre, strict=True), partial(_far_tokens, by))
    d["prev_log_words"] = _log_scaled(s.shifted_num(s.words, -1))
    d["next_log_words"] = _log_scaled(s.shifted_num(s.words, 1))
    d["prev_link"] = s.shifted_num(s.ld, -1)
    d["next_link"] = s.shifted_num(s.ld, 1)


def _near_tokens(by: int, k: tuple[str, str, str, str, str]) -> tuple[str, ...]:
    """The tokens of the neighbour *by* (+-1) places away: its pre-label (alone and with the
    row's own), tag, word bin and the rules that voted on it."""
    npre, pre, lt, wb, votes = k
    return (f"{by}:pre={npre}", f"{by}:pre={npre}&self={pre}", f"{by}:lt={lt}", f"{by}:w={wb}",
            *(f"{by}:vote={v}" for v in votes.split()))


def _far_tokens(by: int, k: tuple[str, str]) -> tuple[str, ...]:
    """The tokens of a neighbour further away: its pre-label, alone and with the row's own."""
    return (f"{by}:pre={k[0]}", f"{by}:pre={k[0]}&self={k[1]}")


def _regions(s: _Segments, a: int, b: int, is_art: Bools) -> list[str]:
    in_main = s.in_main[a:b]
    mains = np.flatnonzero(in_main)
    anchor = mains if len(mains) else np.flatnonzero(is_art[a:b])
    if not len(anchor):
        return ["nomain"] * (b - a)
    out = []
    for i in range(b - a):
        if i < anchor[0]:
            out.append("before")
        elif i > anchor[-1]:
            out.append("after")
        else:
            out.append("inside" if in_main[i] or not len(mains) else "hole")
    return out


def _position(s: _Segments, cfg: FeatureConfig, counts: SiteCounts, tok: TokenRows, d: Dense
              ) -> None:
    is_art = np.array([p == ARTICLE for p in s.pre])
    region = [r for a, b in s.runs for r in _regions(s, a, b, is_art)]
    rel_pos = s.per_page(lambda a, b: np.arange(b - a) / max(b - a - 1, 1))
    d["in_main"] = s.in_main.astype(float)
    d["rel_pos"] = rel_pos
    pos = np.searchsorted(_POS_EDGES, rel_pos, side="right").tolist()  # = _bin, per row
    keys = zip(region, pos, s.in_main.astype(int).tolist(), s.pre, strict=True)
    tok.add(keys, lambda k: (f"region={k[0]}", f"pos={k[1]}", f"main={k[2]}",
                             f"region={k[0]}&pre={k[3]}"))


def _repetition(s: _Segments, cfg: FeatureConfig, counts: SiteCounts, tok: TokenRows, d: Dense
                ) -> None:
    dup = s.per_page(lambda a, b: np.array([c[t] for c in [Counter(s.norm[a:b])]
                                            for t in s.norm[a:b]]))
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
    xpage = [str(min(int(c * 4), 4)) if c > 0 else "unique" if k > 1 else ""
             for c, k in zip(cross.tolist(), n_site.tolist(), strict=True)]
    tok.add(zip(np.minimum(dup, 4).astype(int).tolist(), xpage, strict=True), lambda k: (
        f"dup={k[0]}", *((f"xpage={k[1]}",) if k[1] else ())))


def _links(s: _Segments, cfg: FeatureConfig, counts: SiteCounts, tok: TokenRows, d: Dense) -> None:
    d["link_density"] = s.ld
    tok.add(zip(s.ld_bins, s.tag_path, strict=True),
            lambda k: (f"ld={k[0]}", f"lt={_lt2(k[1])}&ld={k[0]}"))


def _template(s: _Segments, cfg: FeatureConfig, counts: SiteCounts, tok: TokenRows, d: Dense
              ) -> None:
    """How often the block's template (its tag path, no class names) repeats on the page and
    on the site's other pages of the run."""
    in_page = s.per_page(lambda a, b: np.array([c[t] for c in [Counter(s.tag_path[a:b])]
                                                for t in s.tag_path[a:b]]))
    share = in_page / np.repeat([b - a for a, b in s.runs], [b - a for a, b in s.runs])
    site_share = np.full(s.n, -1.0)
    if cfg.cross_page:
        for (a, b), site in zip(s.runs, s.sites, strict=True):
            pages = counts.pages[site] if site else 1
            if pages > 1:
                site_share[a:b] = [(counts.template_pages(site, tp) - 1) / (pages - 1)
                                   for tp in s.tag_path[a:b]]
    d["template_in_page"] = _log_scaled(in_page - 1)
    d["template_share"] = share
    d["template_site"] = np.maximum(site_share, 0)
    tok.add(zip(in_page.tolist(), site_share.tolist(), strict=True), lambda k: (
        f"tmpl={_bin(k[0], _COUNT_EDGES)}",
        *((f"tmpl_site={_bin(k[1], _SHARE_EDGES)}",) if k[1] >= 0 else ())))


def _main_run(s: _Segments, cfg: FeatureConfig, counts: SiteCounts, tok: TokenRows, d: Dense
              ) -> None:
    """Place against the page's main run of article text (by the rules' pre-labels)."""
    is_art = np.array([p == ARTICLE for p in s.pre])
    where: list[str] = []
    dist = np.zeros(s.n)
    for a, b in s.runs:
        w, dd = page_shape.run_relation(b - a, page_shape.main_run(s.words[a:b], is_art[a:b]))
        where += w
        dist[a:b] = dd
    d["run_inside"] = np.array([w == "inside" for w in where], dtype=float)
    d["run_before_dist"] = np.where(np.array(where) == "before", _log_scaled(dist), 0.0)
    d["run_after_dist"] = np.where(np.array(where) == "after", _log_scaled(dist), 0.0)
    near = np.searchsorted(_COUNT_EDGES, dist, side="right").tolist()
    tok.add(zip(where, near, s.pre, strict=True), lambda k: (
        f"run={k[0]}", f"run={k[0]}&d={k[1]}", f"run={k[0]}&pre={k[2]}"))


def _headings(s: _Segments, cfg: FeatureConfig, counts: SiteCounts, tok: TokenRows, d: Dense
              ) -> None:
    level, since = np.zeros(s.n), np.zeros(s.n)
    for a, b in s.runs:
        level[a:b], since[a:b] = page_shape.preceding_heading(s.last_tag[a:b])
    d["heading_level_before"] = level / 6
    keys = zip(level.astype(int).tolist(),
               np.searchsorted(_COUNT_EDGES, since, side="right").tolist(), strict=True)
    tok.add(keys, lambda k: (f"hprev={k[0]}", f"hprev={k[0]}&d={k[1]}"))


def _parent_links(s: _Segments, cfg: FeatureConfig, counts: SiteCounts, tok: TokenRows, d: Dense
                  ) -> None:
    parents = [page_shape.parent_path(tp) for tp in s.tag_path]
    pld = np.zeros(s.n)
    for a, b in s.runs:
        pld[a:b] = page_shape.parent_link_density(parents[a:b], s.ld[a:b], s.chars[a:b])
    d["parent_link_density"] = pld
    keys = zip(np.searchsorted(_LD_EDGES, pld, side="right").tolist(), s.ld_bins, strict=True)
    tok.add(keys, lambda k: (f"pld={k[0]}", f"pld={k[0]}&ld={k[1]}"))


def _siblings(s: _Segments, cfg: FeatureConfig, counts: SiteCounts, tok: TokenRows, d: Dense
              ) -> None:
    parents = [page_shape.parent_path(tp) for tp in s.tag_path]
    shapes = [f"{t}|{w}" for t, w in zip(s.last_tag, s.word_bins, strict=True)]
    same = np.zeros(s.n)
    for a, b in s.runs:
        same[a:b] = page_shape.same_shape_siblings(parents[a:b], shapes[a:b])
    d["same_shape_siblings"] = _log_scaled(same - 1)
    keys = zip(np.searchsorted(_COUNT_EDGES, same, side="right").tolist(), s.pre, strict=True)
    tok.add(keys, lambda k: (f"sib={k[0]}", f"sib={k[0]}&pre={k[1]}"))


def _images(s: _Segments, cfg: FeatureConfig, counts: SiteCounts, tok: TokenRows, d: Dense) -> None:
    before, after = np.zeros(s.n), np.zeros(s.n)
    for a, b in s.runs:
        before[a:b], after[a:b] = page_shape.image_before_after(s.after_image[a:b])
    d["image_before"], d["image_after"] = before, after
    tok.add(zip(before.astype(int).tolist(), after.astype(int).tolist(), s.word_bins,
                strict=True),
            lambda k: (f"img={k[0]}{k[1]}", f"img={k[0]}{k[1]}&w={k[2]}") if k[0] or k[1] else ())


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
) -> sp.csr_matrix:
    """The feature matrix of *table* (one row a segment, same order).

    Cross-page repetition is counted over *site_counts* (the whole run, when *table* is one
    page-aligned chunk of it), else over *table* itself."""
    n = table.num_rows
    if n == 0:
        return sp.csr_matrix((0, cfg.token_features + cfg.char_features + len(DENSE_NAMES)))
    s = _Segments.of(table, rule_names)
    counts = site_counts if site_counts is not None else SiteCounts().add(table, s.norm)
    tokens = TokenRows(n)
    dense: Dense = {}
    for group in GROUPS:
        fn = _GROUP_FUNCTIONS.get(group)
        if fn is not None and group in cfg.groups:
            fn(s, cfg, counts, tokens, dense)
    hashed = tokens.matrix(cfg.token_features)
    dense_m = np.column_stack([dense.get(name, np.zeros(n)) for name in DENSE_NAMES])
    return sp.hstack([_row_scale(hashed), _char_ngrams(s, cfg), sp.csr_matrix(dense_m)],
                     format="csr")


def _word_ngrams(word: str, lo: int, hi: int) -> list[str]:
    """The char_wb n-grams (*lo*..*hi* chars) of one word, as scikit-learn's analyzer makes
    them: the word padded with a space each side; a padded word no longer than n is one
    n-gram, and the longer n are not taken."""
    w = f" {word} "
    grams: list[str] = []
    for n in range(lo, hi + 1):
        if len(w) <= n:
            grams.append(w)
            break
        grams.extend([w[i : i + n] for i in range(len(w) - n + 1)])
    return grams


# per (n-gram sizes, hash space): word -> the columns of its char n-grams (int32 bytes)
_WORD_COLUMNS: dict[tuple[int, int, int], dict[str, bytes]] = {}
_MAX_WORDS_KNOWN = 200_000  # ~30 MB at most; a run's pages share most of their words


def _word_columns(words: list[str], cfg: FeatureConfig) -> dict[str, bytes]:
    """The remembered n-gram columns of words, *words* among them (found and hashed now when
    new to this process)."""
    lo, hi = cfg.char_ngram_min, cfg.char_ngram_max
    known = _WORD_COLUMNS.setdefault((lo, hi, cfg.char_features), {})
    new = [w for w in words if w not in known]
    if not new:
        return known
    if len(known) + len(new) > _MAX_WORDS_KNOWN:
        known.clear()
        new = list(dict.fromkeys(words))
    grams = [_word_ngrams(w, lo, hi) for w in new]
    cols = string_columns(list(chain.from_iterable(grams)), cfg.char_features)
    ends = np.cumsum(np.fromiter(map(len, grams), dtype=np.int64, count=len(grams))).tolist()
    for w, a, b in zip(new, [0, *ends[:-1]], ends, strict=True):
        known[w] = cols[a:b].tobytes()
    return known


def _char_ngrams(s: _Segments, cfg: FeatureConfig) -> sp.csr_matrix:
    """Hashed char n-grams of each text start, l2-normalised rows: what
    `HashingVectorizer(analyzer="char_wb", alternate_sign=False, norm="l2")` gives. A row
    depends on its text alone and its n-grams are those of its words, so each distinct text
    is counted once (boilerplate repeats: 23,445 distinct of 39,472 segments in 200 real pages)
    and each word's n-grams are found and hashed once per process (`_word_columns`: 51,193
    words for 7 million n-grams there); the texts' columns are gathered from their words'."""
    if "chars" not in cfg.groups:
        return sp.csr_matrix((s.n, cfg.char_features))
    docs = [t[: cfg.char_max_chars] for t in s.norm]
    first: dict[str, int] = {}
    which = np.fromiter((first.setdefault(d, len(first)) for d in docs), dtype=np.int64,
                        count=len(docs))
    doc_words = [_WHITE_SPACES.sub(" ", d.lower()).split() for d in first]
    word_id: dict[str, int] = {}
    ids = np.fromiter((word_id.setdefault(w, len(word_id)) for ws in doc_words for w in ws),
                      dtype=np.int64)
    known = _word_columns(list(word_id), cfg)
    word_bytes = [known[w] for w in word_id]
    word_cols = np.frombuffer(b"".join(word_bytes), dtype=np.int32)
    word_len = np.fromiter(map(len, word_bytes), dtype=np.int64, count=len(word_bytes)) // 4
    word_start = np.cumsum(word_len) - word_len
    # each text's n-gram columns: its words' runs of word_cols, one after another
    lengths = word_len[ids]
    offsets = np.cumsum(lengths) - lengths
    cols = word_cols[np.repeat(word_start[ids] - offsets, lengths) + np.arange(lengths.sum())]
    words_before = np.zeros(len(doc_words) + 1, dtype=np.int64)
    np.cumsum(np.fromiter(map(len, doc_words), dtype=np.int64, count=len(doc_words)),
              out=words_before[1:])
    grams_before = np.concatenate([[0], np.cumsum(lengths)])
    counts = sp.csr_matrix((np.ones(len(cols)), cols, grams_before[words_before]),
                           shape=(len(doc_words), cfg.char_features), dtype=np.float64)
    counts.sum_duplicates()  # as FeatureHasher: repeated columns summed, indices sorted
    distinct = sp.csr_matrix(normalize(counts, norm="l2", copy=False))
    return distinct if len(first) == len(docs) else distinct[which]


def _row_scale(m: sp.csr_matrix) -> sp.csr_matrix:
    """Scale each row of binary features to unit length (rows differ in how many they have)."""
    norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sp.csr_matrix(sp.diags(1.0 / norms) @ m)
