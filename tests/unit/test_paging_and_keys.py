from __future__ import annotations

import base64
import json

import pytest

from chalicelib.domain.errors import MalformedRequestError
from chalicelib.storage import keys
from chalicelib.storage.paging import decode_cursor, encode_cursor


def test_a_cursor_round_trips_within_its_partition() -> None:
    lek = {"pk": {"S": "T#acme"}, "sk": {"S": "USER#1"}}
    cursor = encode_cursor(lek)
    assert cursor is not None
    assert decode_cursor(cursor, partition_attr="pk", partition_value="T#acme") == lek


def test_no_more_items_means_no_cursor() -> None:
    assert encode_cursor(None) is None
    assert decode_cursor(None, partition_attr="pk", partition_value="T#acme") is None


def test_a_cursor_forged_for_another_tenant_is_refused() -> None:
    cursor = encode_cursor({"pk": {"S": "T#other"}, "sk": {"S": "USER#1"}})
    with pytest.raises(MalformedRequestError):
        decode_cursor(cursor, partition_attr="pk", partition_value="T#acme")


@pytest.mark.parametrize(
    "cursor",
    [
        "%%%",
        base64.urlsafe_b64encode(b"not json").decode(),
        base64.urlsafe_b64encode(json.dumps([1, 2]).encode()).decode(),
        base64.urlsafe_b64encode(json.dumps({"pk": {"N": "1"}}).encode()).decode(),
    ],
)
def test_a_malformed_cursor_is_a_bad_request(cursor: str) -> None:
    with pytest.raises(MalformedRequestError):
        decode_cursor(cursor, partition_attr="pk", partition_value="T#acme")


def test_every_partition_key_starts_with_its_tenant() -> None:
    pairs = [
        keys.tenant_settings("acme"),
        keys.group("acme", "g"),
        keys.site("acme", "s"),
        keys.site_code_guard("acme", "S1"),
        keys.customer("acme", "c"),
        keys.customer_number_guard("acme", "C-1"),
        keys.user("acme", "u"),
        keys.staff_login("acme", "bob"),
        keys.customer_login("acme", "c", "bob"),
        keys.refresh_token("acme", "h"),
        keys.refresh_family("acme", "f"),
        keys.login_failures("acme", "x"),
    ]
    for pk, _ in pairs:
        assert pk == "T#acme" or pk.startswith("T#acme#")
        assert keys.tenant_of(pk) == "acme"
    assert keys.customers_of_rep("acme", "r").startswith("T#acme#")


def test_usernames_and_numbers_are_unique_regardless_of_case() -> None:
    assert keys.staff_login("acme", "Bob") == keys.staff_login("acme", "bob")
    assert keys.customer_number_guard("acme", "c-1") == keys.customer_number_guard("acme", "C-1")
