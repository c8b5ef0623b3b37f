"""The benchmark's capacity arithmetic (bench/counting.py): DynamoDB's size and rounding rules."""

from __future__ import annotations

from bench.counting import item_size, measure_call, read_units, write_units


def test_an_item_is_its_attribute_names_plus_values() -> None:
    assert item_size({"pk": {"S": "T#acme"}, "n": {"N": "12345"}, "ok": {"BOOL": True}}) == (2 + 6) + (1 + 4) + (2 + 1)
    assert item_size({"m": {"M": {"a": {"S": "xy"}}}}) == 1 + 3 + (1 + 1 + 2)


def test_reads_round_up_to_4_kb_and_eventual_consistency_halves_them() -> None:
    assert read_units(1) == 0.5
    assert read_units(4096) == 0.5
    assert read_units(4097) == 1.0
    assert read_units(4097, consistent=True) == 2.0
    assert read_units(100, transactional=True) == 2.0


def test_writes_round_up_to_1_kb_per_item() -> None:
    assert write_units(1) == 1.0
    assert write_units(1025) == 2.0
    assert write_units(10, transactional=True) == 2.0


def test_a_filtered_query_is_charged_for_what_it_read_not_what_it_returned() -> None:
    item = {"pk": {"S": "x" * 1000}}
    call = measure_call("Query", {"TableName": "t"}, {"Items": [item], "Count": 1, "ScannedCount": 9}, failed=False)
    assert call.items_read == 9
    assert call.estimated  # the eight filtered-out items' sizes are not in the response
    assert call.rcu == read_units(9 * item_size(item))


def test_a_transaction_counts_each_item_twice() -> None:
    put = {"Put": {"TableName": "t", "Item": {"pk": {"S": "a"}}}}
    check = {"ConditionCheck": {"TableName": "t", "Key": {"pk": {"S": "b"}}}}
    call = measure_call("TransactWriteItems", {"TransactItems": [put, check]}, {}, failed=False)
    # The check is read but billed as a transactional write (of an estimated 1 KB), as DynamoDB bills it.
    assert (call.items_written, call.items_read, call.wcu, call.rcu) == (1, 1, 4.0, 0.0)
