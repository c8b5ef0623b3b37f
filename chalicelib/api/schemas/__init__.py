"""The pydantic request and response bodies.

These modules do not use `from __future__ import annotations`, unlike the rest of the code: with it,
every field's annotation is a string that pydantic must parse and evaluate when the class is created,
and app.py's import creates every model (bench/README.md "cold_import": about 8 ms of ~190 on a quiet
machine). Without it Python evaluates the annotations as it runs the class body. So a model refers to
itself as `Self`, and a field may not be annotated with a name the class body has already used for
something else (hence `date as Date` in orders.py). tests/unit/test_cold_import.py keeps it so.
"""
