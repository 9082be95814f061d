"""Segment features for the trained cleaner: a sparse matrix from a pre-labelled SEGMENT_SCHEMA
table (pages contiguous, positions ascending, rule votes present).

Three hashed blocks and one dense block, all fixed functions of the input (nothing is fitted
here, so the same config always gives the same columns):
- char n-grams of the (lower-cased, digit-folded) text start;
- string features: tag path, class/id tokens, rule votes, binned numbers, the same for the
  neighbours, the page region relative to the main container, repetition bins;
- dense numbers, already on a 0..~1 scale (log lengths, ratios, positions, repetition).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections import Counter
from dataclasses import asdict, dataclass

import numpy as np
import pyarrow as pa
import scipy.sparse as sp
from sklearn.feature_extraction import FeatureHasher
from sklearn.feature_extraction.text import HashingVectorizer

from curation.taxonomy import ARTICLE, site_of

# Bump when the code below changes what a feature means: a model trained with another value
# is refused at load time (its weights would silently mean something else).
FEATURE_CODE_VERSION = 2  # 2: heading, h1 and list-item flags

_DIGITS = re.compile(r"\d+")
_WORD = re.compile(r"\w+")
_PUNCT = re.compile(r"[^\w\s]")
_UPPER = re.compile(r"[^\W\d_]")
_HEADINGS = frozenset(("h1", "h2", "h3", "h4", "h5", "h6"))


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
)


def _bin(x: float, edges: tuple[float, ...]) -> int:
    for i, e in enumerate(edges):
        if x < e:
            return i
    return len(edges)


_WORD_EDGES = (1, 2, 3, 5, 8, 12, 20, 30, 50, 100)
_LD_EDGES = (0.01, 0.2, 0.5, 0.8, 0.99)
_POS_EDGES = (0.05, 0.15, 0.3, 0.5, 0.7, 0.85, 0.95)


def _page_runs(page_ids: list[str]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    start = 0
    for i in range(1, len(page_ids) + 1):
        if i == len(page_ids) or page_ids[i] != page_ids[start]:
            runs.append((start, i))
            start = i
    return runs


def _norm_text(t: str) -> str:
    return _DIGITS.sub("0", t.lower()).strip()


def _text_key(site: str, norm: str) -> int:
    digest = hashlib.blake2b(f"{site}\0{norm}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little")


class SiteCounts:
    """Per site of a run, its pages and, per normalised text, how many of them hold it.

    Texts are kept as 8-byte hashes (ints), so a run of many pages costs a dict of ints, not
    its strings; filled chunk by chunk, it lets chunks of one run be featurised apart."""

    def __init__(self) -> None:
        self.pages: Counter[str] = Counter()
        self.texts: dict[int, int] = {}

    def add(self, table: pa.Table) -> SiteCounts:
        """Count the pages of *table* (pages contiguous; each page added once per run)."""
        page_ids = table.column("page_id").to_pylist()
        domains = table.column("domain").to_pylist()
        urls = table.column("url").to_pylist()
        text = table.column("text").to_pylist()
        for a, b in _page_runs(page_ids):
            site = site_of(domains[a] or urls[a])
            self.pages[site] += 1
            for t in {_norm_text(t or "") for t in text[a:b]}:
                k = _text_key(site, t)
                self.texts[k] = self.texts.get(k, 0) + 1
        return self

    def text_pages(self, site: str, norm: str) -> int:
        """How many pages of *site* hold the normalised text *norm*."""
        return self.texts.get(_text_key(site, norm), 0)


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
        width = cfg.token_features + cfg.char_features + len(DENSE_NAMES)
        return sp.csr_matrix((0, width))
    text: list[str] = [t or "" for t in table.column("text").to_pylist()]
    tag_path = [t or "" for t in table.column("tag_path").to_pylist()]
    attrs = [a or "" for a in table.column("attrs").to_pylist()]
    ld = np.array([x or 0.0 for x in table.column("link_density").to_pylist()], dtype=float)
    in_main = np.array([bool(x) for x in table.column("in_main").to_pylist()])
    page_ids = table.column("page_id").to_pylist()
    domains = table.column("domain").to_pylist()
    urls = table.column("url").to_pylist()
    known = set(rule_names)
    votes = [
        sorted({v["rule"] for v in vs or [] if v["rule"] in known})
        for vs in table.column("votes").to_pylist()
    ]
    pre = [p or "none" for p in table.column("prelabel").to_pylist()]

    norm = [_norm_text(t) for t in text]
    words = np.array([len(_WORD.findall(t)) for t in text], dtype=float)
    chars = np.array([len(t) for t in text], dtype=float)
    safe = np.maximum(chars, 1)
    punct = np.array([len(_PUNCT.findall(t)) for t in text]) / safe
    digit = np.array([sum(c.isdigit() for c in t) for t in text]) / safe
    letters = [_UPPER.findall(t) for t in text]
    upper = np.array([sum(c.isupper() for c in ls) / max(len(ls), 1) for ls in letters])
    ends = np.array([t.rstrip()[-1:] in ".!?\"'”»" for t in text], dtype=float)
    is_html = np.array([bool(tp) for tp in tag_path], dtype=float)
    last_tag = [tp.rsplit(">", 1)[-1] for tp in tag_path]
    heading = np.array([t in _HEADINGS for t in last_tag], dtype=float)
    h1 = np.array([t == "h1" for t in last_tag], dtype=float)
    in_list = np.array([">li" in tp or tp.startswith("li") for tp in tag_path], dtype=float)

    # repetition: within the page, and across the run's pages of one site
    runs = _page_runs(page_ids)
    rel_pos = np.zeros(n)
    dup = np.ones(n)
    region = ["none"] * n
    win_article = np.zeros(n)
    run_sites = [site_of(domains[a] or urls[a]) for a, _ in runs]
    counts = site_counts if site_counts is not None else SiteCounts().add(table)
    site_pages = counts.pages
    cross = np.zeros(n)
    n_site = np.zeros(n)
    is_art = np.array([p == ARTICLE for p in pre], dtype=float)
    for (a, b), site in zip(runs, run_sites, strict=True):
        m = b - a
        rel_pos[a:b] = np.arange(m) / max(m - 1, 1)
        c = Counter(norm[a:b])
        dup[a:b] = [c[t] for t in norm[a:b]]
        pages = site_pages[site] if site else 1
        n_site[a:b] = pages
        if cfg.cross_page and pages > 1:
            cross[a:b] = [(counts.text_pages(site, t) - 1) / (pages - 1) for t in norm[a:b]]
        mains = np.flatnonzero(in_main[a:b])
        arts = np.flatnonzero(is_art[a:b])
        anchor = mains if len(mains) else arts
        for i in range(m):
            if not len(anchor):
                region[a + i] = "nomain"
            elif i < anchor[0]:
                region[a + i] = "before"
            elif i > anchor[-1]:
                region[a + i] = "after"
            else:
                region[a + i] = "inside" if in_main[a + i] or not len(mains) else "hole"
        k = cfg.window + 1
        csum = np.concatenate([[0.0], np.cumsum(is_art[a:b])])
        lo = np.clip(np.arange(m) - k, 0, m)
        hi = np.clip(np.arange(m) + k + 1, 0, m)
        win_article[a:b] = (csum[hi] - csum[lo] - is_art[a:b]) / np.maximum(hi - lo - 1, 1)

    page_idx = np.repeat(np.arange(len(runs)), [b - a for a, b in runs])

    def shifted(values: list[str], by: int) -> list[str]:
        out = ["edge"] * n
        for i in range(n):
            j = i + by
            if 0 <= j < n and page_idx[j] == page_idx[i]:
                out[i] = values[j]
        return out

    def last_tags(tp: str) -> str:
        parts = tp.split(">")
        return ">".join(parts[-2:]) if tp else "text"

    word_bin = [f"{_bin(w, _WORD_EDGES)}" for w in words]
    ld_bin = [f"{_bin(x, _LD_EDGES)}" for x in ld]
    lt = [last_tags(tp) for tp in tag_path]
    vote_str = [" ".join(v) for v in votes]
    tokens: list[list[str]] = []
    nb: dict[int, tuple[list[str], list[str], list[str], list[str]]] = {}
    for by in [d for k in range(1, cfg.window + 1) for d in (-k, k)]:
        nb[by] = (shifted(pre, by), shifted(lt, by), shifted(word_bin, by), shifted(vote_str, by))
    for i in range(n):
        f = [
            f"pre={pre[i]}", f"w={word_bin[i]}", f"ld={ld_bin[i]}", f"lt={lt[i]}",
            f"region={region[i]}", f"pos={_bin(rel_pos[i], _POS_EDGES)}",
            f"dup={min(int(dup[i]), 4)}", f"main={int(in_main[i])}",
            f"pre={pre[i]}&w={word_bin[i]}", f"lt={lt[i]}&ld={ld_bin[i]}",
            f"region={region[i]}&pre={pre[i]}",
        ]
        f.extend(f"tag={t}" for t in set(tag_path[i].split(">")) if t)
        f.extend(f"attr={t}" for t in attrs[i].split()[-12:])
        f.extend(f"vote={v}" for v in votes[i])
        if cross[i] > 0:
            f.append(f"xpage={min(int(cross[i] * 4), 4)}")
        elif n_site[i] > 1:
            f.append("xpage=unique")
        for by, (npre, nlt, nw, nv) in nb.items():
            f.append(f"{by}:pre={npre[i]}")
            f.append(f"{by}:pre={npre[i]}&self={pre[i]}")
            if abs(by) == 1:
                f.append(f"{by}:lt={nlt[i]}")
                f.append(f"{by}:w={nw[i]}")
                f.extend(f"{by}:vote={v}" for v in nv[i].split())
        tokens.append(f)
    hashed = FeatureHasher(
        n_features=cfg.token_features, input_type="string", alternate_sign=False
    ).transform(tokens)
    hashed = _row_scale(hashed)
    chars_m = HashingVectorizer(
        analyzer="char_wb",
        ngram_range=(cfg.char_ngram_min, cfg.char_ngram_max),
        n_features=cfg.char_features,
        alternate_sign=False,
        norm="l2",
    ).transform([t[: cfg.char_max_chars] for t in norm])

    def log_scaled(x: np.ndarray) -> np.ndarray:
        return np.log1p(x) / math.log1p(1000)

    def shift_num(values: np.ndarray, by: int) -> np.ndarray:
        out = np.zeros(n)
        idx = np.arange(n) + by
        ok = (idx >= 0) & (idx < n)
        ok[ok] = page_idx[idx[ok]] == page_idx[ok]
        out[ok] = values[idx[ok]]
        return out

    prev_w, next_w = shift_num(words, -1), shift_num(words, 1)
    prev_ld, next_ld = shift_num(ld, -1), shift_num(ld, 1)
    dense = np.column_stack(
        [
            log_scaled(chars) / 1.5, log_scaled(words), ld, in_main.astype(float), rel_pos,
            punct, digit, upper, log_scaled(dup - 1), cross, log_scaled(n_site - 1), is_html,
            ends, win_article, log_scaled(prev_w), log_scaled(next_w), prev_ld, next_ld,
            heading, h1, in_list,
        ]
    )
    return sp.hstack([hashed, chars_m, sp.csr_matrix(dense)], format="csr")


def _row_scale(m: sp.csr_matrix) -> sp.csr_matrix:
    """Scale each row of binary features to unit length (rows differ in how many they have)."""
    norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sp.csr_matrix(sp.diags(1.0 / norms) @ m)
