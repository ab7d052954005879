#!/usr/bin/env python3
"""Read-replica test against a local cluster started with CLUSTER_REPLICA=1 (deploy/replica-test.sh).

Listings must come from the streaming replica (DATABASE_READ_URL); availability, money and
every write from the primary — also while the replica lags. Lag is made, not hoped for:
replay is paused on the replica with pg_wal_replay_pause().

  1. an event is published; once the replica has replayed it, the listing shows it
  2. replay paused: a second event is published — on the primary (its page, read from the
     primary, shows it) but every backend's listing still lacks it: the listing is read
     from the replica
  3. still paused: the first event's 3 tickets are bought; the replica still says 0 sold
     (lag, read there with SQL), yet a 4th purchase is refused `sold_out`, the event page
     says nothing is available and each order reads back `paid` at once: availability and
     money come from the primary. Every purchase wrote (a hot standby refuses writes)
  4. replay resumed: the listing catches up and shows the second event

Usage: replica_check.py CLUSTER_DIR   (BILTEN_BIN for `bilten admin create`)
"""

from __future__ import annotations

import os
import pathlib
import secrets
import subprocess
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from smoke import Failure, call, expect, read_env  # noqa: E402


def sql(url: str, query: str) -> str:
    return subprocess.run(["psql", url, "-X", "-At", "-c", query], capture_output=True, text=True,
                          check=True).stdout.strip()


def listed(api: str, event: str) -> bool:
    status, body = call("GET", f"{api}/events?limit=100")
    if status != 200:
        raise Failure(f"listing: HTTP {status}: {body}")
    return any(item["id"] == event for item in body["items"])


def wait_for(what: str, predicate, seconds: float = 15) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise Failure(f"timed out: {what}")


def main() -> int:
    cluster = pathlib.Path(sys.argv[1])
    env = read_env(cluster / "cluster.env")
    primary, replica = env["DATABASE_URL"], env.get("DATABASE_READ_URL", "")
    if not replica:
        raise Failure("the cluster has no read replica (start it with CLUSTER_REPLICA=1)")
    backends = [f"{url}/api/v1" for url in env["BACKEND_URLS"].split()]
    api = backends[0]
    if sql(replica, "SELECT pg_is_in_recovery()") != "t":
        raise Failure("DATABASE_READ_URL is not a standby")
    print("ok    DATABASE_READ_URL is a streaming hot standby of DATABASE_URL")

    email = f"replica-{secrets.token_hex(4)}@example.com"
    password = "replica-Test-passw0rd-" + secrets.token_hex(4)
    made = subprocess.run([os.environ.get("BILTEN_BIN", "target/debug/bilten"), "admin", "create",
                           "--email", email, "--password", password],
                          env={**os.environ, "DATABASE_URL": primary, "APP_ENV": "development",
                               "BILTEN_DATA_DIR": str(cluster / "admin-data")},
                          capture_output=True, text=True, check=False)
    if made.returncode != 0:
        raise Failure(f"admin create: {made.stderr}")
    status, body = call("POST", f"{api}/auth/login", {"email": email, "password": password})
    expect("organizer signs in", status, 200, body)
    token = body["access_token"]
    status, body = call("POST", f"{api}/organizations", {"name": "Replica Hall"}, token)
    expect("organization created", status, 201, body)
    org = body["organization"]["id"]

    def publish(title: str, capacity: int) -> tuple[str, str]:
        status, body = call("POST", f"{api}/organizations/{org}/events", {
            "title": title, "description": "replica test", "starts_at": "2032-03-01T19:00:00Z",
            "ends_at": "2032-03-01T23:00:00Z", "timezone": "UTC", "venue_name": "Old Bridge Hall",
            "city": "Mostar",
            "country": "BA", "currency": "EUR", "category": "music"}, token)
        expect(f"event {title!r} created", status, 201, body)
        event = body["event"]["id"]
        status, body = call("POST", f"{api}/events/{event}/ticket-types",
                            {"name": "Entry", "price": 1000, "capacity": capacity}, token)
        expect(f"ticket type of {title!r} (capacity {capacity})", status, 201, body)
        ticket_type = body["ticket_type"]["id"]
        status, body = call("POST", f"{api}/events/{event}/publish", None, token)
        expect(f"event {title!r} published", status, 200, body)
        return event, ticket_type

    # 1. Replicated: the listing (from the replica) shows the first event.
    first, first_type = publish("Replica First", 3)
    wait_for("the replica replays the first event", lambda: all(listed(b, first) for b in backends))
    print("ok    1. the first event is listed by every backend once the replica has replayed it")

    # 2. Lag: replay paused; the second event exists on the primary only.
    sql(replica, "SELECT pg_wal_replay_pause()")
    try:
        wait_for("replay paused", lambda: sql(replica, "SELECT pg_get_wal_replay_pause_state()") == "paused")
        second, _ = publish("Replica Second", 5)
        status, body = call("GET", f"{api}/events/{second}")
        expect("the second event's page (primary) shows it", status, 200, body)
        for b in backends:
            for _ in range(3):
                if listed(b, second):
                    raise Failure(f"{b}: the listing shows the second event while replay is paused: "
                                  "listings are not read from DATABASE_READ_URL")
        print("ok    2. replay paused: the second event is on the primary, and no backend lists it — "
              "listings are read from the replica")

        # 3. Availability and money from the primary, while the replica lags.
        orders = []
        for i in range(3):
            status, body = call("POST", f"{backends[i % 3]}/purchases", {
                "event_id": first, "items": [{"ticket_type_id": first_type, "quantity": 1}],
                "buyer": {"email": f"lag-{i}-{secrets.token_hex(3)}@example.com", "name": f"Lag {i}"},
                "test_card": "4242424242424242"}, headers={"Idempotency-Key": secrets.token_hex(16)})
            expect(f"purchase {i + 1} of 3 (backend {i % 3 + 1})", status, 201, body)
            orders.append((body["order"]["id"], body["access_key"]))
        counter = ("SELECT t.sold FROM ticket_types t JOIN events e ON e.id = t.event_id "
                   "WHERE e.title = 'Replica First'")
        sold_primary, sold_replica = sql(primary, counter), sql(replica, counter)
        if sold_primary != "3" or sold_replica != "0":
            raise Failure(f"expected sold 3 on the primary and 0 on the lagging replica, got "
                          f"{sold_primary!r} / {sold_replica!r}")
        print("ok    3a. the replica lags: it still says 0 sold, the primary 3")
        for b in backends:
            status, body = call("POST", f"{b}/purchases", {
                "event_id": first, "items": [{"ticket_type_id": first_type, "quantity": 1}],
                "buyer": {"email": f"late-{secrets.token_hex(3)}@example.com", "name": "Late"},
                "test_card": "4242424242424242"}, headers={"Idempotency-Key": secrets.token_hex(16)})
            if status != 409 or body["error"]["code"] != "sold_out":
                raise Failure(f"{b}: a 4th ticket of 3 was not refused sold_out while the replica "
                              f"says 3 are left: HTTP {status}: {body}")
            status, body = call("GET", f"{b}/events/{first}")
            available = [t.get("available") for t in body.get("ticket_types", [])]
            if status != 200 or available != [0]:
                raise Failure(f"{b}: the event page shows availability {available} (want [0])")
        print("ok    3b. every backend refuses a 4th ticket (sold_out) and its event page shows 0 "
              "available: availability is read from the primary")
        for order, key in orders:
            status, body = call("GET", f"{api}/orders/{order}", headers={"X-Order-Key": key})
            if status != 200 or body["order"]["status"] != "paid":
                raise Failure(f"order {order} does not read back paid at once: HTTP {status}: {body}")
        print("ok    3c. each order reads back paid at once (money from the primary; the "
              "replica has not even replayed it)")
    finally:
        sql(replica, "SELECT pg_wal_replay_resume()")

    # 4. Caught up.
    wait_for("the replica catches up", lambda: all(listed(b, second) for b in backends))
    print("ok    4. replay resumed: every backend lists the second event")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Failure as failure:
        print(f"FAIL  {failure}")
        sys.exit(1)
