"""Background tasks of comment analysis: each takes ids, looks the rows up, and does one thing."""

from __future__ import annotations

from django_tasks import task

from harken.text import tagging


@task()
def analyse_response(response_id: int) -> int:
    """Sentiment and rule themes of one response's comment; the number of responses analysed (0 or 1)."""
    return tagging.do_analyse([response_id]).responses


@task()
def analyse_responses(response_ids: list[int]) -> int:
    """``analyse_response`` for each response of a filed batch of answers (``harken.lib.batching``)."""
    return tagging.do_analyse(response_ids).responses


@task()
def analyse_pending() -> int:
    """Analyse every comment not analysed since it last changed (e.g. after a bulk import)."""
    return tagging.do_analyse_pending().responses


@task()
def retag_theme(theme_id: int, version: int) -> int | None:
    """Re-apply one theme's rules (as of ``version``) to every comment."""
    return tagging.do_retag_theme(theme_id, version)


@task()
def analyse_all() -> int:
    """Analyse every comment again (after the taxonomy was loaded or changed wholesale)."""
    return tagging.do_analyse_pending(everything=True).responses


SWEEP_SECONDS = 60


@task()
def text_tick() -> int:
    """The comment-analysis heartbeat: analyse what bulk imports and the demo wrote without signals."""
    from harken import heartbeat

    try:
        return tagging.do_analyse_pending().responses
    finally:
        heartbeat.queue_next(text_tick, SWEEP_SECONDS)
