"""The e-mail templates: complete in every language, safe to fill with anything a user typed."""

from __future__ import annotations

import json
import string
from typing import Any

import pytest

from chalicelib.domain.orders import OrderStatus
from chalicelib.notifications import templates
from chalicelib.notifications.changes import EventName
from chalicelib.notifications.templates import BLOCK, LABEL, PART_FIELDS, SUPPORTED, VALUE_FIELDS

SAMPLE = {
    "recipient": "Anna",
    "supplier": "Acme Ltd",
    "number": "ORD-000001",
    "customer": "Bistro Lumière",
    "reference": "PO-1",
    "status": "submitted",
    "total": "1,234.50 EUR",
    "actor": "Sam",
    "note": "first line\nsecond line",
    "document": "DN-1",
    "amount": "10.00 EUR",
    "due_date": "2026-04-01",
    "carrier": "DPD",
    "tracking": "123",
    "link": "https://portal.example/orders/1",
    "portal": "https://portal.example",
    "company_code": "acme",
    "username": "anna",
    "customer_numbers": "C-1",
}
HOSTILE = "<script>alert(\"x\")</script> & 'quoted'"


def raw(code: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((templates.DIRECTORY / f"{code}.json").read_text(encoding="utf-8"))
    return data


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


@pytest.mark.parametrize("code", SUPPORTED)
def test_every_language_has_every_event_label_and_status(code: str) -> None:
    data, english = raw(code), raw("en")
    assert set(data["events"]) == {e.value for e in EventName}
    assert set(data["labels"]) == set(english["labels"])
    assert set(data["statuses"]) == {s.value for s in OrderStatus}
    for name, entry in data["events"].items():
        assert set(entry) == set(english["events"][name]), name


@pytest.mark.parametrize("code", SUPPORTED)
def test_translations_use_only_known_placeholders(code: str) -> None:
    data = raw(code)
    texts = [data["greeting"], data["greeting_anonymous"]]
    texts += [v for entry in data["events"].values() for k, v in entry.items() if k != "layout"]
    for text in texts:
        assert fields(text) <= VALUE_FIELDS, text


def test_the_layout_uses_only_values_labels_parts_and_blocks() -> None:
    shape = templates.layout()
    labels = {f"{LABEL}{k}" for k in raw("en")["labels"]}
    blocks = {f"{BLOCK}{k}" for k in shape["blocks"]}
    allowed = VALUE_FIELDS | PART_FIELDS | labels | blocks
    lines = [line for layout in shape["layouts"].values() for mode in ("text", "html") for line in layout[mode]]
    lines += [block[mode] for block in shape["blocks"].values() for mode in ("text", "html")]
    for line in lines:
        assert fields(line) <= allowed, line


@pytest.mark.parametrize("code", SUPPORTED)
@pytest.mark.parametrize("event", [e.value for e in EventName])
def test_every_event_renders_in_every_language(code: str, event: str) -> None:
    rendered = templates.language(code).render(event, SAMPLE)
    assert rendered.subject and "\n" not in rendered.subject and "{" not in rendered.subject
    assert "{" not in rendered.text and "{" not in rendered.html
    assert rendered.html.startswith("<!DOCTYPE html>") and f'lang="{code}"' in rendered.html
    assert "Anna" in rendered.text


@pytest.mark.parametrize("code", SUPPORTED)
def test_every_value_is_escaped_in_html_and_left_as_is_in_text(code: str) -> None:
    hostile = {name: f"{name}{HOSTILE}" for name in SAMPLE}
    for event in EventName:
        assert "<script>" not in templates.language(code).render(event.value, hostile).html, event
    mail = templates.language(code).render("message_posted", hostile)
    assert "note&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#x27;quoted&#x27;" in mail.html
    assert f"note{HOSTILE}" in mail.text


def test_a_multi_line_note_keeps_its_lines_in_html() -> None:
    html = templates.language("en").render("rejected", SAMPLE).html
    assert "first line<br>\nsecond line" in html


def test_optional_lines_disappear_when_there_is_nothing_to_show() -> None:
    text = templates.language("en").render("confirmed", {**SAMPLE, "note": None, "reference": None}).text
    assert "Customer reference" not in text and "Reason" not in text and "\n\n\n" not in text
    assert "Carrier: DPD" in text  # what is there is shown


def test_a_nameless_reader_is_greeted_without_a_name() -> None:
    assert templates.language("fr").render("submitted", {**SAMPLE, "recipient": None}).text.startswith("Bonjour,\n")


@pytest.mark.parametrize(
    ("code", "amount", "shown"),
    [
        ("en", "1234.5", "1,234.50 EUR"),
        ("fr", "1234.5", "1\u202f234,50 EUR"),
        ("pl", "1234567.891", "1\u00a0234\u00a0567,89 EUR"),
        ("bg", "0", "0,00 EUR"),
    ],
)
def test_totals_are_written_the_readers_way(code: str, amount: str, shown: str) -> None:
    assert templates.language(code).money(amount, "EUR") == shown


@pytest.mark.parametrize(
    ("preferences", "chosen"),
    [
        (("fr", "pl"), "fr"),
        ((None, "pl"), "pl"),
        (("de", "bg"), "bg"),
        (("PL",), "pl"),
        (("de", None), "en"),
        ((None, None), "en"),
    ],
)
def test_the_reader_s_locale_wins_then_the_tenant_default_then_english(
    preferences: tuple[str | None, ...], chosen: str
) -> None:
    assert templates.pick(*preferences) == chosen


def test_templates_ship_with_the_package() -> None:
    import tomllib
    from pathlib import Path

    pyproject = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text())
    assert pyproject["tool"]["setuptools"]["package-data"]["chalicelib.notifications"] == ["templates/*.json"]
    assert templates.DIRECTORY.is_relative_to(Path(templates.__file__).parent)  # under chalicelib/: chalice ships it
