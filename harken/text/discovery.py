"""Theme discovery: cluster the comments no theme matches, to suggest new themes.

TF-IDF over words and word pairs (English stop words removed, ``sublinear_tf``), then k-means on the
L2-normalised vectors (cosine geometry).  Each suggestion has its top terms (the heaviest centroid
weights), its size, the NPS of its responses and the comments nearest its centre.  Clustering needs the
texts in memory, so the selection is capped (``limit``, most recent first); counts of a cluster are counted
from the scores read with the texts, which are the cluster — there is no SQL group to ask for them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from django.db.models import Exists, OuterRef
from sklearn.cluster import KMeans
from sklearn.feature_extraction.text import TfidfVectorizer

from harken.analytics import queries
from harken.analytics.nps import Counts, nps
from harken.analytics.queries import Filters, User
from harken.text.models import ResponseTheme, Theme
from harken.text.tagging import do_save_theme

METHOD = "TF-IDF + k-means (scikit-learn)"


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
    """Suggestions, largest first, and how they were found."""

    method: str
    comments: int
    suggestions: tuple[Suggestion, ...]


def untagged(filters: Filters, user: User = None, limit: int = 50_000) -> list[tuple[int, str, int]]:
    """(id, comment, score) of the latest scored, commented responses mentioning no theme."""
    linked = ResponseTheme.objects.filter(response=OuterRef("pk"), excluded=False)
    queryset = queries.responses(filters, user).exclude(comment="").exclude(Exists(linked))
    rows = queryset.order_by("-submitted_at", "-pk").values_list("pk", "comment", "score")[:limit]
    return [(pk, comment, score) for pk, comment, score in rows if score is not None]


def cluster(
    rows: list[tuple[int, str, int]], clusters: int = 8, terms: int = 6, examples: int = 3, seed: int = 0
) -> Discovery:
    """Group ``rows`` (id, comment, score) into at most ``clusters`` suggestions (pure: no database)."""
    if len(rows) < 2:
        return Discovery(METHOD, len(rows), ())
    vectorizer = TfidfVectorizer(
        stop_words="english", ngram_range=(1, 2), min_df=2, sublinear_tf=True, max_features=20_000
    )
    try:
        matrix = vectorizer.fit_transform([comment for _, comment, _ in rows])
    except ValueError:  # every word is a stop word or appears once: nothing to cluster on
        return Discovery(METHOD, len(rows), ())
    k = max(1, min(clusters, matrix.shape[0] // 2))
    model = KMeans(n_clusters=k, n_init=3, random_state=seed).fit(matrix)
    vocabulary = np.asarray(vectorizer.get_feature_names_out())
    found = []
    for label in range(k):
        members = np.flatnonzero(model.labels_ == label)
        if len(members) == 0:
            continue
        centre = model.cluster_centers_[label]
        top = tuple(str(term) for term in vocabulary[np.argsort(centre)[::-1][:terms]] if term)
        nearest = members[np.argsort(-(matrix[members] @ centre))][:examples]
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
    return Discovery(METHOD, len(rows), tuple(found))


def discover(filters: Filters, user: User = None, clusters: int = 8, limit: int = 50_000) -> Discovery:
    """Suggestions from the untagged comments of the selection."""
    return cluster(untagged(filters, user, limit), clusters=clusters)


def do_create_theme(name: str, terms: tuple[str, ...], parent: Theme | None = None) -> Theme:
    """Turn a suggestion into a theme whose rule is any of its top terms; history is re-tagged in the background."""
    theme = Theme(name=name, parent=parent, any_of="\n".join(terms))
    do_save_theme(theme)
    return theme
