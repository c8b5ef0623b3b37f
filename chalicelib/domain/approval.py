"""When an order needs approval, and why (PRODUCT.md "Approval"): one function gives the reasons, and no
reasons means no approval. Submit asks it for the submitter; sending a proposal and accepting one ask it for
the buyer who would accept (services/order_actions.py). The reasons are rendered by one function
(rendering/words.py `Words.reason`)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from chalicelib.domain.money import ZERO, money


def approval_reasons(
    *,
    submitter_can_approve: bool,
    policy: str,
    total: Decimal,
    approval_limit: Decimal | None,
    over_budget: bool,
    budget: Decimal | None = None,
    spent: Decimal | None = None,
) -> list[dict[str, Any]]:
    """Why the order needs approval (empty: it does not), as PRODUCT.md lists them: the customer's policy,
    the submitter's limit, the month's budget (with what was spent before and what remains). Each reason
    is `{"code": "policy" | "over_limit" | "over_budget", ...}` with amounts as decimal strings."""
    if submitter_can_approve:
        return []
    reasons: list[dict[str, Any]] = []
    if over_budget:
        reason: dict[str, Any] = {"code": "over_budget"}
        if budget is not None:
            reason["budget"] = str(money(budget))
        if spent is not None:
            reason["spent"] = str(money(spent))
            if budget is not None:
                reason["remaining"] = str(money(max(budget - spent, ZERO)))
        reasons.append(reason)
    if policy == "always":
        reasons.append({"code": "policy"})
    elif policy == "over_limit" and (approval_limit is None or total > approval_limit):
        limit = {"limit": str(money(approval_limit))} if approval_limit is not None else {}
        reasons.append({"code": "over_limit", **limit})
    return reasons
