#!/usr/bin/env python3
"""Smoke test of a running Bilten topology: buy a ticket and scan it, all through the gateway.

Usage: deploy/tools/smoke.py CLUSTER_DIR
  CLUSTER_DIR is the directory `deploy/local-cluster.sh start` wrote (cluster.env, data/).
  BILTEN_BIN names the binary (for `bilten admin create`, the one out-of-band step).

What it proves, end to end over HTTP as a user would see it:
  organizer signs in → organization → event → ticket type → publish;
  a guest orders, pays with the test card, reads the ticket (with the order key) and its PDF;
  the confirmation email with the PDF attached is written by a backend's outbox worker;
  a manager creates a check-in list and a scanner device; the device pairs at the scanner;
  the ticket's code is admitted once, and a second scan is refused as already redeemed;
  a forged code is refused as invalid; repeated sign-ins from one address hit the edge's limit.
Then it scrapes /metrics of every process for deploy/check-metrics.sh.
Exit status 0 when every step held; otherwise 1, naming the step.
"""

import email
import email.policy
import json
import os
import pathlib
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request


def read_env(path):
    values = {}
    for line in pathlib.Path(path).read_text().splitlines():
        if "=" in line:
            key, value = line.split("=", 1)
            values[key] = value.strip('"')
    return values


class Failure(Exception):
    pass


def call(method, url, body=None, token=None, headers=None, raw=False):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    for key, value in (headers or {}).items():
        request.add_header(key, value)
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            payload = response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        payload = error.read()
        status = error.code
    if raw:
        return status, payload
    try:
        return status, json.loads(payload) if payload else None
    except ValueError:
        return status, payload.decode(errors="replace")


def expect(step, status, wanted, body):
    if status != wanted:
        raise Failure(f"{step}: expected HTTP {wanted}, got {status}: {body}")
    print(f"ok    {step}")


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    cluster = pathlib.Path(sys.argv[1])
    env = read_env(cluster / "cluster.env")
    gateway = env["GATEWAY_URL"]
    api = f"{gateway}/api/v1"
    binary = os.environ.get("BILTEN_BIN", "target/debug/bilten")

    # 1. The organizer account: created out of band, as an operator would (verified email).
    organizer = f"organizer-{secrets.token_hex(4)}@example.com"
    password = "smoke-Test-passw0rd-" + secrets.token_hex(4)
    created = subprocess.run(
        [binary, "admin", "create", "--email", organizer, "--password", password,
         "--name", "Smoke Organizer"],
        env={**os.environ, "DATABASE_URL": env["DATABASE_URL"],
             "BILTEN_DATA_DIR": str(cluster / "admin-data"), "APP_ENV": "development"},
        capture_output=True, text=True, check=False)
    if created.returncode != 0:
        raise Failure(f"admin create: {created.stderr}")
    print("ok    organizer account created")

    status, body = call("POST", f"{api}/auth/login", {"email": organizer, "password": password})
    expect("organizer signs in through the gateway", status, 200, body)
    token = body["access_token"]

    status, body = call("POST", f"{api}/organizations", {"name": "Smoke Test Hall"}, token)
    expect("organization created", status, 201, body)
    org = body["organization"]["id"]

    event_body = {
        "title": "Smoke Test Night", "description": "A concert that proves the deployment",
        "starts_at": "2031-06-01T19:00:00Z", "ends_at": "2031-06-01T23:00:00Z",
        "timezone": "Europe/Sarajevo", "venue_name": "Hall 1", "city": "Sarajevo",
        "country": "BA", "currency": "EUR", "category": "music",
    }
    status, body = call("POST", f"{api}/organizations/{org}/events", event_body, token)
    expect("event created (draft)", status, 201, body)
    event = body["event"]["id"]

    status, body = call("POST", f"{api}/events/{event}/ticket-types",
                        {"name": "Standing", "price": 2500, "capacity": 100}, token)
    expect("ticket type created", status, 201, body)
    ticket_type = body["ticket_type"]["id"]

    status, body = call("POST", f"{api}/events/{event}/publish", None, token)
    expect("event published", status, 200, body)

    status, body = call("GET", f"{api}/events?q=Smoke")
    expect("public listing", status, 200, body)
    if not any(item.get("id") == event for item in body["items"]):
        raise Failure(f"the published event is not in the public listing: {body}")

    # 2. A guest buys one ticket and pays with Stripe's success test card.
    buyer = f"buyer-{secrets.token_hex(4)}@example.com"
    order_body = {"event_id": event, "items": [{"ticket_type_id": ticket_type, "quantity": 1}],
                  "buyer": {"email": buyer, "name": "Smoke Buyer"}}
    key = {"Idempotency-Key": secrets.token_hex(16)}
    status, body = call("POST", f"{api}/orders", order_body, headers=key)
    expect("guest order placed (hold taken)", status, 201, body)
    order = body["order"]["id"]
    order_key = {"X-Order-Key": body["access_key"]}
    status, replay = call("POST", f"{api}/orders", order_body, headers=key)
    expect("idempotent retry returns the same order", status, 201, replay)
    if replay["order"]["id"] != order:
        raise Failure("a retry with the same Idempotency-Key made a second order")

    status, body = call("POST", f"{api}/orders/{order}/checkout",
                        {"test_card": "4242424242424242"}, headers=order_key)
    expect("paid with the test card", status, 200, body)
    if body["order"]["status"] != "paid" or len(body["tickets"]) != 1:
        raise Failure(f"checkout did not complete the order: {body}")
    ticket = body["tickets"][0]["id"]

    status, body = call("GET", f"{api}/tickets/{ticket}", headers=order_key)
    expect("guest reads the ticket with the order key", status, 200, body)
    code = body["ticket"]["code"]
    status, pdf = call("GET", f"{api}/tickets/{ticket}/pdf", headers=order_key, raw=True)
    expect("ticket PDF", status, 200, pdf[:8])
    if not pdf.startswith(b"%PDF-"):
        raise Failure("the ticket PDF is not a PDF")
    status, body = call("GET", f"{api}/tickets/{ticket}")
    expect("a stranger cannot read the ticket", status, 404, body)

    # 3. The confirmation email, written by whichever backend's outbox worker claimed it.
    outbox = cluster / "data" / "outbox"
    deadline = time.time() + 30
    confirmation = None
    while time.time() < deadline and confirmation is None:
        for path in sorted(outbox.glob("*.eml")) if outbox.exists() else []:
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            if buyer in str(message["To"]):
                confirmation = message
                break
        time.sleep(0.3)
    if confirmation is None:
        raise Failure(f"no confirmation email for {buyer} in {outbox}")
    attachments = [part.get_content_type() for part in confirmation.iter_attachments()]
    if "application/pdf" not in attachments:
        raise Failure(f"the confirmation has no PDF attached: {attachments}")
    print("ok    confirmation email with the PDF ticket attached")

    # 4. Gate staff: a check-in list and a paired scanner device.
    status, body = call("POST", f"{api}/events/{event}/checkin-lists", {"name": "Main gate"}, token)
    expect("check-in list created", status, 201, body)
    checkin_list = body["checkin_list"]["id"]
    status, body = call("POST", f"{api}/events/{event}/devices", {"name": "Gate 1 phone"}, token)
    expect("scanner device created", status, 201, body)
    status, body = call("POST", f"{api}/checkin/pair",
                        {"pairing_code": body["pairing_code"], "gate": "North"})
    expect("device paired at the scanner service", status, 201, body)
    device = body["device_token"]

    def redeem(scanned):
        return call("POST", f"{api}/checkin/redeem",
                    {"code": scanned, "list_id": checkin_list, "nonce": secrets.token_hex(12)},
                    device)

    status, body = redeem(code)
    expect("ticket scanned", status, 200, body)
    if body["status"] != "ok":
        raise Failure(f"the paid ticket was not admitted: {body}")
    print("ok    admitted")
    status, body = redeem(code)
    expect("ticket scanned again", status, 200, body)
    if body["reason"] != "already_redeemed":
        raise Failure(f"a second scan was not refused as already redeemed: {body}")
    print("ok    second scan refused: already_redeemed")
    forged = code[:-4] + ("AAAA" if not code.endswith("AAAA") else "BBBB")
    status, body = redeem(forged)
    expect("forged code scanned", status, 200, body)
    if body["reason"] != "invalid":
        raise Failure(f"a forged code was not refused as invalid: {body}")
    print("ok    forged code refused: invalid")

    # 5. The edge's sign-in budget (10 a minute per address) holds in front of 3 replicas.
    limited = None
    for attempt in range(15):
        status, body = call("POST", f"{api}/auth/login",
                            {"email": f"nobody-{attempt}@example.com", "password": "wrong-password"})
        if status == 429:
            limited = body
            break
    if limited is None or limited["error"]["code"] != "rate_limited":
        raise Failure(f"15 sign-in attempts from one address were never rate limited: {body}")
    print(f"ok    sign-in rate limited at the gateway after {attempt + 1} attempts")

    # 6. Scrapes of every process, for deploy/check-metrics.sh.
    urls = {"gateway": gateway, "scanner": env["SCANNER_URL"], "frontend": env["FRONTEND_URL"]}
    for i, url in enumerate(env["BACKEND_URLS"].split(), start=1):
        urls[f"backend-{i}"] = url
    for name, url in urls.items():
        status, text = call("GET", f"{url}/metrics", raw=True)
        expect(f"{name} /metrics", status, 200, "")
        (cluster / f"{name}.prom").write_bytes(text)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Failure as failure:
        print(f"FAIL  {failure}")
        sys.exit(1)
