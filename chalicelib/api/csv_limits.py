"""The products CSV import's limits, apart from the codec (api/csv_products.py): registering the route
documents them, and app.py's import should not load the CSV codec and its catalog schemas for that.

An import must answer within API Gateway's 29 s. Measured in the local stack (moto server over
HTTP, scripts/bench_import.py --server): 10,000 new rows took 30.1 s; 5,000 rows took 16-17 s to
create but 24.7-33.9 s in the worst case (every row renamed and repriced: all search terms move).
At 3,000 rows: 12.0 s to create, 25.3 s worst case, 11.2 s to re-import an unchanged export (all
measured on a shared 2-CPU machine under load, so with margin to spare on a quiet one).
So a file holds at most 3,000 rows.
moto costs ~0.3 ms per item written and ~2 ms per product read; DynamoDB is far faster, so this
limit is set by the local stack, not by the design. Above it the answer is 413 (split the file).
The body limit leaves room for long descriptions and stays below Lambda's 6 MB payload limit.
"""

MAX_IMPORT_ROWS = 3_000
MAX_IMPORT_BYTES = 5 * 1024 * 1024
