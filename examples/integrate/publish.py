#!/usr/bin/env python3
"""Publish one message to sealpush, then read its status: signed requests with the standard library only."""
import base64
import hashlib
import hmac
import json
import os
import secrets
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

URL = os.environ.get("SEALPUSH_URL", "http://127.0.0.1:8080")
APP_ID = os.environ.get("SEALPUSH_APP_ID", "")  # from `sealpush apps create NAME --json`
SECRET = os.environ.get("SEALPUSH_APP_SECRET", "")  # 43 characters of base64url: the key is the 32 bytes it decodes to
USAGE = "Usage: SEALPUSH_APP_ID=... SEALPUSH_APP_SECRET=... python3 publish.py CLIENT_ID MESSAGE_ID"


# region sign
def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def authorization(method: str, target: str, body: bytes) -> str:
    """The Authorization header for one request; `target` is the path and query exactly as sent."""
    key = base64.urlsafe_b64decode(SECRET + "=")  # the bytes of the secret, not its text
    ts = str(int(time.time()))
    nonce = secrets.token_urlsafe(16)  # fresh for every request, retries included
    text = "\n".join([method, target, ts, nonce, hashlib.sha256(body).hexdigest()])
    sig = b64url(hmac.new(key, text.encode(), hashlib.sha256).digest())
    return f"SEALPUSH-HMAC-SHA256 app={APP_ID},ts={ts},nonce={nonce},sig={sig}"
# endregion


# region send
def send(method: str, target: str, payload=None) -> tuple[str, int]:
    body = b"" if payload is None else json.dumps(payload).encode()  # sign exactly the bytes sent
    request = urllib.request.Request(URL + target, data=body or None, method=method)
    request.add_header("Authorization", authorization(method, target, body))
    if payload is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request) as response:
            return response.read().decode(), response.status
    except urllib.error.HTTPError as refused:  # 4xx/5xx: the body names the error code
        return refused.read().decode(), refused.code
# endregion


def main() -> int:
    if len(sys.argv) != 3 or not APP_ID or not SECRET:
        print(USAGE, file=sys.stderr)
        return 2
    client_id, message_id = sys.argv[1], sys.argv[2]
    message = {"to": client_id, "data": {"invoice": 42, "paid": True}, "id": message_id}
    try:
        answer, status = send("POST", "/v1/messages", message)
        print(answer, status)
        if status == 202:
            answer, status = send("GET", "/v1/messages/" + urllib.parse.quote(message_id, safe=""))
            print(answer, status)
    except urllib.error.URLError as unreachable:  # no answer at all (an HTTP refusal is answered above)
        print(f"nothing answered at {URL} ({unreachable.reason}): is `sealpush serve` running there?", file=sys.stderr)
        return 1
    return 0 if status < 300 else 1


if __name__ == "__main__":
    sys.exit(main())
