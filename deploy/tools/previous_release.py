#!/usr/bin/env python3
"""The API half of deploy/previous-release-test.sh: two releases serving one database.

  previous_release.py scenario STATE.json   the rolling-update scenario (below); writes what
                                            it bought to STATE.json
  previous_release.py read API STATE.json   every order of STATE.json reads back through API
                                            exactly as it read before (fields of the release
                                            that answered then, same values)

Addresses come from the environment: OLD_API and NEW_API (a backend of the previous release
and of this one), OLD_SCANNER and NEW_SCANNER (a scanner of each), OUTBOX (the directory the
backends write mail to).

The scenario, each call answered 2xx or it fails naming the call:
  through the previous release: an organizer registers and verifies the address from the
  mail, signs in, creates an organization, an event and a ticket type and publishes; a guest
  orders and pays with the test card (two steps), reads the order and the ticket;
  through this release: the same order reads the same (every field the previous release
  answered, same values; this release may add fields), and so does the public event;
  through this release a second guest buys in one step (POST /purchases); the previous
  release reads that order the same way;
  check-in: a list made through the previous release, a device paired at each release's
  scanner; each scanner admits the ticket bought through the other release once, and then
  refuses the one the other scanner admitted as already redeemed.
"""

from __future__ import annotations

import email
import email.policy
import json
import os
import re
import secrets
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from smoke import Failure, call, expect  # noqa: E402  (same HTTP helpers as the smoke test)


def ok(step: str, status: int, body, wanted: int = 200):
    expect(step, status, wanted, body)
    return body


def same(step: str, before, after, path: str = "") -> None:
    """Every field of `before` is in `after` with the same value (lists: same length)."""
    if isinstance(before, dict):
        if not isinstance(after, dict):
            raise Failure(f"{step}: {path or 'the answer'} is {after!r}, was an object")
        for key, value in before.items():
            if key not in after:
                raise Failure(f"{step}: {path}{key} is missing (was {value!r})")
            same(step, value, after[key], f"{path}{key}.")
    elif isinstance(before, list):
        if not isinstance(after, list) or len(after) != len(before):
            raise Failure(f"{step}: {path.rstrip('.')} has {after!r}, was {before!r}")
        for i, (b, a) in enumerate(zip(before, after)):
            same(step, b, a, f"{path}{i}.")
    elif before != after:
        raise Failure(f"{step}: {path.rstrip('.')} is {after!r}, was {before!r}")


def verification_token(outbox: Path, address: str) -> str:
    """The token of the verification link mailed to `address` (whichever backend sent it)."""
    deadline = time.time() + 30
    while time.time() < deadline:
        for path in sorted(outbox.glob("*.eml")) if outbox.exists() else []:
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            if address not in str(message["To"]):
                continue
            text = message.get_body(preferencelist=("plain", "html")).get_content()
            found = re.search(r"verify-email\?token=([A-Za-z0-9_\-.~%]+)", text)
            if found:
                return found.group(1)
        time.sleep(0.3)
    raise Failure(f"no verification mail for {address} in {outbox}")


def organizer_event(api: str, outbox: Path) -> tuple[str, str, str]:
    """An organizer, registered and verified, with a published event: (token, event, type)."""
    address = f"prev-organizer-{secrets.token_hex(4)}@example.com"
    password = "previous-Release-passw0rd-" + secrets.token_hex(4)
    ok("previous release: organizer registers", *call(
        "POST", f"{api}/auth/register",
        {"email": address, "password": password, "name": "Previous Organizer"}), 201)
    ok("previous release: address verified from the mailed link", *call(
        "POST", f"{api}/auth/verify", {"token": verification_token(outbox, address)}))
    token = ok("previous release: organizer signs in", *call(
        "POST", f"{api}/auth/login", {"email": address, "password": password}))["access_token"]
    org = ok("previous release: organization created", *call(
        "POST", f"{api}/organizations", {"name": "Rolling Update Hall"}, token),
        201)["organization"]["id"]
    event = ok("previous release: event created", *call(
        "POST", f"{api}/organizations/{org}/events", {
            "title": "Rolling Update Night", "description": "Two releases, one database",
            "starts_at": "2031-10-01T19:00:00Z", "ends_at": "2031-10-01T23:00:00Z",
            "timezone": "Europe/Sarajevo", "venue_name": "Hall 3", "city": "Sarajevo",
            "country": "BA", "currency": "EUR", "category": "music"}, token), 201)["event"]["id"]
    ticket_type = ok("previous release: ticket type created", *call(
        "POST", f"{api}/events/{event}/ticket-types",
        {"name": "Standing", "price": 3100, "capacity": 50}, token), 201)["ticket_type"]["id"]
    ok("previous release: event published", *call(
        "POST", f"{api}/events/{event}/publish", None, token))
    return token, event, ticket_type


def buy_in_two_steps(api: str, event: str, ticket_type: str) -> dict:
    body = {"event_id": event, "items": [{"ticket_type_id": ticket_type, "quantity": 1}],
            "buyer": {"email": f"prev-buyer-{secrets.token_hex(3)}@example.com",
                      "name": "Old Buyer"}}
    placed = ok("previous release: guest order placed", *call(
        "POST", f"{api}/orders", body, headers={"Idempotency-Key": secrets.token_hex(16)}), 201)
    key = {"X-Order-Key": placed["access_key"]}
    paid = ok("previous release: paid with the test card", *call(
        "POST", f"{api}/orders/{placed['order']['id']}/checkout",
        {"test_card": "4242424242424242"}, headers=key))
    if paid["order"]["status"] != "paid" or len(paid["tickets"]) != 1:
        raise Failure(f"previous release: checkout did not complete the order: {paid}")
    return {"id": placed["order"]["id"], "access_key": placed["access_key"],
            "tickets": [t["id"] for t in paid["tickets"]]}


def buy_in_one_step(api: str, event: str, ticket_type: str) -> dict:
    bought = ok("this release: guest buys and pays in one request", *call(
        "POST", f"{api}/purchases", {
            "event_id": event, "items": [{"ticket_type_id": ticket_type, "quantity": 2}],
            "buyer": {"email": f"new-buyer-{secrets.token_hex(3)}@example.com",
                      "name": "New Buyer"},
            "test_card": "4242424242424242"},
        headers={"Idempotency-Key": secrets.token_hex(16)}), 201)
    if bought["order"]["status"] != "paid" or len(bought["tickets"]) != 2:
        raise Failure(f"this release: the purchase did not complete: {bought}")
    return {"id": bought["order"]["id"], "access_key": bought["access_key"],
            "tickets": [t["id"] for t in bought["tickets"]]}


def read_order(who: str, api: str, order: dict) -> dict:
    """The order and its tickets as `api` answers them."""
    key = {"X-Order-Key": order["access_key"]}
    read = {"order": ok(f"{who}: order {order['id']} read", *call(
        "GET", f"{api}/orders/{order['id']}", headers=key))}
    for ticket in order["tickets"]:
        read[ticket] = ok(f"{who}: ticket {ticket} read", *call(
            "GET", f"{api}/tickets/{ticket}", headers=key))
    return read


def scanner_device(who: str, api: str, scanner: str, token: str, event: str) -> str:
    device = ok(f"{who}: scanner device created", *call(
        "POST", f"{api}/events/{event}/devices", {"name": f"{who} gate phone"}, token), 201)
    return ok(f"{who}: device paired at its scanner", *call(
        "POST", f"{scanner}/checkin/pair",
        {"pairing_code": device["pairing_code"], "gate": who}), 201)["device_token"]


def scan(who: str, scanner: str, device: str, checkin_list: str, code: str, reason: str) -> None:
    body = ok(f"{who}: ticket scanned", *call(
        "POST", f"{scanner}/checkin/redeem",
        {"code": code, "list_id": checkin_list, "nonce": secrets.token_hex(12)}, device))
    if body["reason"] != reason:
        raise Failure(f"{who}: the scan answered {body['reason']}, expected {reason}: {body}")
    print(f"ok    {who}: {reason}")


def scenario(state_path: Path) -> None:
    old, new = f"{os.environ['OLD_API']}/api/v1", f"{os.environ['NEW_API']}/api/v1"
    old_scanner = f"{os.environ['OLD_SCANNER']}/api/v1"
    new_scanner = f"{os.environ['NEW_SCANNER']}/api/v1"
    token, event, ticket_type = organizer_event(old, Path(os.environ["OUTBOX"]))

    first = buy_in_two_steps(old, event, ticket_type)
    first["read"] = read_order("previous release", old, first)
    same("this release reads the order bought through the previous one",
         first["read"], read_order("this release", new, first))
    print("ok    this release reads that order and its ticket as the previous release does")
    public = ok("previous release: public event", *call("GET", f"{old}/events/{event}"))
    same("this release shows the public event", public,
         ok("this release: public event", *call("GET", f"{new}/events/{event}")))

    second = buy_in_one_step(new, event, ticket_type)
    second["read"] = read_order("this release", new, second)
    same("the previous release reads the order bought through this one",
         second["read"], read_order("previous release", old, second))
    print("ok    the previous release reads that order and its tickets as this release does")

    checkin_list = ok("previous release: check-in list created", *call(
        "POST", f"{old}/events/{event}/checkin-lists", {"name": "Main gate"}, token),
        201)["checkin_list"]["id"]
    old_device = scanner_device("previous release", old, old_scanner, token, event)
    new_device = scanner_device("this release", new, new_scanner, token, event)
    first_code = first["read"][first["tickets"][0]]["ticket"]["code"]
    second_code = second["read"][second["tickets"][0]]["ticket"]["code"]
    scan("previous release's scanner, ticket bought through this release",
         old_scanner, old_device, checkin_list, second_code, "ok")
    scan("this release's scanner, ticket bought through the previous release",
         new_scanner, new_device, checkin_list, first_code, "ok")
    scan("this release's scanner, the ticket the previous release's scanner admitted",
         new_scanner, new_device, checkin_list, second_code, "already_redeemed")
    scan("previous release's scanner, the ticket this release's scanner admitted",
         old_scanner, old_device, checkin_list, first_code, "already_redeemed")
    state_path.write_text(json.dumps({"event": event, "orders": [first, second]}, indent=1))


def read_again(api_url: str, state_path: Path) -> None:
    """Every order reads as it did (after the scans, ticket fields are still the same)."""
    api = f"{api_url}/api/v1"
    state = json.loads(state_path.read_text())
    for order in state["orders"]:
        same(f"order {order['id']} read again", order["read"], read_order(api_url, api, order))
    print(f"ok    {len(state['orders'])} orders read back unchanged through {api_url}")


def main() -> int:
    try:
        if len(sys.argv) == 3 and sys.argv[1] == "scenario":
            scenario(Path(sys.argv[2]))
        elif len(sys.argv) == 4 and sys.argv[1] == "read":
            read_again(sys.argv[2], Path(sys.argv[3]))
        else:
            print(__doc__)
            return 2
    except Failure as failure:
        print(f"FAIL  {failure}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
