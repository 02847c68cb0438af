#!/bin/sh
# Publish one message to sealpush, then read its status: sign with openssl, send with curl.
# Usage: SEALPUSH_APP_ID=... SEALPUSH_APP_SECRET=... sh publish.sh CLIENT_ID MESSAGE_ID
set -eu
URL=${SEALPUSH_URL:-http://127.0.0.1:8080}
APP_ID=${SEALPUSH_APP_ID:?set SEALPUSH_APP_ID (sealpush apps create NAME --json)}
SECRET=${SEALPUSH_APP_SECRET:?set SEALPUSH_APP_SECRET (43 characters of base64url)}
CLIENT_ID=${1:?usage: publish.sh CLIENT_ID MESSAGE_ID}
MESSAGE_ID=${2:?usage: publish.sh CLIENT_ID MESSAGE_ID}

b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }
# The HMAC key is the 32 bytes the secret decodes to, given to openssl as hex.
KEY_HEX=$(printf '%s=' "$SECRET" | tr '_-' '/+' | openssl base64 -d -A | od -An -v -tx1 | tr -d ' \n')

# send METHOD TARGET [BODY]: TARGET is the path and query exactly as sent; the body is signed as sent.
send() {
  ts=$(date +%s)
  nonce=$(openssl rand 16 | b64url)   # fresh for every request, retries included
  body_sha=$(printf '%s' "${3-}" | openssl dgst -sha256 -r | cut -d' ' -f1)
  sig=$(printf '%s\n%s\n%s\n%s\n%s' "$1" "$2" "$ts" "$nonce" "$body_sha" |
    openssl dgst -sha256 -mac HMAC -macopt "hexkey:$KEY_HEX" -binary | b64url)
  auth="SEALPUSH-HMAC-SHA256 app=$APP_ID,ts=$ts,nonce=$nonce,sig=$sig"
  if [ $# -ge 3 ]; then
    curl -sS --fail-with-body -w ' %{http_code}\n' -X "$1" "$URL$2" -H "authorization: $auth" \
      -H 'content-type: application/json' --data-binary "$3"
  else
    curl -sS --fail-with-body -w ' %{http_code}\n' -X "$1" "$URL$2" -H "authorization: $auth"
  fi
}

send POST /v1/messages "{\"to\":\"$CLIENT_ID\",\"data\":{\"invoice\":42,\"paid\":true},\"id\":\"$MESSAGE_ID\"}"
send GET "/v1/messages/$MESSAGE_ID"   # an id (A-Z a-z 0-9 . _ : -) needs no percent-encoding
