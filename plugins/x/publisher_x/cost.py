"""What a thread costs on X, under the price table in the destination's settings."""

from __future__ import annotations

from collections.abc import Sequence

from publisher import Cost, Part
from publisher_x.counting import urls_in
from publisher_x.lookup import RECENT
from publisher_x.settings import Prices


def thread_cost(parts: Sequence[Part], prices: Prices) -> Cost:
    """Posts with a link at one price, the others at another; and what recovering costs.

    A part that may have gone out unrecorded (a crash, a lost answer) is looked for among
    the account's latest posts, which X charges as post reads.
    """
    linked = sum(1 for part in parts if urls_in(part.text))
    plain = len(parts) - linked
    total = linked * prices.post_with_url + plain * prices.post
    detail = (
        f"{linked} post{'s' * (linked != 1)} with a link at ${prices.post_with_url:.3f}, "
        f"{plain} without at ${prices.post:.3f}; looking for a part after a failure reads up "
        f"to {RECENT} posts, ${RECENT * prices.read:.3f} more each time"
    )
    return Cost(total, "USD", detail)


def over_budget(cost: Cost | None, max_cost: float | None, destination: str) -> str | None:
    """Why a publication costs more than the destination's `max_cost`, or None."""
    if cost is None or max_cost is None or cost.total <= max_cost:
        return None
    return (
        f"{destination}: the thread would cost ${cost.total:.3f} at the prices in its settings "
        f"({cost.detail}), more than its max_cost of ${max_cost:.3f}; nothing was sent. Raise "
        'max_cost, or post less: thread = "none" or "summary", or the story\'s own posts.x'
    )
