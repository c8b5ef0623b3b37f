"""The e-mails and pages' words and shapes: every language complete, money and dates the reader's way, and
text that stays text: whatever a user typed into any field stays inside its own line or quoted block."""

from __future__ import annotations

import json
import string
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from chalicelib.domain.orders import OrderStatus
from chalicelib.notifications.changes import EventName
from chalicelib.rendering import render
from chalicelib.rendering.render import SENTENCE_VALUES, Mail, one_line, quoted
from chalicelib.rendering.words import CATALOGS, SUPPORTED, pick, words

SAMPLE: dict[str, str | None] = {
    "recipient": "Anna",
    "supplier": "Acme Ltd",
    "number": "ORD-000001",
    "customer": "Bistro Lumière",
    "reference": "PO-1",
    "status": "submitted",
    "total": "€1,234.50",
    "proposed_total": "€1,000.00",
    "actor": "Sam",
    "document": "DN-1",
    "file": "dn.pdf",
    "amount": "€10.00",
    "due_date": "Apr 1, 2026",
    "carrier": "DPD",
    "tracking": "123",
    "company_code": "acme",
    "username": "anna",
    "customer_numbers": "C-1",
}
LINKS: dict[str, Any] = {
    "order_link": "https://portal.example/orders/1",
    "portal_link": "https://portal.example/login",
    "approve_link": "https://api.example/actions/t",
    "reject_link": "https://api.example/actions/t#reject",
    "password_link": "https://api.example/password-reset/t",
}
# What a buyer could type into a field (issue 23): line breaks, a fake decision line, markup, bidi overrides.
EVIL = "https://evil.example/approve"
HOSTILE = (
    f"X\r\n\nURGENT: your approval is needed\nApprove: {EVIL}\u2028<a href='{EVIL}'>click</a>\u202e<script>x</script>"
)


def raw(code: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((CATALOGS / f"{code}.json").read_text(encoding="utf-8"))
    return data


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def hostile_mail() -> Mail:
    return Mail(
        values={name: f"{name} {HOSTILE}" for name in SENTENCE_VALUES},
        note=f"first line\n{HOSTILE}",
        lines=[f"SKU {HOSTILE}: 1 x €1.00 = €1.00"],
        lines_more="… and 3 more lines",  # the rest is written by the system, from amounts and catalog sentences
        reasons=["The total is over the submitter's approval limit of €500.00."],
        net="€1.00",
        tax="€0.20",
        covered=f"Boss {HOSTILE}",
        **LINKS,
    )


@pytest.mark.parametrize("code", SUPPORTED)
def test_every_language_has_every_event_label_status_and_page_sentence(code: str) -> None:
    data, english = raw(code), raw("en")
    assert set(data["events"]) == {e.value for e in EventName} | {"invitation", "password_reset"}
    for part in ("labels", "pages", "decisions", "reasons"):
        assert set(data[part]) == set(english[part]), part
    assert set(data["statuses"]) == {s.value for s in OrderStatus}
    for name, entry in data["events"].items():
        assert set(entry) == set(english["events"][name]), name


@pytest.mark.parametrize("code", SUPPORTED)
def test_sentences_name_only_values_they_are_given(code: str) -> None:
    data = raw(code)
    texts = [data["greeting"], data["greeting_anonymous"]]
    texts += [v for entry in data["events"].values() for k, v in entry.items() if k != "layout"]
    for text in texts:
        assert fields(text) <= SENTENCE_VALUES, text
    for key, text in data["pages"].items():  # each page sentence against English's: same placeholders
        assert fields(text) == fields(raw("en")["pages"][key]), key


@pytest.mark.parametrize("code", SUPPORTED)
@pytest.mark.parametrize("event", [e.value for e in EventName] + ["invitation", "password_reset"])
def test_every_e_mail_renders_in_every_language(code: str, event: str) -> None:
    rendered = render.email(event, words(code), Mail(values=SAMPLE, note="a note", **LINKS))
    assert rendered.subject and "\n" not in rendered.subject and "{" not in rendered.subject
    assert "{" not in rendered.text and "{" not in rendered.html
    assert rendered.html.startswith("<!DOCTYPE html>") and f'lang="{code}"' in rendered.html
    assert "Anna" in rendered.text and "Acme Ltd" in rendered.text


class Html(HTMLParser):
    """The tags, links and text of an e-mail, and which text stands inside a <blockquote>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.hrefs: list[str] = []
        self.depth = 0
        self.outside: list[str] = []
        self.inside: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.hrefs += [v or "" for k, v in attrs if k == "href"]
        self.depth += tag == "blockquote"

    def handle_endtag(self, tag: str) -> None:
        self.depth -= tag == "blockquote"

    def handle_data(self, data: str) -> None:
        (self.inside if self.depth else self.outside).append(data)


@pytest.mark.parametrize("code", SUPPORTED)
@pytest.mark.parametrize("event", [e.value for e in EventName] + ["invitation", "password_reset"])
def test_hostile_text_in_every_field_stays_in_its_line_or_quoted_block(code: str, event: str) -> None:
    w = words(code)
    rendered = render.email(event, w, hostile_mail())
    genuine = {w.labels["approve"], w.labels["reject"]}
    assert "\n" not in rendered.subject and "\u202e" not in rendered.subject
    # Text: every line that holds typed text either is quoted ("> ") or holds it after the e-mail's own words:
    # no typed line starts a line of the e-mail, so no fake "Approve: https://..." line.
    decisions = tuple(f"{g}{w.colon}" for g in genuine)
    for line in rendered.text.splitlines():
        assert "\u202e" not in line and "\u2028" not in line and "\r" not in line
        if line.startswith("> "):
            continue
        assert not line.startswith(("URGENT", "<a", "X ", f"Approve: {EVIL}")), line
        if line.startswith(decisions):
            assert line.endswith(("https://api.example/actions/t", "https://api.example/actions/t#reject")), line
    # HTML: no markup from a value; only the e-mail's own links; typed lines only inside a quoted block.
    page = Html()
    page.feed(rendered.html)
    assert "script" not in page.tags and EVIL not in " ".join(page.hrefs)
    assert set(page.hrefs) <= set(LINKS.values())
    assert not any(text.startswith(("Approve:", "URGENT")) for text in "".join(page.outside).splitlines())
    if "blockquote" in page.tags:
        assert any("URGENT" in t for t in page.inside)


def test_a_multi_line_note_is_a_quoted_block_in_text_and_html() -> None:
    mail = render.email("rejected", words("en"), Mail(values=SAMPLE, note="first line\nsecond line"))
    assert "Reason:\n> first line\n> second line\n" in mail.text
    assert "<blockquote" in mail.html and "first line<br>\nsecond line</blockquote>" in mail.html


def test_single_line_values_lose_their_breaks_and_bidi_controls() -> None:
    assert one_line("PO-7\n\nURGENT\u202e\r\nApprove: x") == "PO-7 URGENT Approve: x"
    assert quoted("a\r\n\nb\u202ec") == "> a\n>\n> b c"


def test_optional_lines_disappear_when_there_is_nothing_to_show() -> None:
    values = {**SAMPLE, "reference": None}
    text = render.email("confirmed", words("en"), Mail(values=values)).text
    assert "Customer reference" not in text and "Reason" not in text and "\n\n\n" not in text
    assert "Carrier: DPD" in text  # what is there is shown
    assert "View the order" not in text  # no portal link given: none shown


def test_a_nameless_reader_is_greeted_without_a_name() -> None:
    text = render.email("submitted", words("fr"), Mail(values={**SAMPLE, "recipient": None})).text
    assert text.startswith("Bonjour,\n")


@pytest.mark.parametrize(
    ("code", "amount", "shown"),
    [
        ("en", "1234.5", "€1,234.50"),
        ("fr", "1234.5", "1\u202f234,50\u00a0€"),
        ("pl", "1234567.891", "1\u00a0234\u00a0567,89\u00a0€"),
        ("bg", "0", "0,00\u00a0€"),
    ],
)
def test_money_is_written_the_readers_way(code: str, amount: str, shown: str) -> None:
    assert words(code).money(amount, "EUR") == shown


def test_dates_and_times_are_written_the_readers_way() -> None:
    assert words("fr").date("2026-04-01") == "1 avr. 2026"
    assert words("en").moment("2026-12-07T18:40:00Z") == "Dec 7, 2026, 6:40:00\u202fPM UTC"
    assert words("fr").moment("2026-12-07T18:40:00Z") == "7 déc. 2026, 18:40:00 UTC"


@pytest.mark.parametrize(
    ("reason", "english", "french"),
    [
        ({"code": "policy"}, "policy asks for approval", "politique de votre organisation"),
        ({"code": "over_limit", "limit": "500.00"}, "limit of €500.00", "(500,00\u00a0€)"),
        ({"code": "over_limit"}, "no approval limit", "pas de limite"),
        (
            {"code": "over_budget", "budget": "1000.00", "spent": "900.00", "remaining": "100.00"},
            "budget of €1,000.00: €900.00 spent, €100.00 remaining",
            "1\u202f000,00\u00a0€ : 900,00\u00a0€ dépensés, 100,00\u00a0€ restants",
        ),
    ],
)
def test_an_approval_reason_is_one_sentence_in_each_language(reason: dict[str, str], english: str, french: str) -> None:
    assert english in words("en").reason(reason, "EUR")
    assert french in words("fr").reason(reason, "EUR")


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
    assert pick(*preferences) == chosen


def test_catalogs_and_templates_ship_with_the_package() -> None:
    import tomllib

    pyproject = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text())
    shipped = pyproject["tool"]["setuptools"]["package-data"]["chalicelib.rendering"]
    root = Path(render.__file__).parent
    for pattern in shipped:
        assert list(root.glob(pattern)), pattern
    every = {
        p.relative_to(root)
        for p in root.rglob("*")
        if p.is_file() and p.suffix != ".py" and "__pycache__" not in p.parts
    }
    assert every == {p.relative_to(root) for pattern in shipped for p in root.glob(pattern)}
    assert CATALOGS.is_relative_to(root) and render.TEMPLATES.is_relative_to(
        root
    )  # under chalicelib/: chalice ships it


@pytest.mark.parametrize(
    ("code", "said"),
    [
        ("en", "You receive this e-mail standing in for Boss."),
        ("fr", "Vous recevez cet e-mail en remplacement de Boss."),
        ("pl", "Otrzymujesz tę wiadomość w zastępstwie za Boss."),
        ("bg", "Получавате този имейл като заместник на Boss."),
    ],
)
def test_a_delegate_s_e_mail_names_whom_they_stand_in_for(code: str, said: str) -> None:
    w = words(code)
    for event in ("approval_needed", "proposal_approval"):
        rendered = render.email(event, w, Mail(values=SAMPLE, covered="Boss", **LINKS))
        assert rendered.text.count(said) == 1 and rendered.html.count(said) == 1
    assert said not in render.email("approval_needed", w, Mail(values=SAMPLE, **LINKS)).text


def test_a_credit_hold_is_one_sentence_like_any_other_reason() -> None:
    assert words("en").reason({"code": "credit_hold"}, "EUR").startswith("The order is on credit hold")
    assert words("fr").reason({"code": "credit_hold"}, "EUR").startswith("La commande est bloquée")
