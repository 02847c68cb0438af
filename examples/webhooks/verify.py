#!/usr/bin/env python3
"""Verify a webhook request sealpush sent (Standard Webhooks), with Python's standard library.

verify_webhook() is what a receiver calls, with the three webhook-* headers and the raw body
bytes (Flask: request.get_data(); Django: request.body). Here it runs on a request saved to files:

  WEBHOOK_SECRET=whsec_... python3 verify.py WEBHOOK_ID WEBHOOK_TIMESTAMP 'WEBHOOK_SIGNATURE' BODY_FILE
"""
import base64
import hashlib
import hmac
import json
import os
import sys
import time

TOLERANCE_SECONDS = 5 * 60  # the specification's window, either way of this machine's clock


class WebhookError(Exception):
    """The request is not one sealpush signed with this secret, now: answer it 401."""


def verify_webhook(secret, msg_id, timestamp, signature_header, body):
    """The parsed body when a v1 signature matches and the timestamp is recent; else WebhookError."""
    if not (msg_id and timestamp and signature_header):
        raise WebhookError("a webhook-id, webhook-timestamp or webhook-signature header is missing")
    if not (timestamp.isascii() and timestamp.isdigit()) or abs(time.time() - int(timestamp)) > TOLERANCE_SECONDS:
        raise WebhookError("webhook-timestamp is more than 5 minutes away: a replay, or a clock to fix")
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{msg_id}.{timestamp}.".encode() + body  # id, dot, timestamp, dot, the body's bytes
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    # Several signatures, space-separated: during a secret rotation one per secret.
    for entry in signature_header.split(" "):
        version, _, signature = entry.partition(",")
        if version == "v1" and hmac.compare_digest(signature, expected):
            return json.loads(body)
    raise WebhookError("no v1 signature matches this secret and body")


if __name__ == "__main__":
    if len(sys.argv) != 5 or not os.environ.get("WEBHOOK_SECRET"):
        sys.exit(__doc__)
    msg_id, timestamp, signature_header, body_file = sys.argv[1:]
    with open(body_file, "rb") as f:
        raw = f.read()
    try:
        body = verify_webhook(os.environ["WEBHOOK_SECRET"], msg_id, timestamp, signature_header, raw)
    except WebhookError as err:
        print(f"refused: {err}", file=sys.stderr)
        sys.exit(1)
    # One event, or a batch of them (an endpoint added with --batch), each with its own id.
    events = body["events"] if body["type"] == "batch" else [dict(body, id=msg_id)]
    for event in events:
        print(f"verified {event['id']} {event['type']} {event['data']['id']}: {event['data']['status']}")
