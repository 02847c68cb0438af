#!/bin/sh
# Verify a webhook request sealpush sent, with openssl: a request saved to files, to look into
# one by hand. `=` below is not a constant-time comparison: a receiver uses a library instead
# (verifyWebhook, the standardwebhooks package, Python's hmac.compare_digest).
# Usage: WEBHOOK_SECRET=whsec_... sh verify.sh WEBHOOK_ID WEBHOOK_TIMESTAMP 'WEBHOOK_SIGNATURE' BODY_FILE
set -euf
SECRET=${WEBHOOK_SECRET:?set WEBHOOK_SECRET (whsec_..., printed once by sealpush webhooks add)}
USAGE="usage: sh verify.sh WEBHOOK_ID WEBHOOK_TIMESTAMP 'WEBHOOK_SIGNATURE' BODY_FILE"
ID=${1:?$USAGE}
TS=${2:?$USAGE}
SIGNATURES=${3:?$USAGE}
BODY=${4:?$USAGE}

# The specification's window: at most 5 minutes either way of this machine's clock.
case $TS in *[!0-9]*) echo "refused: webhook-timestamp is not Unix seconds" >&2; exit 1 ;; esac
AGE=$(( $(date +%s) - TS ))
if [ "$AGE" -gt 300 ] || [ "$AGE" -lt -300 ]; then
  echo "refused: webhook-timestamp is $AGE s old: a replay, or a clock to fix" >&2
  exit 1
fi

# The HMAC key is the bytes the secret's base64 (after whsec_) decodes to, given to openssl as hex.
KEY_HEX=$(printf '%s' "${SECRET#whsec_}" | openssl base64 -d -A | od -An -v -tx1 | tr -d ' \n')
# What is signed: the id, a dot, the timestamp, a dot, and the body's exact bytes.
EXPECTED=$({ printf '%s.%s.' "$ID" "$TS"; cat "$BODY"; } |
  openssl dgst -sha256 -mac HMAC -macopt "hexkey:$KEY_HEX" -binary | openssl base64 -A)

# Several signatures, space-separated: during a secret rotation one per secret.
for SIGNATURE in $SIGNATURES; do
  if [ "$SIGNATURE" = "v1,$EXPECTED" ]; then
    echo "verified $ID"
    exit 0
  fi
done
echo "refused: no v1 signature matches this secret and body" >&2
exit 1
