"""Every event type the domain records has its published model (chalicelib/event_payloads.py), with an
example the model accepts, and the OpenAPI document publishes each in `webhooks` and
`components.schemas`."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from chalicelib.domain.order_states import EventType
from chalicelib.event_payloads import DATA, EVENTS, PingEvent, check


def test_every_domain_event_type_has_a_model() -> None:
    missing = set(EventType) - set(DATA)
    assert not missing, f"add a ...Data model and a line in event_payloads.DATA for {sorted(missing)}"


@pytest.mark.parametrize("event_type", list(EventType))
def test_each_example_is_valid_and_published(event_type: EventType) -> None:
    import app  # registers the routes
    from chalicelib.api.openapi import document

    assert app.app is not None
    model = EVENTS[event_type]
    schema = model.model_json_schema()
    (example,) = schema["examples"]
    assert model.model_validate(example).model_dump(mode="json", by_alias=True, exclude_unset=True) == example
    doc = document()
    ref = doc["webhooks"][event_type.value]["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert ref == f"#/components/schemas/{model.__name__}"
    assert doc["components"]["schemas"][model.__name__]["examples"] == [example]
    assert "ping" in doc["webhooks"] and PingEvent.__name__ in doc["components"]["schemas"]


def test_a_recorded_payload_outside_its_model_is_refused() -> None:
    example = DATA[EventType.REJECTED].example()
    check("order.rejected", example)
    with pytest.raises(ValidationError):
        check("order.rejected", {k: v for k, v in example.items() if k != "reason"})
    with pytest.raises(ValidationError):  # a detail the domain adds without the model saying so
        check("order.created", {**DATA[EventType.CREATED].example(), "surprise": 1})
