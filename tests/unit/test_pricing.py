"""The pricing rules, as pure functions: no storage, no network."""

from __future__ import annotations

from decimal import Decimal

from chalicelib.domain.pricing import (
    PriceLevels,
    PriceRule,
    PriceSource,
    Tier,
    effective_price,
    line_net,
    round_money,
)

D = Decimal


def _rule(price: str, *tiers: tuple[str, str]) -> PriceRule:
    return PriceRule.of(D(price), [Tier(D(q), D(p)) for q, p in tiers])


def test_the_base_price_applies_when_there_is_nothing_else() -> None:
    quote = effective_price(PriceLevels("p", base=_rule("10.00")), D(1), "EUR")
    assert (quote.unit_price, quote.source, quote.currency) == (D("10.00"), PriceSource.BASE, "EUR")


def test_a_price_list_entry_beats_the_base_price() -> None:
    levels = PriceLevels("p", base=_rule("10.00"), price_list=_rule("9.00"))
    assert effective_price(levels, D(1), "EUR").unit_price == D("9.00")
    assert effective_price(levels, D(1), "EUR").source == PriceSource.PRICE_LIST


def test_a_customer_price_beats_the_price_list_and_the_base_price() -> None:
    levels = PriceLevels("p", base=_rule("10.00"), price_list=_rule("9.00"), customer=_rule("8.00"))
    quote = effective_price(levels, D(1), "EUR")
    assert (quote.unit_price, quote.source) == (D("8.00"), PriceSource.CUSTOMER)


def test_the_deciding_level_brings_its_own_tiers_even_if_a_lower_level_has_a_cheaper_tier() -> None:
    levels = PriceLevels("p", base=_rule("10.00", ("100", "1.00")), customer=_rule("8.00"))
    quote = effective_price(levels, D(500), "EUR")
    assert quote.unit_price == D("8.00")
    assert quote.tiers == ()


def test_the_tier_with_the_highest_min_quantity_not_above_the_quantity_wins() -> None:
    rule = _rule("10.00", ("50", "8.00"), ("10", "9.00"), ("100", "7.00"))
    assert [rule.unit_price(D(q)) for q in ("1", "9.999", "10", "49", "50", "99", "100", "5000")] == [
        D("10.00"),
        D("10.00"),
        D("9.00"),
        D("9.00"),
        D("8.00"),
        D("8.00"),
        D("7.00"),
        D("7.00"),
    ]


def test_tiers_are_kept_in_min_quantity_order() -> None:
    rule = _rule("10.00", ("50", "8.00"), ("10", "9.00"))
    assert [t.min_quantity for t in rule.tiers] == [D(10), D(50)]


def test_a_tier_may_start_at_a_fractional_quantity() -> None:
    assert _rule("10.00", ("2.5", "9.50")).unit_price(D("2.5")) == D("9.50")
    assert _rule("10.00", ("2.5", "9.50")).unit_price(D("2.499")) == D("10.00")


def test_money_is_rounded_half_up_to_two_places() -> None:
    assert round_money(D("0.125")) == D("0.13")
    assert round_money(D("0.135")) == D("0.14")  # not banker's rounding
    assert round_money(D("2.675")) == D("2.68")  # a float would give 2.67
    assert round_money(D("1")) == D("1.00")


def test_a_line_is_rounded_once_per_line() -> None:
    assert line_net(D("0.333"), D(3)) == D("1.00")
    assert line_net(D("1.15"), D("0.5")) == D("0.58")


def test_a_quote_knows_its_line_amount() -> None:
    quote = effective_price(PriceLevels("p", base=_rule("2.50")), D(3), "EUR")
    assert quote.net == D("7.50")
    assert quote.quantity == D(3)
