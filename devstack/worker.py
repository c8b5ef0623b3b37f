"""The stream worker: what the Lambda event source mapping does on AWS, done locally.

`chalice local` serves HTTP only and never runs `@app.on_dynamodb_record` handlers, so this reads
the table's stream (DescribeTable → DescribeStream → GetShardIterator → GetRecords), turns each
batch into the event Lambda would deliver, and calls the same function the Lambda runs
(`chalicelib.notifications.stream.handle_batch`). Like Lambda with ReportBatchItemFailures, it
retries a batch from the first failed record, a few times, then logs and moves on. An error reading
the stream is logged (by the polling loop) and the next round resumes after the last record handled.
"""

from __future__ import annotations

import base64
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from botocore.exceptions import ClientError

log = logging.getLogger(__name__)

StartPosition = Literal["TRIM_HORIZON", "LATEST"]
Handler = Callable[[dict[str, Any]], Mapping[str, Any] | None]
MAX_ROUND_SECONDS = 1.0


# --- GetRecords record → Lambda event record ------------------------------------------------------
def epoch_seconds(value: Any) -> int:
    """GetRecords (through botocore) gives a datetime; Lambda events carry whole epoch seconds."""
    if isinstance(value, datetime):
        return int(value.timestamp())
    if isinstance(value, int | float):
        return int(value)
    if isinstance(value, str):
        try:
            return int(float(value))
        except ValueError:
            return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp())
    raise TypeError(f"ApproximateCreationDateTime of unexpected type {type(value).__name__}")


def json_shaped(value: Any) -> Any:
    """botocore decodes binary attributes (B, BS) to bytes; a Lambda event has them as base64 text."""
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, Mapping):
        return {k: json_shaped(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_shaped(v) for v in value]
    return value


def region_of(arn: str) -> str:
    return arn.split(":")[3]


def lambda_record(record: Mapping[str, Any], stream_arn: str) -> dict[str, Any]:
    """One GetRecords record as Lambda delivers it: with `eventSourceARN` and a numeric
    `ApproximateCreationDateTime` (chalice's DynamoDBRecord needs both)."""
    out = dict(record)
    ddb = dict(record.get("dynamodb") or {})
    if "ApproximateCreationDateTime" in ddb:
        ddb["ApproximateCreationDateTime"] = epoch_seconds(ddb["ApproximateCreationDateTime"])
    for name in ("Keys", "NewImage", "OldImage"):
        if name in ddb:
            ddb[name] = json_shaped(ddb[name])
    out["dynamodb"] = ddb
    out["eventSourceARN"] = stream_arn
    out["awsRegion"] = region_of(stream_arn)  # moto always says us-east-1
    return out


def lambda_event(records: Iterable[Mapping[str, Any]], stream_arn: str) -> dict[str, Any]:
    return {"Records": [lambda_record(r, stream_arn) for r in records]}


def sequence_number(record: Mapping[str, Any]) -> str:
    return str(record["dynamodb"]["SequenceNumber"])


# --- reading the stream ---------------------------------------------------------------------------
@dataclass
class _Shard:
    shard_id: str
    parent_id: str | None
    start: StartPosition
    iterator: str | None = None
    last_sequence: str | None = None
    closed: bool = False  # read to its end: GetRecords returned no next iterator


class StreamWorker:
    """Polls one table's stream and hands each batch of records to `handler`.

    `poll_once()` does one round (tests call it directly); `run_step` is what PollingThread calls.
    `start="TRIM_HORIZON"` delivers everything already in the stream (the local stack starts on a
    fresh emulator, so that is this run's seed); "LATEST" only what is written from now on.
    Shards found after the first round are always read from their beginning.
    """

    def __init__(
        self,
        dynamodb: Any,
        streams: Any,
        table_name: str,
        handler: Handler,
        *,
        start: StartPosition = "TRIM_HORIZON",
        batch_size: int = 100,
        max_attempts: int = 3,
        retry_delay: float = 0.2,
    ) -> None:
        self._dynamodb = dynamodb
        self._streams = streams
        self._table_name = table_name
        self._handler = handler
        self._start = start
        self._batch_size = batch_size
        self._max_attempts = max_attempts
        self._retry_delay = retry_delay
        self._stream_arn: str | None = None
        self._shards: dict[str, _Shard] = {}
        self._first_stream = True
        self._waiting_logged = False
        self.delivered = 0  # records handed to the handler (each once, retries not counted)

    @property
    def stream_arn(self) -> str | None:
        return self._stream_arn

    def run_step(self) -> None:
        self.poll_once()

    def poll_once(self) -> int:
        """Read every shard once; returns how many records were delivered."""
        arn = self._latest_stream_arn()
        if arn is None:
            return 0
        if arn != self._stream_arn:
            if self._stream_arn is not None:
                log.info("stream changed (table re-created?): now reading %s", arn)
                self._first_stream = False
            self._stream_arn, self._shards = arn, {}
        try:
            self._refresh_shards(arn)
            count = 0
            for shard in list(self._shards.values()):
                # A backlog (a seed, an import) is read page after page, for about a second at most
                # per round so that stopping the stack never waits long for this loop.
                started = time.monotonic()
                while self._ready(shard):
                    read = self._read(arn, shard)
                    count += read
                    if read < self._batch_size or time.monotonic() - started > MAX_ROUND_SECONDS:
                        break
            self._first_stream = False
            return count
        except ClientError as exc:
            if _code(exc) == "ResourceNotFoundException":  # stream disabled or table deleted meanwhile
                self._stream_arn, self._shards = None, {}
                return 0
            raise

    def _latest_stream_arn(self) -> str | None:
        try:
            table = self._dynamodb.describe_table(TableName=self._table_name)["Table"]
        except ClientError as exc:
            if _code(exc) != "ResourceNotFoundException":
                raise
            table = {}
        enabled = (table.get("StreamSpecification") or {}).get("StreamEnabled", False)
        arn: str | None = table.get("LatestStreamArn") if enabled else None
        if arn is None and not self._waiting_logged:
            log.info("waiting for table %s and its stream", self._table_name)
        self._waiting_logged = arn is None
        return arn

    def _refresh_shards(self, arn: str) -> None:
        listed: set[str] = set()
        kwargs: dict[str, Any] = {"StreamArn": arn}
        while True:
            description = self._streams.describe_stream(**kwargs)["StreamDescription"]
            for s in description.get("Shards", []):
                shard_id = s["ShardId"]
                listed.add(shard_id)
                if shard_id not in self._shards:
                    start: StartPosition = self._start if self._first_stream else "TRIM_HORIZON"
                    self._shards[shard_id] = _Shard(shard_id, s.get("ParentShardId"), start)
            last = description.get("LastEvaluatedShardId")
            if not last:
                break
            kwargs["ExclusiveStartShardId"] = last
        # Forget shards that are read to the end and have aged out of the stream.
        for shard_id in [k for k, v in self._shards.items() if v.closed and k not in listed]:
            del self._shards[shard_id]

    def _ready(self, shard: _Shard) -> bool:
        """Read a child shard only after its parent is read to its end, to keep per-item order."""
        if shard.closed:
            return False
        parent = self._shards.get(shard.parent_id) if shard.parent_id else None
        return parent is None or parent.closed

    def _read(self, arn: str, shard: _Shard) -> int:
        try:
            if shard.iterator is None:
                shard.iterator = self._iterator(arn, shard)
            page = self._streams.get_records(ShardIterator=shard.iterator, Limit=self._batch_size)
        except Exception as exc:
            # Whatever went wrong, the next round asks for a new iterator after the last record
            # handled: an error never loses a record, never repeats one, and never stops the worker.
            shard.iterator = None
            if isinstance(exc, ClientError) and _code(exc) == "ExpiredIteratorException":
                return 0
            if isinstance(exc, ClientError) and _code(exc) == "TrimmedDataAccessException":
                log.warning("shard %s: records expired before they were read; continuing", shard.shard_id)
                shard.last_sequence, shard.start = None, "TRIM_HORIZON"
                return 0
            raise
        records: list[dict[str, Any]] = page.get("Records", [])
        if records:
            self._deliver(records, arn)
            shard.last_sequence = sequence_number(records[-1])
        next_iterator = page.get("NextShardIterator")
        if next_iterator is None:
            shard.iterator, shard.closed = None, True
            log.info("shard %s read to its end", shard.shard_id)
        elif not records and (shard.last_sequence is not None or shard.start == "TRIM_HORIZON"):
            # An idle shard: ask again next round from the last record handled rather than trusting
            # an iterator that may be tied to a shard the emulator has since replaced (moto did so
            # when it rolled a refused transaction back: the worker then never saw a record again).
            # A LATEST shard with nothing read yet has no such position: its iterator is kept.
            shard.iterator = None
        else:
            shard.iterator = next_iterator
        return len(records)

    def _iterator(self, arn: str, shard: _Shard) -> str:
        kwargs: dict[str, Any] = {"StreamArn": arn, "ShardId": shard.shard_id}
        if shard.last_sequence is not None:
            kwargs.update(ShardIteratorType="AFTER_SEQUENCE_NUMBER", SequenceNumber=shard.last_sequence)
        else:
            kwargs["ShardIteratorType"] = shard.start
        iterator: str = self._streams.get_shard_iterator(**kwargs)["ShardIterator"]
        return iterator

    def _deliver(self, records: list[dict[str, Any]], arn: str) -> None:
        kinds = Counter(r.get("eventName", "?") for r in records)
        log.info("stream: %d record(s) to the handler (%s)", len(records), _summary(kinds))
        self.delivered += len(records)
        pending = records
        for attempt in range(1, self._max_attempts + 1):
            failed = self._invoke(pending, arn, verbose=attempt == 1)
            if not failed:
                return
            # As Lambda does with ReportBatchItemFailures: retry from the first failed record on.
            first = next((i for i, r in enumerate(pending) if sequence_number(r) in failed), None)
            if first is None:  # the handler named records it was not given: nothing to retry
                return
            pending = pending[first:]
            if attempt < self._max_attempts:
                log.warning("stream: %d record(s) failed; retry %d of %d", len(failed), attempt, self._max_attempts - 1)
                time.sleep(self._retry_delay * attempt)
        log.error(
            "stream: giving up on %d record(s) after %d attempts (sequence numbers %s)",
            len(pending),
            self._max_attempts,
            ", ".join(sequence_number(r) for r in pending),
        )

    def _invoke(self, records: list[dict[str, Any]], arn: str, *, verbose: bool) -> set[str]:
        """Sequence numbers of the records the handler reported as failed (all, if it raised)."""
        try:
            result = self._handler(lambda_event(records, arn)) or {}
        except Exception as exc:
            if verbose:  # the traceback once; retries of the same batch usually fail the same way
                log.exception("stream: the handler raised; the whole batch failed")
            else:
                log.warning("stream: the handler raised again: %s", str(exc).splitlines()[0] if str(exc) else exc)
            return {sequence_number(r) for r in records}
        return {str(f["itemIdentifier"]) for f in result.get("batchItemFailures") or []}


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _summary(kinds: Counter[str]) -> str:
    return ", ".join(f"{name} {n}" for name, n in sorted(kinds.items()))
