"""The DynamoDB backend: one table, one item per household profile, one per entry.

Single-table design (see docs/store.md):

* profile: ``pk = H#<household hash>``, ``sk = PROFILE``; the flat attributes
  (``count.win``, ``day.2026-11-25.win``...) as top-level attributes, plus ``version``
  (``ADD 1`` on every write);
* entry: ``pk = H#<household hash>``, ``sk = E#<kind>#<ISO UTC time>#<random>`` with
  ``text``, ``at``, ``expires`` (exact ISO), ``person`` and the TTL attribute
  ``expires_at`` (epoch seconds, a Number). DynamoDB deletes expired items late (up to
  days), so readers skip them.

Every turn costs at most one read call and one write call: ``apply`` is one
``UpdateItem`` (``ReturnValues=ALL_NEW``: the exact profile after), or, when the change
carries an entry, one ``TransactWriteItems`` (update the profile, put the entry) that
answers ``merged(base, change)``. Attribute names always go through
``ExpressionAttributeNames`` placeholders (they contain dots). The profile is never put
whole, so concurrent ``ADD``s from other devices are never lost.

The boto3 client is injected; :func:`make_client` builds the production one.
"""

from __future__ import annotations

import argparse
import math
import secrets
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from skill.store.base import (
    ONCE_KEEP_MAX,
    ONCE_KEEP_S,
    Change,
    Conflict,
    Entry,
    Snapshot,
    StoreError,
    Value,
    merged,
    once_marker,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import (
        AttributeValueTypeDef,
        QueryInputTypeDef,
        TransactWriteItemTypeDef,
        WriteRequestTypeDef,
    )

PK = "pk"
SK = "sk"
TTL_ATTRIBUTE = "expires_at"
VERSION = "version"
PROFILE_SK = "PROFILE"
_KEYS = frozenset({PK, SK, VERSION})
# Applied ``once`` markers live in the profile item as ``once.<16 hex>`` = epoch seconds.
MARKER_PREFIX = "once."
# /healthz writes this item (one WRU) to prove the table takes writes.
HEALTH_KEY = {PK: {"S": "HEALTH"}, SK: {"S": "PROBE"}}

# Alexa waits about 8 s for an answer, and a failing store must still leave time for the
# spoken apology. Each attempt may spend 1 s connecting and 1 s waiting for a reply
# (DynamoDB answers in milliseconds); "standard" retries (throttling, timeouts, 5xx) make
# at most 2 attempts in all, with a jittered backoff of at most 1 s. So one call fails
# within about 3 s even against a table that accepts the connection and never answers,
# and a turn stops at its first failed call (the read), well inside the budget. NB
# botocore's ``max_attempts`` counts *retries* (``max_attempts: 3`` is 4 attempts, up to
# 1+2+4 s of backoff, measured 5.5 s), so the bound is spelled ``total_max_attempts``.
RETRIES: Mapping[str, Any] = {"mode": "standard", "total_max_attempts": 2}
CONNECT_TIMEOUT_S = 1
READ_TIMEOUT_S = 1
# BatchWriteItem may hand back unprocessed deletes under load: retry them a few times.
ERASE_RETRIES = 5


def make_client(
    *, endpoint_url: str | None = None, region_name: str | None = None
) -> DynamoDBClient:
    """A DynamoDB client with short timeouts and bounded retries.

    Region and credentials come from the environment (``AWS_REGION`` /
    ``AWS_DEFAULT_REGION``, the Lambda role...). boto3 itself honours
    ``AWS_ENDPOINT_URL_DYNAMODB`` and ``AWS_ENDPOINT_URL`` (botocore >= 1.31), which is how
    ``make moto`` points the skill at a local moto server; ``endpoint_url`` overrides.
    """
    import boto3
    from botocore.config import Config

    config = Config(
        retries=dict(RETRIES),  # type: ignore[arg-type]
        connect_timeout=CONNECT_TIMEOUT_S,
        read_timeout=READ_TIMEOUT_S,
    )
    try:
        # A session per client: boto3's default session is not safe to share across threads
        # while clients are being created; the client itself is thread-safe.
        return boto3.session.Session().client(
            "dynamodb", config=config, endpoint_url=endpoint_url, region_name=region_name
        )
    except BotoCoreError as exc:  # NoRegionError, bad endpoint...
        raise StoreError(f"dynamodb client: {type(exc).__name__}: {exc}") from exc


def create_table(client: DynamoDBClient, table: str) -> None:
    """Create the table (on demand, TTL on ``expires_at``); for tests and ``make moto``."""
    client.create_table(
        TableName=table,
        AttributeDefinitions=[
            {"AttributeName": PK, "AttributeType": "S"},
            {"AttributeName": SK, "AttributeType": "S"},
        ],
        KeySchema=[
            {"AttributeName": PK, "KeyType": "HASH"},
            {"AttributeName": SK, "KeyType": "RANGE"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    client.get_waiter("table_exists").wait(
        TableName=table, WaiterConfig={"Delay": 1, "MaxAttempts": 60}
    )
    client.update_time_to_live(
        TableName=table,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": TTL_ATTRIBUTE},
    )


# -- encoding --------------------------------------------------------------------------------
def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _parse(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def _epoch_ceil(moment: datetime) -> int:
    """TTL seconds, rounded up: DynamoDB never deletes an entry before it expires."""
    return math.ceil(moment.timestamp())


def _encode(value: Value) -> AttributeValueTypeDef:
    if isinstance(value, bool):  # bool is an int; keep it a number
        return {"N": str(int(value))}
    if isinstance(value, int):
        return {"N": str(value)}
    if isinstance(value, str):
        return {"S": value}
    raise TypeError(f"unsupported value {type(value).__name__}")


def _decode(raw: Mapping[str, Any]) -> Value | None:
    if "S" in raw:
        return str(raw["S"])
    if "N" in raw:
        # Numbers arrive as strings (Decimal in the resource API): the profile holds ints.
        number = str(raw["N"])
        try:
            return int(number)
        except ValueError:
            return int(float(number))
    return None


def _snapshot(item: Mapping[str, Any]) -> Snapshot:
    """A profile item as a Snapshot: keys stripped, ``once`` markers set apart."""
    attrs: dict[str, Value] = {}
    markers: dict[str, int] = {}
    for name, raw in item.items():
        if name in _KEYS:
            continue
        value = _decode(raw)
        if value is None:
            continue
        if name.startswith(MARKER_PREFIX):
            markers[name] = value if isinstance(value, int) else 0
        else:
            attrs[name] = value
    return Snapshot(attrs, markers)


def _stale_markers(markers: Mapping[str, int], now: int) -> list[str]:
    """Markers the next write removes: too old, or beyond the newest ones kept."""
    newest = sorted(markers, key=lambda m: markers[m], reverse=True)
    kept = set(newest[: ONCE_KEEP_MAX - 1])
    return [m for m in newest if m not in kept or markers[m] < now - ONCE_KEEP_S]


def household_pk(household: str) -> str:
    return f"H#{household}"


def entry_prefix(kind: str) -> str:
    return f"E#{kind}#"


class _Expression:
    """ExpressionAttributeNames / Values placeholders, one per distinct name."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}
        self.values: dict[str, AttributeValueTypeDef] = {}
        self._by_name: dict[str, str] = {}

    def name(self, attribute: str) -> str:
        placeholder = self._by_name.get(attribute)
        if placeholder is None:
            placeholder = f"#n{len(self._by_name)}"
            self._by_name[attribute] = placeholder
            self.names[placeholder] = attribute
        return placeholder

    def value(self, value: Value) -> str:
        placeholder = f":v{len(self.values)}"
        self.values[placeholder] = _encode(value)
        return placeholder


def _update_parts(
    change: Change, *, marker: str | None = None, stamp: int = 0, prune: Sequence[str] = ()
) -> tuple[str, str | None, _Expression]:
    """The UpdateExpression and ConditionExpression of one change.

    With a ``marker``: ``SET marker = stamp`` under ``attribute_not_exists(marker)``, and
    the ``prune`` markers removed, in the same UpdateItem."""
    for name in (*change.add, *change.set, *change.remove, *change.expect):
        if name in _KEYS or name.startswith(MARKER_PREFIX):
            raise ValueError(f"reserved attribute name {name!r}")
    expr = _Expression()
    clauses: list[str] = []
    sets = [f"{expr.name(n)} = {expr.value(v)}" for n, v in change.set.items()]
    if marker is not None:
        sets.append(f"{expr.name(marker)} = {expr.value(stamp)}")
    if sets:
        clauses.append("SET " + ", ".join(sets))
    adds = [f"{expr.name(n)} {expr.value(v)}" for n, v in change.add.items()]
    adds.append(f"{expr.name(VERSION)} {expr.value(1)}")
    clauses.append("ADD " + ", ".join(adds))
    removes = [*change.remove, *(m for m in prune if m != marker)]
    if removes:
        clauses.append("REMOVE " + ", ".join(expr.name(n) for n in removes))
    conditions = []
    if marker is not None:
        conditions.append(f"attribute_not_exists({expr.name(marker)})")
    for name, expected in change.expect.items():
        if expected is None:
            conditions.append(f"attribute_not_exists({expr.name(name)})")
        else:
            conditions.append(f"{expr.name(name)} = {expr.value(expected)}")
    condition = " AND ".join(conditions) if conditions else None
    return " ".join(clauses), condition, expr


def _is_conflict(exc: ClientError) -> bool:
    error = exc.response.get("Error", {})
    code = error.get("Code", "")
    if code == "ConditionalCheckFailedException":
        return True
    if code == "TransactionCanceledException":
        # Nothing of a cancelled transaction is written. A failed condition, or another
        # transaction on the same item at the same moment (TransactionConflict): the core
        # re-reads and recomputes, exactly as for a failed expectation.
        reasons: Sequence[Mapping[str, Any]] = exc.response.get("CancellationReasons", [])
        codes = {str(r.get("Code")) for r in reasons}
        if not codes:  # older botocore: the reasons only in the message
            message = str(error.get("Message", ""))
            codes = {c for c in ("ConditionalCheckFailed", "TransactionConflict") if c in message}
        return bool(codes & {"ConditionalCheckFailed", "TransactionConflict"})
    return False


def _failed_item(exc: ClientError) -> Mapping[str, Any]:
    """The item a failed condition handed back (``ReturnValuesOnConditionCheckFailure``):
    the error's ``Item`` for UpdateItem, the profile update's reason for a transaction."""
    item = exc.response.get("Item")
    if isinstance(item, Mapping):
        return item
    reasons = exc.response.get("CancellationReasons") or []
    if reasons and isinstance(reasons[0], Mapping):
        first = reasons[0].get("Item")
        if isinstance(first, Mapping):
            return first
    return {}


class _Applied(Exception):  # control flow inside apply, never escapes
    """The write's ``once`` marker is already on the profile."""

    def __init__(self, snapshot: Snapshot) -> None:
        super().__init__("already applied")
        self.snapshot = snapshot


class DynamoStore:
    """HouseholdStore on one DynamoDB table. The store owns (and closes) the client."""

    def __init__(self, table: str, client: DynamoDBClient) -> None:
        self.table = table
        self.client = client

    # -- plumbing -----------------------------------------------------------------
    @contextmanager
    def _errors(self, marker: str | None = None) -> Iterator[None]:
        try:
            yield
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "ClientError")
            if _is_conflict(exc):
                old = _failed_item(exc)
                if marker is not None and marker in old:
                    # Already applied: botocore retried a write whose answer was lost, or
                    # Alexa's request came again. The profile as it is is the answer.
                    raise _Applied(_snapshot(old)) from exc
                raise Conflict(f"dynamodb: {code}") from exc
            raise StoreError(f"dynamodb: {code}") from exc
        except BotoCoreError as exc:  # timeouts, connection errors, bad responses
            raise StoreError(f"dynamodb: {type(exc).__name__}") from exc

    def _key(self, household: str, sk: str = PROFILE_SK) -> dict[str, AttributeValueTypeDef]:
        return {PK: {"S": household_pk(household)}, SK: {"S": sk}}

    # -- contract -----------------------------------------------------------------
    def read(self, household: str) -> Snapshot:
        with self._errors():
            response = self.client.get_item(
                TableName=self.table, Key=self._key(household), ConsistentRead=True
            )
        return _snapshot(response.get("Item", {}))

    def apply(
        self,
        household: str,
        change: Change,
        *,
        now: datetime,
        base: Snapshot | None = None,
        once: str | None = None,
    ) -> Snapshot:
        marker = once_marker(once) if once is not None else None
        stamp = math.floor(now.timestamp())
        prune = _stale_markers(base.markers, stamp) if base is not None and marker else []
        update, condition, expr = _update_parts(change, marker=marker, stamp=stamp, prune=prune)
        entry = change.entry
        if entry is None and change.drop is None:
            request: dict[str, Any] = {
                "TableName": self.table,
                "Key": self._key(household),
                "UpdateExpression": update,
                "ExpressionAttributeNames": expr.names,
                "ExpressionAttributeValues": expr.values,
                "ReturnValues": "ALL_NEW",
            }
            if condition is not None:
                request["ConditionExpression"] = condition
                # On a failed condition the item comes back with the error (no extra
                # read): a retried or replayed write is recognised by its marker.
                request["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
            try:
                with self._errors(marker):
                    response = self.client.update_item(**request)
            except _Applied as done:
                return done.snapshot
            return _snapshot(response.get("Attributes", {}))
        # TransactWriteItems returns no values: answer merged(base, change). Without a
        # base (the core always passes one) read first; that read is not atomic with the
        # write, so increments by others in between may be missing from the answer,
        # never from the table.
        if base is None:
            base = self.read(household)
        profile_update: dict[str, Any] = {
            "TableName": self.table,
            "Key": self._key(household),
            "UpdateExpression": update,
            "ExpressionAttributeNames": expr.names,
            "ExpressionAttributeValues": expr.values,
        }
        if condition is not None:
            profile_update["ConditionExpression"] = condition
            profile_update["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
        items: list[TransactWriteItemTypeDef] = [
            {"Update": profile_update},  # type: ignore[typeddict-item]
        ]
        if entry is not None:
            items.append(
                {
                    "Put": {
                        "TableName": self.table,
                        "Item": self._entry_item(household, entry),
                        "ConditionExpression": "attribute_not_exists(#sk)",
                        "ExpressionAttributeNames": {"#sk": SK},
                    }
                }
            )
        if change.drop is not None:
            # The entry's key has a random tail: find it (same kind, time and words),
            # then delete it in the same transaction, only if it is still there.
            sk = self._entry_sk(household, change.drop)
            if sk is None:
                raise Conflict("the entry to remove is not there")
            items.append(
                {
                    "Delete": {
                        "TableName": self.table,
                        "Key": self._key(household, sk),
                        "ConditionExpression": "attribute_exists(#sk)",
                        "ExpressionAttributeNames": {"#sk": SK},
                    }
                }
            )
        try:
            with self._errors(marker):
                self.client.transact_write_items(TransactItems=items)
        except _Applied as done:
            return done.snapshot
        return Snapshot(merged(base.attrs, change))

    @staticmethod
    def _entry_item(household: str, entry: Entry) -> dict[str, AttributeValueTypeDef]:
        item: dict[str, AttributeValueTypeDef] = {
            PK: {"S": household_pk(household)},
            SK: {"S": f"{entry_prefix(entry.kind)}{_iso(entry.at)}#{secrets.token_hex(4)}"},
            "kind": {"S": entry.kind},
            "text": {"S": entry.text},
            "at": {"S": _iso(entry.at)},
            "expires": {"S": _iso(entry.expires_at)},
            TTL_ATTRIBUTE: {"N": str(_epoch_ceil(entry.expires_at))},
        }
        if entry.person is not None:
            item["person"] = {"S": entry.person}
        return item

    def _entry_sk(self, household: str, entry: Entry) -> str | None:
        """The sort key of the stored entry with ``entry``'s kind, time and words."""
        with self._errors():
            response = self.client.query(
                TableName=self.table,
                KeyConditionExpression="#pk = :pk AND begins_with(#sk, :prefix)",
                ExpressionAttributeNames={"#pk": PK, "#sk": SK},
                ExpressionAttributeValues={
                    ":pk": {"S": household_pk(household)},
                    ":prefix": {"S": f"{entry_prefix(entry.kind)}{_iso(entry.at)}#"},
                },
                ConsistentRead=True,
            )
        for raw in response.get("Items", []):
            if raw.get("text", {}).get("S") == entry.text:
                return str(raw[SK]["S"])
        return None

    def entries(self, household: str, kind: str, *, now: datetime, limit: int) -> list[Entry]:
        if limit <= 0:
            return []
        query: QueryInputTypeDef = {
            "TableName": self.table,
            "KeyConditionExpression": "#pk = :pk AND begins_with(#sk, :prefix)",
            # Whole seconds on the server (ceil vs floor never drops a live entry); the
            # exact comparison below.
            "FilterExpression": "#ttl > :now",
            "ExpressionAttributeNames": {"#pk": PK, "#sk": SK, "#ttl": TTL_ATTRIBUTE},
            "ExpressionAttributeValues": {
                ":pk": {"S": household_pk(household)},
                ":prefix": {"S": entry_prefix(kind)},
                ":now": {"N": str(math.floor(now.timestamp()))},
            },
            "ScanIndexForward": False,
            "Limit": limit,
        }
        found: list[Entry] = []
        with self._errors():
            while True:
                response = self.client.query(**query)
                for raw in response.get("Items", []):
                    entry = self._entry(raw, kind)
                    if entry.expires_at > now:
                        found.append(entry)
                        if len(found) == limit:
                            return found
                last = response.get("LastEvaluatedKey")
                if not last:
                    return found
                query["ExclusiveStartKey"] = last

    @staticmethod
    def _entry(raw: Mapping[str, Any], kind: str) -> Entry:
        at = _parse(str(raw["at"]["S"]))
        if "expires" in raw:
            expires = _parse(str(raw["expires"]["S"]))
        else:
            expires = datetime.fromtimestamp(int(raw[TTL_ATTRIBUTE]["N"]), tz=UTC)
        person = raw.get("person", {}).get("S")
        return Entry(kind, str(raw["text"]["S"]), at, expires, person)

    def _keys(self, household: str) -> Iterator[dict[str, AttributeValueTypeDef]]:
        query: QueryInputTypeDef = {
            "TableName": self.table,
            "KeyConditionExpression": "#pk = :pk",
            "ProjectionExpression": "#pk, #sk",
            "ExpressionAttributeNames": {"#pk": PK, "#sk": SK},
            "ExpressionAttributeValues": {":pk": {"S": household_pk(household)}},
            "ConsistentRead": True,
        }
        while True:
            response = self.client.query(**query)
            for raw in response.get("Items", []):
                yield {PK: raw[PK], SK: raw[SK]}
            last = response.get("LastEvaluatedKey")
            if not last:
                return
            query["ExclusiveStartKey"] = last

    def erase(self, household: str) -> None:
        """Every item of the household, deleted 25 at a time (erasure is rare)."""
        with self._errors():
            keys = list(self._keys(household))
            for start in range(0, len(keys), 25):
                pending: list[WriteRequestTypeDef] = [
                    {"DeleteRequest": {"Key": key}} for key in keys[start : start + 25]
                ]
                for attempt in range(ERASE_RETRIES + 1):
                    response = self.client.batch_write_item(RequestItems={self.table: pending})
                    left = response.get("UnprocessedItems", {}).get(self.table, [])
                    pending = [{"DeleteRequest": {"Key": r["DeleteRequest"]["Key"]}} for r in left]
                    if not pending:
                        break
                    if attempt < ERASE_RETRIES:
                        time.sleep(min(0.05 * 2**attempt, 1.0))
                if pending:
                    raise StoreError(f"dynamodb: {len(pending)} items left unerased")

    def ping(self) -> None:
        """Prove the table takes writes: one tiny UpdateItem on a health item (1 WRU)."""
        with self._errors():
            self.client.update_item(
                TableName=self.table,
                Key=HEALTH_KEY,
                UpdateExpression="ADD #n :one",
                ExpressionAttributeNames={"#n": "probes"},
                ExpressionAttributeValues={":one": {"N": "1"}},
            )

    def close(self) -> None:
        self.client.close()

    # -- for tests ----------------------------------------------------------------
    def count_rows(self, household: str, *, live_at: datetime | None = None) -> int:
        """Items of the household (deletion tests).

        With ``live_at``: only those DynamoDB's TTL would keep at that moment (the profile,
        and entries not yet expired); the SQLite store deletes expired rows on write,
        DynamoDB some time after they expire.
        """
        query: QueryInputTypeDef = {
            "TableName": self.table,
            "KeyConditionExpression": "#pk = :pk",
            "ExpressionAttributeNames": {"#pk": PK},
            "ExpressionAttributeValues": {":pk": {"S": household_pk(household)}},
            "Select": "COUNT",
            "ConsistentRead": True,
        }
        if live_at is not None:
            query["FilterExpression"] = "attribute_not_exists(#ttl) OR #ttl > :now"
            query["ExpressionAttributeNames"] = {"#pk": PK, "#ttl": TTL_ATTRIBUTE}
            query["ExpressionAttributeValues"] = {
                ":pk": {"S": household_pk(household)},
                ":now": {"N": str(math.floor(live_at.timestamp()))},
            }
        total = 0
        with self._errors():
            while True:
                response = self.client.query(**query)
                total += response.get("Count", 0)
                last = response.get("LastEvaluatedKey")
                if not last:
                    return total
                query["ExclusiveStartKey"] = last


# -- make moto -------------------------------------------------------------------------------
def serve_moto(host: str = "127.0.0.1", port: int = 5005, table: str = "together") -> None:
    """A local moto server with the table created, until Ctrl-C (dev only, loopback)."""
    import os

    from skill.store.moto_server import SerialisedMotoServer

    for name, default in (
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_DEFAULT_REGION", "us-east-1"),
    ):
        os.environ.setdefault(name, default)
    server = SerialisedMotoServer(ip_address=host, port=port)
    server.start()
    url = f"http://{host}:{port}"
    try:
        create_table(make_client(endpoint_url=url), table)
        print(f"moto DynamoDB on {url}, table {table!r} created. Use:", flush=True)
        print(
            f"  AWS_ENDPOINT_URL={url} TOGETHER_STORE=dynamodb://{table} "
            "AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing "
            f"AWS_DEFAULT_REGION={os.environ['AWS_DEFAULT_REGION']} together serve --dev",
            flush=True,
        )
        print("Ctrl-C to stop.", flush=True)
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m skill.store.dynamodb")
    parser.add_argument("--serve-moto", action="store_true", help="run a local moto server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5005)
    parser.add_argument("--table", default="together")
    args = parser.parse_args(argv)
    if not args.serve_moto:
        parser.error("nothing to do: pass --serve-moto")
    serve_moto(args.host, args.port, args.table)


if __name__ == "__main__":
    main()
