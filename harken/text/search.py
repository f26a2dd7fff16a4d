"""Full-text search over comments, with the dashboards' filters, ranked, paged and highlighted.

Query syntax (the same on both databases): words must all appear (``late delivery``); ``"quoted words"``
is a phrase; ``deliver*`` matches words starting with ``deliver``; ``-word`` or ``-"a phrase"`` excludes;
``OR`` between words offers alternatives (``refund OR voucher``).  Words are stemmed (``queues`` finds
``queue``) and case and accents are ignored.

SQLite: an external-content FTS5 table (``text_commentsearch``, porter stemming over unicode61) holds the
index of ``collect_response.comment`` and three triggers keep it in step with every insert, update
(erasure and retention blank comments with an UPDATE) and delete, whoever writes the row.  SQLite drops a
table's triggers when a migration rebuilds it, so ``ensure`` runs on ``post_migrate`` (like the score
cube) and rebuilds the index whenever a trigger is missing.  PostgreSQL: a GIN index on the expression
``to_tsvector('english', comment)`` that the query uses, so nothing needs keeping in step.

Matches are marked with two private-use characters by the database (FTS5 ``highlight``, ``ts_headline``
with HighlightAll), long comments are cut around the first match (``excerpt``), then the text is escaped
and only those marks become ``<mark>``: a comment can never inject markup.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank, SearchVector
from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from harken.analytics import queries
from harken.analytics.queries import Filters, User
from harken.collect.models import Response

TABLE = "text_commentsearch"
TRIGGERS = ("text_commentsearch_insert", "text_commentsearch_delete", "text_commentsearch_update")
PG_INDEX = "text_response_comment_fts"
CONFIG = "english"
START, STOP = "\ue000", "\ue001"  # private-use characters: never produced by escaping, rare in comments
PER_PAGE = 20
MAX_TERMS = 20
MAX_LENGTH = 200
SNIPPET_WORDS = 32
TOKEN = re.compile(r'-?"[^"]*"?|\S+')
WORD = re.compile(r"\w+")


class SearchError(ValueError):
    """A search the user must rephrase, with a message saying how."""


@dataclass(frozen=True)
class Term:
    """One word or phrase; ``prefix`` when its last word may continue; ``negated`` when it must not appear."""

    words: tuple[str, ...]
    prefix: bool = False
    negated: bool = False


@dataclass(frozen=True)
class Parsed:
    """Alternatives (joined by OR), each a conjunction of terms."""

    groups: tuple[tuple[Term, ...], ...]


@dataclass(frozen=True)
class Hit:
    """A matching response and its comment with the matches marked (safe HTML)."""

    response: Response
    snippet: SafeString
    rank: float


@dataclass(frozen=True)
class Results:
    """One page of hits, best first, and how many match in all."""

    query: str
    total: int
    page: int
    per_page: int
    hits: tuple[Hit, ...]

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def first(self) -> int:
        """Position of the page's first hit (1-based), for "21–40 of 57"."""
        return (self.page - 1) * self.per_page + 1 if self.hits else 0

    @property
    def last(self) -> int:
        return self.first + len(self.hits) - 1 if self.hits else 0


# --- Parsing and compiling (pure) -------------------------------------------------------------------------


def parse(text: str) -> Parsed:
    """Read the query syntax of the module docstring; SearchError says what to change."""
    text = text.strip()
    if not text:
        raise SearchError("Type a word to search for.")
    if len(text) > MAX_LENGTH:
        raise SearchError(f"The search is too long: at most {MAX_LENGTH} characters.")
    groups: list[list[Term]] = [[]]
    for token in TOKEN.findall(text):
        if token == "OR":  # noqa: S105 (the query operator, not a password)
            groups.append([])
            continue
        negated = token.startswith("-") and len(token) > 1
        body = token[1:] if negated else token
        quoted = body.startswith('"')
        prefix = not quoted and body.endswith("*")
        words = tuple(word.lower() for word in WORD.findall(body))
        if words:
            groups[-1].append(Term(words=words, prefix=prefix, negated=negated))
    kept = tuple(tuple(group) for group in groups if group)
    if not kept:
        raise SearchError("Type a word to search for: punctuation alone matches nothing.")
    if sum(len(group) for group in kept) > MAX_TERMS:
        raise SearchError(f"Too many words: at most {MAX_TERMS}.")
    if any(all(term.negated for term in group) for group in kept):
        raise SearchError("Add a word to look for: a search cannot only exclude words (-word).")
    return Parsed(kept)


def _fts5_term(term: Term) -> str:
    # Words are \w+ only, so they need no escaping inside FTS5's double quotes.
    return '"' + " ".join(term.words) + '"' + ("*" if term.prefix else "")


def to_fts5(parsed: Parsed) -> str:
    """The FTS5 MATCH expression: (a AND b) NOT c, alternatives joined by OR."""
    alternatives = []
    for group in parsed.groups:
        expression = "(" + " AND ".join(_fts5_term(t) for t in group if not t.negated) + ")"
        for term in group:
            if term.negated:
                expression = f"({expression} NOT {_fts5_term(term)})"
        alternatives.append(expression)
    return " OR ".join(alternatives)


def _tsquery_term(term: Term) -> str:
    lexemes = [f"'{word}'" for word in term.words]
    if term.prefix:
        lexemes[-1] += ":*"
    phrase = " <-> ".join(lexemes)
    return f"!({phrase})" if term.negated else f"({phrase})"


def to_tsquery(parsed: Parsed) -> str:
    """The text for PostgreSQL's ``to_tsquery``: & within an alternative, | between, <-> in phrases, ! to exclude."""
    return " | ".join("(" + " & ".join(_tsquery_term(term) for term in group) + ")" for group in parsed.groups)


def excerpt(marked: str, words: int = SNIPPET_WORDS) -> str:
    """A long marked comment cut to ``words`` words around its first mark, with … where text was left out."""
    tokens = marked.split()
    if len(tokens) <= words:
        return marked
    first = next((i for i, token in enumerate(tokens) if START in token), 0)
    begin = max(0, min(first - words // 4, len(tokens) - words))
    end = begin + words
    return ("… " if begin else "") + " ".join(tokens[begin:end]) + (" …" if end < len(tokens) else "")


def highlight(marked: str) -> SafeString:
    """Escape ``marked`` and turn the database's START/STOP marks into ``<mark>``…``</mark>``, always balanced.

    Marks separated by spaces only are joined, so a phrase is one mark on both databases (FTS5 marks the
    phrase, ``ts_headline`` each word).
    """
    marked = re.sub(f"{STOP}(\\s+){START}", r"\1", marked)
    out: list[str] = []
    inside = False
    for piece in re.split(f"([{START}{STOP}])", marked):
        if piece == START and not inside:
            out.append("<mark>")
            inside = True
        elif piece == STOP and inside:
            out.append("</mark>")
            inside = False
        elif piece not in (START, STOP):
            out.append(escape(piece))
    if inside:
        out.append("</mark>")
    return mark_safe("".join(out))  # noqa: S308 (every piece of text was escaped above)


# --- Searching --------------------------------------------------------------------------------------------


def commented(filters: Filters, user: User = None) -> QuerySet[Response]:
    """Responses with a comment that match ``filters`` and that ``user`` may see (scored or not)."""
    return queries.responses(filters, user, scored_only=False).exclude(comment="")


def search(text: str, filters: Filters, user: User = None, page: int = 1, per_page: int = PER_PAGE) -> Results:
    """Comments matching ``text`` within the selection, best match first (then newest), one page of them."""
    parsed = parse(text)
    page = max(1, page)
    scope = commented(filters, user)
    if connection.vendor == "postgresql":
        total, rows = _search_postgres(parsed, scope, page, per_page)
    else:
        total, rows = _search_sqlite(parsed, scope, page, per_page)
    by_id = Response.objects.select_related("unit", "touchpoint").in_bulk([pk for pk, _, _ in rows])
    hits = tuple(Hit(by_id[pk], highlight(excerpt(marked)), rank) for pk, rank, marked in rows if pk in by_id)
    return Results(query=text, total=total, page=page, per_page=per_page, hits=hits)


def _search_sqlite(
    parsed: Parsed, scope: QuerySet[Response], page: int, per_page: int
) -> tuple[int, list[tuple[int, float, str]]]:
    """Count and one page of (id, rank, marked snippet); bm25 is lower for better matches."""
    try:
        scope_sql, scope_params = scope.order_by().values("pk").query.sql_with_params()
    except EmptyResultSet:  # the viewer sees no unit: nothing to search
        return 0, []
    # "+rowid": keep SQLite from handing the IN list to FTS5 as rowid lookups (one full query per id).
    where = f"{TABLE} MATCH %s AND +rowid IN ({scope_sql})"
    params: list[Any] = [to_fts5(parsed), *scope_params]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {TABLE} WHERE {where}", params)  # noqa: S608 (constants)
        total = int(cursor.fetchone()[0])
        if not total:
            return 0, []
        # Rank first, mark only the page's rows: SQLite computes every selected column before it sorts.
        cursor.execute(
            f"SELECT rowid, bm25({TABLE}) FROM {TABLE} WHERE {where} "  # noqa: S608
            f"ORDER BY bm25({TABLE}), rowid DESC LIMIT %s OFFSET %s",
            [*params, per_page, (page - 1) * per_page],
        )
        ranked = [(int(pk), -float(rank)) for pk, rank in cursor.fetchall()]
        if not ranked:
            return total, []
        marks = ", ".join(["%s"] * len(ranked))
        cursor.execute(
            f"SELECT rowid, highlight({TABLE}, 0, %s, %s) FROM {TABLE} "  # noqa: S608
            f"WHERE {TABLE} MATCH %s AND rowid IN ({marks})",
            [START, STOP, params[0], *(pk for pk, _ in ranked)],
        )
        marked = {int(pk): str(text) for pk, text in cursor.fetchall()}
    return total, [(pk, rank, marked.get(pk, "")) for pk, rank in ranked]


def vector() -> SearchVector:
    """The indexed expression: to_tsvector('english', COALESCE(comment, '')) — exactly as ``ensure`` indexes it."""
    return SearchVector("comment", config=CONFIG)


def _search_postgres(
    parsed: Parsed, scope: QuerySet[Response], page: int, per_page: int
) -> tuple[int, list[tuple[int, float, str]]]:
    query = SearchQuery(to_tsquery(parsed), search_type="raw", config=CONFIG)
    matching = scope.annotate(document=vector()).filter(document=query)
    total = matching.count()
    if not total:
        return 0, []
    ranked = matching.annotate(
        rank=SearchRank(vector(), query),
        # HighlightAll: the other modes drop anything that looks like an HTML tag from the text.
        marked=SearchHeadline("comment", query, config=CONFIG, start_sel=START, stop_sel=STOP, highlight_all=True),
    ).order_by("-rank", "-submitted_at", "-pk")
    start = (page - 1) * per_page
    rows = ranked.values_list("pk", "rank", "marked")[start : start + per_page]
    return total, [(pk, float(rank), marked) for pk, rank, marked in rows]


# --- Keeping the index ------------------------------------------------------------------------------------


def _sqlite_statements() -> list[str]:
    """DDL from constants only (no user input anywhere in it).

    Only non-empty comments are indexed (most responses have none: no index row for them); the triggers and
    the initial fill follow the same rule, which an external-content table needs to stay consistent.
    """
    delete = (
        f"INSERT INTO {TABLE}({TABLE}, rowid, comment) SELECT 'delete', old.id, old.comment WHERE old.comment <> ''"
    )
    insert = f"INSERT INTO {TABLE}(rowid, comment) SELECT new.id, new.comment WHERE new.comment <> ''"
    return [
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {TABLE} USING fts5(comment, content='collect_response', "
        "content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')",
        *(f"DROP TRIGGER IF EXISTS {name}" for name in TRIGGERS),
        f"CREATE TRIGGER {TRIGGERS[0]} AFTER INSERT ON collect_response BEGIN {insert}; END",
        f"CREATE TRIGGER {TRIGGERS[1]} AFTER DELETE ON collect_response BEGIN {delete}; END",
        f"CREATE TRIGGER {TRIGGERS[2]} AFTER UPDATE OF comment ON collect_response BEGIN {delete}; {insert}; END",
        f"INSERT INTO {TABLE}({TABLE}) VALUES ('delete-all')",  # noqa: S608
        f"INSERT INTO {TABLE}(rowid, comment) SELECT id, comment FROM collect_response WHERE comment <> ''",  # noqa: S608
    ]


def installed() -> bool:
    """Whether the search index is in place (on SQLite: the FTS table and all three triggers)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT count(*) FROM pg_indexes WHERE indexname = %s", [PG_INDEX])
            return bool(cursor.fetchone()[0])
        names = [TABLE, *TRIGGERS]
        marks = ", ".join(["%s"] * len(names))
        cursor.execute(f"SELECT count(*) FROM sqlite_master WHERE name IN ({marks})", names)  # noqa: S608
        return int(cursor.fetchone()[0]) == len(names)


def install() -> None:
    """Create the index (SQLite: table, triggers, and a fresh fill from ``collect_response``, in one transaction)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            compiled, params = _pg_index_expression()
            cursor.execute(
                f"CREATE INDEX IF NOT EXISTS {PG_INDEX} ON collect_response USING gin (({compiled}))", params
            )
            return
        with transaction.atomic():
            for statement in _sqlite_statements():
                cursor.execute(statement)


def _pg_index_expression() -> tuple[str, list[Any]]:
    """The SQL Django writes for ``vector()``, so that the index and the query are the same expression."""
    query = Response.objects.annotate(document=vector()).query
    compiler = query.get_compiler(connection=connection)
    sql, params = query.annotations["document"].as_sql(compiler, connection)
    # DDL cannot take parameters: inline the (constant) ones, quoted as SQL literals.
    for param in params:
        sql = sql.replace("%s", "'" + str(param).replace("'", "''") + "'", 1)
    return sql.replace(f'"{Response._meta.db_table}".', ""), []


def ensure(**kwargs: Any) -> None:
    """``post_migrate`` receiver: (re)install the index when it or a trigger is missing."""
    if kwargs.get("app_config") is not None and kwargs["app_config"].label != "text":
        return
    if not installed():
        install()
