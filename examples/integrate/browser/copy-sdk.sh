#!/bin/sh
# Copies the browser SDK as published (plain ES modules), its @hpke modules and @noble/ciphers
# into the folder your web server serves, so that a page can load it with <script type="module">,
# no bundler.
# Run it where node_modules is, after `npm install sealpush`: sh copy-sdk.sh public
set -eu
OUT=${1:?usage: copy-sdk.sh PUBLIC_DIR}
SEALPUSH=${SEALPUSH_PACKAGE:-node_modules/sealpush}
HPKE=${HPKE_PACKAGES:-node_modules/@hpke}
NOBLE_CIPHERS=${NOBLE_CIPHERS_PACKAGE:-node_modules/@noble/ciphers}

mkdir -p "$OUT/sealpush"
cp -R "$SEALPUSH/dist/client" "$SEALPUSH/dist/crypto" "$SEALPUSH/dist/domain" "$OUT/sealpush/"
for package in core common dhkem-x25519; do
  mkdir -p "$OUT/hpke/$package"
  cp -R "$HPKE/$package/esm" "$OUT/hpke/$package/"
done
mkdir -p "$OUT/noble-ciphers"
cp "$NOBLE_CIPHERS"/*.js "$OUT/noble-ciphers/"
