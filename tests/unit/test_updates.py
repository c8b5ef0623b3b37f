from __future__ import annotations

from dataclasses import dataclass, replace

import pytest

from chalicelib.domain.errors import ConflictError, VersionMismatchError
from chalicelib.services.updates import ATTEMPTS, apply_change


@dataclass
class Doc:
    text: str
    version: int


class Store:
    """A one-document store whose writes are conditional on the version, like DynamoDB."""

    def __init__(self) -> None:
        self.doc = Doc("", 1)
        self.interfere = 0  # how many writes a concurrent writer wins first

    def load(self) -> Doc:
        return self.doc

    def write(self, before: Doc, after: Doc) -> Doc:
        if self.interfere:
            self.interfere -= 1
            self.doc = replace(self.doc, text=self.doc.text + "[other]", version=self.doc.version + 1)
        if self.doc.version != before.version:
            raise VersionMismatchError()
        self.doc = replace(after, version=before.version + 1)
        return self.doc


def test_a_change_without_if_match_is_reapplied_after_a_concurrent_write() -> None:
    store = Store()
    store.interfere = 2
    result = apply_change(None, store.load, lambda d: replace(d, text=d.text + "[mine]"), store.write)
    assert result.text == "[other][other][mine]"  # neither writer's change was lost


def test_a_stale_if_match_is_refused_before_writing() -> None:
    store = Store()
    with pytest.raises(VersionMismatchError):
        apply_change(7, store.load, lambda d: replace(d, text="x"), store.write)
    assert store.doc.text == ""


def test_if_match_losing_a_race_is_refused_not_retried() -> None:
    store = Store()
    store.interfere = 1
    with pytest.raises(VersionMismatchError):
        apply_change(1, store.load, lambda d: replace(d, text="x"), store.write)
    assert "x" not in store.doc.text


def test_endless_contention_ends_in_a_conflict() -> None:
    store = Store()
    store.interfere = ATTEMPTS
    with pytest.raises(ConflictError):
        apply_change(None, store.load, lambda d: replace(d, text="x"), store.write)
