"""Telling a customer's click on an email score link from a link scanner's.

Mail security services (Microsoft Defender Safe Links, Proofpoint, Mimecast, Barracuda …) and link previews
open the links of a message before, or instead of, the person: often all eleven score links within a second
or two.  A one-click score must still be recorded at once, so that the response exists even if the customer
closes the tab; so Harken judges each opening of a score link (``do_one_click``):

1. A ``HEAD`` request, or a user agent of a known scanner or previewer (``SCANNER_AGENTS``), records nothing.
   The page still shows the survey with that score chosen and asks the person to confirm it: a real person
   with an unusual browser loses one tap, a scanner (which never submits forms) records nothing.
2. Otherwise the score is recorded at once — unless the same invitation's links were opened with at least
   ``BURST_SCORES`` different scores in one chain of openings at most ``BURST_SECONDS`` apart.  No person
   does that; a scanner does.  Then the response's score goes back to what it was before the burst (usually
   none: a response without a score counts in no NPS), an invitation marked answered by the burst is again
   unanswered (so reminders still go out), and whoever is looking at the page is asked to confirm their score
   with a form post.

Every opening is kept in ``LinkClick`` with its verdict and the score before it, so a burst is undone
exactly and support can see what happened.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from harken.collect.answers import Respondent, do_record
from harken.collect.models import LinkClick, Response
from harken.distribution.models import Invitation

BURST_SECONDS = 10
BURST_SCORES = 3
CHAIN_LIMIT_SECONDS = 600  # a chain of openings is looked for in the last ten minutes

# Lower-case fragments of the user agents of link scanners, previewers and scripted clients.  Safe Links and
# some others may also use an ordinary browser's user agent: the burst rule catches those.
SCANNER_AGENTS = (
    "bingpreview",
    "microsoft office existence discovery",
    "ms-office",
    "msoffice",
    "office-safelinks",
    "barracuda",
    "proofpoint",
    "mimecast",
    "forcepoint",
    "ironport",
    "trendmicro",
    "trend micro",
    "symantec",
    "sophos",
    "fireeye",
    "zscaler",
    "appriver",
    "google-safety",
    "googleimageproxy",
    "facebookexternalhit",
    "slackbot",
    "twitterbot",
    "linkedinbot",
    "whatsapp",
    "telegrambot",
    "discordbot",
    "skypeuripreview",
    "headlesschrome",
    "phantomjs",
    "python-requests",
    "python-urllib",
    "aiohttp",
    "curl/",
    "wget/",
    "go-http-client",
    "java/",
    "apache-httpclient",
    "libwww-perl",
    "bot/",
    "crawler",
    "spider",
)


def scanner_reason(method: str, user_agent: str) -> str | None:
    """Why this request is a scanner's rather than a person's (``"HEAD request"``, ``"user agent"``), or None."""
    if method == "HEAD":
        return "HEAD request"
    agent = user_agent.strip().lower()
    # No user agent at all proves nothing (privacy tools strip it); the burst rule still applies.
    if any(fragment in agent for fragment in SCANNER_AGENTS):
        return "user agent"
    return None


def is_burst(recent_scores: Sequence[int], score: int) -> bool:
    """Whether ``score``, opened after ``recent_scores`` (the current ``chain``), makes a burst: at least
    ``BURST_SCORES`` different scores.  Opening the same score again (a double click, a reload) or changing
    one's mind once never does."""
    return len({*recent_scores, score}) >= BURST_SCORES


Click = tuple[int, int | None, dt.datetime]  # score, previous score, when


def chain(clicks: Sequence[Click], now: dt.datetime) -> list[Click]:
    """The openings (oldest first) that lead up to ``now`` with at most ``BURST_SECONDS`` between each and
    the next: a scanner on a slow connection still makes one chain, and its first opening's previous score is
    the one from before the burst."""
    linked: list[Click] = []
    later = now
    for click in reversed(clicks):
        if (later - click[2]).total_seconds() > BURST_SECONDS:
            break
        linked.append(click)
        later = click[2]
    return linked[::-1]


def do_one_click(respondent: Respondent, score: int, now: dt.datetime | None = None) -> str:
    """Judge and record one opening of a score link by a browser; returns the ``LinkClick.Verdict``.

    Runs in one transaction that first locks the invitation, so eleven links opened at the same moment are
    judged one after the other.
    """
    invitation = respondent.invitation
    if invitation is None:
        raise ValueError("Score links belong to invitations.")
    moment = now or timezone.now()
    with transaction.atomic():
        Invitation.objects.select_for_update().filter(pk=invitation.pk).values_list("pk", flat=True).first()
        previous = Response.objects.filter(invitation=invitation).values_list("score", flat=True).first()
        since = moment - dt.timedelta(seconds=CHAIN_LIMIT_SECONDS)
        clicks = (
            LinkClick.objects.filter(invitation=invitation, clicked_at__gte=since, clicked_at__lte=moment)
            .exclude(verdict=LinkClick.Verdict.SCANNER)
            .order_by("clicked_at", "pk")
            .values_list("score", "previous_score", "clicked_at")
        )
        recent = chain(list(clicks), moment)
        if is_burst([row[0] for row in recent], score):
            before = recent[0][1]
            # A withheld opening keeps the score from before the burst, so a chain that goes on finds it again.
            LinkClick.objects.create(
                invitation=invitation,
                score=score,
                previous_score=before,
                verdict=LinkClick.Verdict.BURST,
                clicked_at=moment,
            )
            _restore(invitation, before_score=before, since=recent[0][2])
            return LinkClick.Verdict.BURST
        LinkClick.objects.create(
            invitation=invitation,
            score=score,
            previous_score=previous,
            verdict=LinkClick.Verdict.RECORDED,
            clicked_at=moment,
        )
        do_record(respondent, score=score)
    return LinkClick.Verdict.RECORDED


def do_log_scanner(invitation: Invitation, score: int) -> None:
    """Keep a scanner's or previewer's opening of a score link, which records nothing."""
    LinkClick.objects.create(
        invitation=invitation,
        score=score,
        previous_score=Response.objects.filter(invitation=invitation).values_list("score", flat=True).first(),
        verdict=LinkClick.Verdict.SCANNER,
    )


def _restore(invitation: Invitation, before_score: int | None, since: dt.datetime) -> None:
    """Put the response's score back to ``before_score``; un-answer the invitation if the burst answered it."""
    response = Response.objects.filter(invitation=invitation).first()
    if response is not None and response.score != before_score:
        response.score = before_score
        response.save(update_fields=["score", "updated_at"])
    if before_score is None:
        Invitation.objects.filter(pk=invitation.pk, answered_at__gte=since).update(
            answered_at=None, status=Invitation.Status.SENT
        )


def needs_confirmation(invitation: Invitation) -> bool:
    """Whether the latest opening of the invitation's score links was not recorded (scanner or burst)."""
    latest = LinkClick.objects.filter(invitation=invitation).order_by("-clicked_at", "-pk").first()
    return latest is not None and latest.verdict != LinkClick.Verdict.RECORDED
