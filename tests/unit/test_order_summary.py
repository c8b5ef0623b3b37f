"""The order's summary is mapped once (domain/order_summary.py); what stores and shows it must agree."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal

from chalicelib.api.order_presenters import summary_out
from chalicelib.api.schemas.orders import OrderSummaryOut
from chalicelib.domain.order_summary import OrderSummary, summary_of
from chalicelib.domain.orders import Order, new_line
from chalicelib.storage.order_codec import header_item, summary

INTERNAL = {"sales_rep_id"}  # kept for the rep's list, never shown


def test_the_api_shows_every_field_of_the_summary_but_the_internal_ones():
    fields = {f.name for f in dataclasses.fields(OrderSummary)}
    assert set(OrderSummaryOut.model_fields) == fields - INTERNAL


def _order() -> Order:
    o = Order(
        id="o1", tenant="t1", number="ORD-000007", customer_id="c1", customer_name="Bistro", site_id=None,
        source="portal", created_by="u1", currency="EUR", customer_path=["c1", "p1"],
        customer_reference="PO-1", requested_delivery_date=date(2027, 1, 4), supplier_reference="ERP-9",
    )  # fmt: skip
    o.add_line(new_line("p1", "SKU-1", "Flour", Decimal("3"), Decimal("2.50"), Decimal("0.07")), "u1")
    return o


def test_a_list_shows_what_the_order_is():
    o = _order()
    made = summary_of(o, "rep1")
    decoded = summary(header_item("t1", o, "rep1", page_count=1, history_count=0))

    assert decoded == made
    assert made.line_count == 1 and made.totals == {"net": "7.50", "tax": "0.53", "gross": "8.03"}
    shown = summary_out(made).model_dump()
    assert shown["requested_delivery_date"] == "2027-01-04" and shown["supplier_reference"] == "ERP-9"
    assert "sales_rep_id" not in shown
