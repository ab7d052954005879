#!/usr/bin/env python3
"""Data for the backup/restore test (deploy/backup-test.sh), put in and read back as a user would.

  backup_data.py seed API_URL OUT.json       an organizer (made with `bilten admin create`),
                                             an organization, a published event, a ticket
                                             type, paid purchases and one pending hold — all
                                             through the HTTP API of a running `bilten serve`
  backup_data.py snapshot OUT.json           orders, tickets, payments and the ticket type's
                                             counters, read with psql from DATABASE_URL
  backup_data.py compare BEFORE.json AFTER.json   the same orders and tickets (ids, counts,
                                             statuses, counters) — else exit 1, naming them
  backup_data.py verify API_URL SEED.json    after the restore, through the API again: the
                                             organizer signs in, every buyer reads each ticket
                                             with the order key, the ticket codes are the ones
                                             issued before the backup

BILTEN_BIN and DATABASE_URL come from the environment.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from smoke import Failure, call, expect  # noqa: E402  (same HTTP helpers as the smoke test)

PURCHASES = [1, 2, 3, 1, 2]   # tickets per paid purchase


def seed(api_url: str, out: Path) -> None:
    api = f"{api_url}/api/v1"
    binary = os.environ.get("BILTEN_BIN", "target/debug/bilten")
    email = f"backup-organizer-{secrets.token_hex(4)}@example.com"
    password = "backup-Test-passw0rd-" + secrets.token_hex(4)
    made = subprocess.run([binary, "admin", "create", "--email", email, "--password", password,
                           "--name", "Backup Organizer"],
                          env={**os.environ, "APP_ENV": "development"},
                          capture_output=True, text=True, check=False)
    if made.returncode != 0:
        raise Failure(f"admin create: {made.stderr}")
    status, body = call("POST", f"{api}/auth/login", {"email": email, "password": password})
    expect("organizer signs in", status, 200, body)
    token = body["access_token"]
    status, body = call("POST", f"{api}/organizations", {"name": "Backup Hall"}, token)
    expect("organization created", status, 201, body)
    org = body["organization"]["id"]
    status, body = call("POST", f"{api}/organizations/{org}/events", {
        "title": "Backup Night", "description": "Data that must survive a restore",
        "starts_at": "2031-09-01T19:00:00Z", "ends_at": "2031-09-01T23:00:00Z",
        "timezone": "Europe/Sarajevo", "venue_name": "Hall 2", "city": "Sarajevo",
        "country": "BA", "currency": "EUR", "category": "music"}, token)
    expect("event created", status, 201, body)
    event = body["event"]["id"]
    status, body = call("POST", f"{api}/events/{event}/ticket-types",
                        {"name": "Seated", "price": 4200, "capacity": 40}, token)
    expect("ticket type created", status, 201, body)
    ticket_type = body["ticket_type"]["id"]
    status, body = call("POST", f"{api}/events/{event}/publish", None, token)
    expect("event published", status, 200, body)

    orders = []
    for i, quantity in enumerate(PURCHASES):
        status, body = call("POST", f"{api}/purchases", {
            "event_id": event, "items": [{"ticket_type_id": ticket_type, "quantity": quantity}],
            "buyer": {"email": f"buyer-{i}-{secrets.token_hex(3)}@example.com", "name": f"Buyer {i}"},
            "test_card": "4242424242424242"}, headers={"Idempotency-Key": secrets.token_hex(16)})
        expect(f"purchase {i + 1}: {quantity} ticket(s) bought and paid", status, 201, body)
        if body["order"]["status"] != "paid" or len(body["tickets"]) != quantity:
            raise Failure(f"purchase {i + 1} did not complete: {body}")
        orders.append({"id": body["order"]["id"], "access_key": body["access_key"],
                       "tickets": {t["id"]: t["code"] for t in body["tickets"]}})
    # One order left pending: a hold that must survive the restore as a hold.
    status, body = call("POST", f"{api}/orders", {
        "event_id": event, "items": [{"ticket_type_id": ticket_type, "quantity": 2}],
        "buyer": {"email": f"pending-{secrets.token_hex(3)}@example.com", "name": "Pending"}},
        headers={"Idempotency-Key": secrets.token_hex(16)})
    expect("an order left pending (2 tickets held)", status, 201, body)
    pending = body["order"]["id"]
    out.write_text(json.dumps({"organizer": {"email": email, "password": password},
                               "event": event, "ticket_type": ticket_type,
                               "orders": orders, "pending": pending}, indent=1))


def psql_rows(sql: str) -> list[list[str]]:
    out = subprocess.run(["psql", os.environ["DATABASE_URL"], "-X", "-At", "-F", "\t", "-c", sql],
                         capture_output=True, text=True, check=True).stdout
    return [line.split("\t") for line in out.splitlines() if line]


def snapshot(out: Path) -> None:
    data = {
        "orders": psql_rows("SELECT id, status, total_minor, quantity FROM orders ORDER BY id"),
        "tickets": psql_rows("SELECT id, order_id, code, status FROM tickets ORDER BY id"),
        "payments": psql_rows("SELECT id, order_id, status FROM payments ORDER BY id"),
        "ticket_types": psql_rows("SELECT id, capacity, held, sold FROM ticket_types ORDER BY id"),
        "users": psql_rows("SELECT id FROM users ORDER BY id"),
    }
    out.write_text(json.dumps(data, indent=1))
    print(f"snapshot: {len(data['orders'])} orders, {len(data['tickets'])} tickets, "
          f"{len(data['payments'])} payments, {len(data['users'])} users")


def compare(before_path: Path, after_path: Path) -> None:
    before, after = json.loads(before_path.read_text()), json.loads(after_path.read_text())
    problems = []
    for table in before:
        b = {tuple(r) for r in before[table]}
        a = {tuple(r) for r in after[table]}
        if b != a:
            problems.append(f"{table}: {len(b)} rows before, {len(a)} after; lost {sorted(b - a)[:3]}, "
                            f"new {sorted(a - b)[:3]}")
        else:
            print(f"ok    {table}: the same {len(b)} rows (ids and values) after restore + migrate")
    if not before["orders"] or not before["tickets"]:
        problems.append("the snapshot before the backup has no orders or tickets: nothing was tested")
    if problems:
        raise Failure("; ".join(problems))


def verify(api_url: str, seed_path: Path) -> None:
    api = f"{api_url}/api/v1"
    seeded = json.loads(seed_path.read_text())
    status, body = call("POST", f"{api}/auth/login", seeded["organizer"])
    expect("the organizer signs in on the restored database", status, 200, body)
    count = 0
    for order in seeded["orders"]:
        for ticket_id, code in order["tickets"].items():
            status, body = call("GET", f"{api}/tickets/{ticket_id}", headers={"X-Order-Key": order["access_key"]})
            if status != 200 or body["ticket"]["code"] != code:
                raise Failure(f"ticket {ticket_id} of {order['id']} after restore: HTTP {status}: {body}")
            count += 1
    print(f"ok    all {count} tickets of {len(seeded['orders'])} orders read back with their order keys, same codes")


def main() -> int:
    try:
        if len(sys.argv) == 4 and sys.argv[1] == "seed":
            seed(sys.argv[2], Path(sys.argv[3]))
        elif len(sys.argv) == 3 and sys.argv[1] == "snapshot":
            snapshot(Path(sys.argv[2]))
        elif len(sys.argv) == 4 and sys.argv[1] == "compare":
            compare(Path(sys.argv[2]), Path(sys.argv[3]))
        elif len(sys.argv) == 4 and sys.argv[1] == "verify":
            verify(sys.argv[2], Path(sys.argv[3]))
        else:
            print(__doc__)
            return 2
    except Failure as failure:
        print(f"FAIL  {failure}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
