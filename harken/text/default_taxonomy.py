"""The default theme taxonomy for retail and services, loaded by ``harken themes load-default``.

Each entry: (parent, theme, any_of, count_negated, near).  Phrases are stemmed by the matcher, so "queue"
also matches "queues", "queued" and "queueing".  Edit the themes afterwards in the admin.
"""

from __future__ import annotations

from django.db import transaction

from harken.text.models import Theme

Entry = tuple[str, str, str, bool, str]

DEFAULT_TAXONOMY: list[Entry] = [
    (
        "Staff",
        "Friendliness",
        "friendly, unfriendly, rude, polite, impolite, welcoming, smile, kind, courteous, "
        "attitude, warm welcome, dismissive, arrogant",
        True,
        "",
    ),
    (
        "Staff",
        "Helpfulness",
        "helpful, unhelpful, went out of their way, went above and beyond, assist, "
        "could not help, couldn't help, support",
        True,
        "",
    ),
    (
        "Staff",
        "Knowledge",
        "knowledgeable, knowledge, expert, expertise, advice, clueless, didn't know, "
        "did not know, competent, incompetent",
        True,
        "",
    ),
    (
        "Staff",
        "Staff availability",
        "understaffed, no staff, no one around, nobody around, couldn't find anyone, "
        "could not find anyone, not enough staff",
        True,
        "staff ~ available",
    ),
    (
        "Waiting",
        "Queues and waiting time",
        "queue, line, wait, waiting time, took ages, took forever, slow service",
        False,
        "wait ~ long",
    ),
    ("Waiting", "Speed of service", "quick, quickly, fast, prompt, efficient, speedy, slow", True, ""),
    (
        "Price",
        "Value for money",
        "value for money, good value, poor value, worth it, not worth, overpriced, "
        "rip off, expensive, cheap, affordable, reasonable price",
        True,
        "",
    ),
    (
        "Price",
        "Promotions and discounts",
        "discount, promotion, offer, sale, coupon, voucher, loyalty points, deal",
        True,
        "",
    ),
    ("Price", "Billing and charges", "charge, overcharged, bill, invoice, refund, hidden fee, fee, receipt", True, ""),
    ("Product", "Quality", "quality, broken, faulty, defective, damaged, fell apart, durable, well made", True, ""),
    (
        "Product",
        "Range and availability",
        "out of stock, in stock, range, selection, choice, variety, sold out, couldn't find, could not find",
        True,
        "",
    ),
    ("Store", "Cleanliness", "clean, dirty, tidy, untidy, messy, hygiene, filthy, spotless", True, ""),
    ("Store", "Layout and signage", "layout, sign, signage, hard to find, easy to find, aisle, cluttered", True, ""),
    ("Store", "Parking and access", "parking, car park, park, access, wheelchair, opening hours, closed", True, ""),
    ("Store", "Checkout", "checkout, till, self checkout, self-checkout, cashier, payment, card machine", True, ""),
    (
        "Delivery",
        "Delivery time",
        "late, delayed, delay, on time, arrived early, next day, took days",
        True,
        "delivery ~ late",
    ),
    (
        "Delivery",
        "Delivery condition",
        "damaged, packaging, wrong item, missing item, missing items, wrong order",
        True,
        "",
    ),
    ("Delivery", "Tracking and updates", "tracking, track, updates, notification, no update, no updates", True, ""),
    (
        "Digital",
        "Website and app",
        "website, app, online, login, log in, checkout page, crash, crashed, bug, glitch",
        True,
        "",
    ),
    (
        "Support",
        "Resolution",
        "resolved, solved, fixed, sorted, unresolved, not resolved, still waiting, no resolution",
        True,
        "",
    ),
    (
        "Support",
        "Reachability",
        "phone, call, on hold, hold, callback, call back, email, chat, reply, respond, response",
        True,
        "",
    ),
    (
        "Communication",
        "Clarity of information",
        "clear, unclear, confusing, explained, explanation, misleading, informed, communication",
        True,
        "",
    ),
]


def do_load_default() -> int:
    """Create the default themes that do not exist yet (matched by name under the parent); the number created.

    Re-running changes nothing; themes a person edited keep their rules.
    """
    from harken.text.tagging import do_rebuild_links

    created = 0
    with transaction.atomic():
        for position, (parent_name, name, any_of, count_negated, near) in enumerate(DEFAULT_TAXONOMY):
            parent, new_parent = Theme.objects.get_or_create(name=parent_name, parent=None)
            if new_parent:
                parent.position = position
                parent.save(update_fields=["position"])
                created += 1
            defaults = {
                "any_of": "\n".join(part.strip() for part in any_of.split(",")),
                "near": near,
                "count_negated": count_negated,
                "position": position,
            }
            _, new = Theme.objects.get_or_create(name=name, parent=parent, defaults=defaults)
            created += int(new)
        do_rebuild_links()
    return created
