"""Checks shared by the infra tests: a table's key schema in one comparable shape, and IAM wildcards.

The PynamoDB models are the one source of truth for the table: `model_shape()` reads them through
`BaseItem._get_schema()` (the schema PynamoDB itself would create), so a GSI added to the models
and not to infra/ordergate.yaml, or the other way round, makes `shape_differences` non-empty.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from chalicelib.storage.items import BaseItem

Shape = dict[str, Any]


def _keys(key_schema: list[dict[str, str]]) -> list[tuple[str, str]]:
    return [(k["AttributeName"], k["KeyType"]) for k in key_schema]


def model_shape() -> Shape:
    """Keys, attribute types and indexes of the item models."""
    schema: Any = BaseItem._get_schema()
    attributes = {a["AttributeName"]: a["AttributeType"] for a in schema["attribute_definitions"]}
    indexes: dict[str, dict[str, Any]] = {"gsi": {}, "lsi": {}}
    for kind, key in (("gsi", "global_secondary_indexes"), ("lsi", "local_secondary_indexes")):
        for index in schema[key]:
            attributes.update({a["AttributeName"]: a["AttributeType"] for a in index["attribute_definitions"]})
            indexes[kind][index["index_name"]] = {
                "keys": _keys(index["key_schema"]),
                "projection": index["projection"]["ProjectionType"],
            }
    return {"keys": _keys(schema["key_schema"]), "attributes": attributes, **indexes}


def aws_shape(table: dict[str, Any]) -> Shape:
    """The same shape from CloudFormation `Properties` or a DescribeTable `Table` (same field names)."""
    indexes: dict[str, dict[str, Any]] = {"gsi": {}, "lsi": {}}
    for kind, key in (("gsi", "GlobalSecondaryIndexes"), ("lsi", "LocalSecondaryIndexes")):
        for index in table.get(key) or []:
            indexes[kind][index["IndexName"]] = {
                "keys": _keys(index["KeySchema"]),
                "projection": index["Projection"]["ProjectionType"],
            }
    return {
        "keys": _keys(table["KeySchema"]),
        "attributes": {a["AttributeName"]: a["AttributeType"] for a in table["AttributeDefinitions"]},
        **indexes,
    }


def shape_differences(models: Shape, other: Shape, other_name: str = "template") -> list[str]:
    """Human-readable differences; empty when the table is what the models expect."""
    out: list[str] = []
    if models["keys"] != other["keys"]:
        out.append(f"table keys: models {models['keys']}, {other_name} {other['keys']}")
    if models["attributes"] != other["attributes"]:
        out.append(f"attribute definitions: models {models['attributes']}, {other_name} {other['attributes']}")
    for kind in ("gsi", "lsi"):
        for name in sorted(set(models[kind]) - set(other[kind])):
            out.append(f"{kind} {name} is in the models but not in the {other_name}")
        for name in sorted(set(other[kind]) - set(models[kind])):
            out.append(f"{kind} {name} is in the {other_name} but not in the models")
        for name in sorted(set(models[kind]) & set(other[kind])):
            if models[kind][name] != other[kind][name]:
                out.append(f"{kind} {name}: models {models[kind][name]}, {other_name} {other[kind][name]}")
    return out


# --- IAM -----------------------------------------------------------------------------------------


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def wildcard_problems(policy: dict[str, Any]) -> list[str]:
    """Wildcard actions, `Resource: "*"`, and ARNs whose service, region or account is a wildcard.
    Patterns inside a named resource (`table/x/index/*`, `log-group:/aws/lambda/x-*`) are fine."""
    out: list[str] = []
    for statement in _as_list(policy["Statement"]):
        sid = statement.get("Sid", "?")
        if "NotAction" in statement or "NotResource" in statement:
            out.append(f"{sid}: NotAction/NotResource")
        for action in _as_list(statement["Action"]):
            if "*" in action:
                out.append(f"{sid}: wildcard action {action!r}")
        for resource in _as_list(statement["Resource"]):
            for text in _strings(resource):
                if text == "*":
                    out.append(f"{sid}: Resource '*'")
                elif text.startswith("arn:") and "*" in ":".join(text.split(":")[:5]):
                    out.append(f"{sid}: wildcard in the ARN's service, region or account: {text!r}")
    return out


def template_policies(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every inline IAM policy document in a template, by role and policy name."""
    out: dict[str, dict[str, Any]] = {}
    for name, resource in template["Resources"].items():
        if resource.get("Type") == "AWS::IAM::Role":
            for policy in resource["Properties"].get("Policies", []):
                out[f"{name}/{policy['PolicyName']}"] = policy["PolicyDocument"]
    return out
