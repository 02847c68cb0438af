// The SDK's crypto (WebCrypto and @noble/ciphers code, as built in dist/) in headless Chromium:
// the published Noise vectors for NN, NK, XK, IK and the psk patterns (NNpsk0, NNpsk2, NKpsk0,
// IKpsk2) of both suites (ChaChaPoly, the channel's; AESGCM), the sealpush v3 vectors on the client side, and the cohort envelope vectors (build,
// and every member opening its own slot).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { chromiumMissing, launchChromium } from '../helpers/requirements.js';
import { serveStatic } from '../helpers/static-server.js';

const skip = chromiumMissing();
const DIST = fileURLToPath(new URL('../../dist/', import.meta.url));
const NOBLE_CIPHERS = fileURLToPath(new URL('../../node_modules/@noble/ciphers/', import.meta.url));
const noiseVectors = (file: string) =>
  JSON.parse(readFileSync(new URL(`../../src/crypto/vectors/${file}`, import.meta.url), 'utf8')) as unknown;
/** Both suites' published vectors: each runs on its own NoiseCrypto in the page. */
const NOISE_VECTORS = {
  chachapoly: noiseVectors('noise-25519-chachapoly-sha256.json'),
  aesgcm: noiseVectors('noise-25519-aesgcm-sha256.json'),
  aesgcmPsk: noiseVectors('noise-25519-aesgcm-sha256-psk.json'),
};
const PROTOCOL_VECTORS = JSON.parse(
  readFileSync(new URL('../../src/crypto/vectors/sealpush-v3.json', import.meta.url), 'utf8'),
) as unknown;
const COHORT_VECTORS = JSON.parse(
  readFileSync(new URL('../../src/crypto/vectors/sealpush-cohort-v3.json', import.meta.url), 'utf8'),
) as unknown;

/** Runs every vector in the page; resolves to a list of mismatches (empty when all pass). */
const PAGE = `<!doctype html><meta charset="utf-8"><title>sealpush crypto vectors</title>
<script type="importmap">{ "imports": { "@noble/ciphers/chacha.js": "/noble-ciphers/chacha.js" } }</script>
<script type="module">
  import { hexDecode as h, hexEncode as x } from '/crypto/encoding.js';
  import { HandshakeState } from '/crypto/noise/handshake-state.js';
  import { PATTERNS } from '/crypto/noise/patterns.js';
  import { webNoiseCrypto as crypto, webAesGcmNoiseCrypto } from '/crypto/web/noise-crypto.js';
  import { WebFrameSealer, WebFrameOpener } from '/crypto/web/frame-cipher.js';
  import { startHello } from '/crypto/hello.js';
  import { resumePsk, startResumeHello, readResumeHello, acceptResumeHello } from '/crypto/resume-hello.js';
  import { fingerprint } from '/crypto/fingerprint.js';
  import { authenticatedCloseCode } from '/crypto/close-reason.js';
  import { deriveSlotKeys, openCohortEnvelope, sealCohortEnvelope } from '/crypto/cohort.js';

  window.runVectors = async (noise, protocol, cohort) => {
    const bad = [];
    const check = (label, got, want) => { if (got !== want) bad.push(label + ': ' + got + ' != ' + want); };
    const key = async (hex) => (hex ? crypto.keyPairFromPrivate(h(hex)) : undefined);
    const suites = [[crypto, noise.chachapoly], [webAesGcmNoiseCrypto, noise.aesgcm], [webAesGcmNoiseCrypto, noise.aesgcmPsk]];
    const runs = suites.flatMap(([c, file]) => file.vectors.map((v) => [c, v]));
    check('noise vectors run', runs.length, 16);
    check('psk vectors run', runs.filter(([, v]) => v.protocol_name.includes('psk')).length, 8);
    for (const [suiteCrypto, v] of runs) {
      const pattern = PATTERNS[v.protocol_name.split('_')[1]];
      const init = await HandshakeState.initialize({ crypto: suiteCrypto, pattern, initiator: true, prologue: h(v.init_prologue),
        s: await key(v.init_static), e: await key(v.init_ephemeral), rs: v.init_remote_static ? h(v.init_remote_static) : undefined,
        psks: v.init_psks?.map(h) });
      const resp = await HandshakeState.initialize({ crypto: suiteCrypto, pattern, initiator: false, prologue: h(v.resp_prologue),
        s: await key(v.resp_static), e: await key(v.resp_ephemeral), psks: v.resp_psks?.map(h) });
      let ci, cr;
      for (const [i, m] of v.messages.entries()) {
        const label = v.protocol_name + ' message ' + i;
        const fromInit = i % 2 === 0;
        if (i < pattern.messages.length) {
          const [w, r] = fromInit ? [init, resp] : [resp, init];
          check(label + ' written', x(await w.writeMessage(h(m.payload))), m.ciphertext);
          check(label + ' read', x(await r.readMessage(h(m.ciphertext))), m.payload);
          if (i === pattern.messages.length - 1) {
            check(v.protocol_name + ' hash', x(init.handshakeHash), v.handshake_hash);
            ci = await init.split();
            cr = await resp.split();
          }
        } else {
          const send = fromInit ? ci.initiatorToResponder : cr.responderToInitiator;
          const recv = fromInit ? cr.initiatorToResponder : ci.responderToInitiator;
          check(label + ' written', x(await send.encryptWithAd(new Uint8Array(0), h(m.payload))), m.ciphertext);
          check(label + ' read', x(await recv.decryptWithAd(new Uint8Array(0), h(m.ciphertext))), m.payload);
        }
      }
    }
    const p = protocol;
    const started = await startHello({ appId: p.appId, serverKey: h(p.serverStaticPublic), staticKey: await key(p.clientStaticPrivate),
      payload: p.clientPayload, crypto, ephemeral: await key(p.clientEphemeralPrivate) });
    check('hello', x(started.hello), p.hello);
    const done = await started.finish(h(p.reply));
    check('server payload', JSON.stringify(done.payload), JSON.stringify(p.serverPayload));
    check('handshake hash', x(done.handshakeHash), p.handshakeHash);
    check('send key', x(done.sendKey), p.clientToServerKey);
    check('receive key', x(done.receiveKey), p.serverToClientKey);
    check('session secret', x(done.sessionSecret), p.sessionSecret);
    check('fingerprint', await fingerprint(h(p.serverStaticPublic)), p.serverFingerprint);
    const refused = await startHello({ appId: p.appId, serverKey: h(p.serverStaticPublic), staticKey: await key(p.clientStaticPrivate),
      payload: p.clientPayload, crypto, ephemeral: await key(p.clientEphemeralPrivate) });
    check('refusal', await refused.finish(h(p.refusal.reply)).then(() => 'a session', (err) => err.code), p.refusal.code);
    const c = p.closeReason;
    check('close reason', String(await authenticatedCloseCode(crypto, h(p.sessionSecret), c.closeCode, c.reason)), c.code);
    const r = p.resumption;
    check('resume psk', x(await resumePsk(crypto, h(p.sessionSecret))), r.psk);
    const resumeStart = async () => startResumeHello({ appId: p.appId, ticket: h(r.ticket), psk: h(r.psk), payload: r.clientPayload, crypto,
      ephemeral: await key(r.clientEphemeralPrivate) });
    const resumed = await resumeStart();
    check('resume hello', x(resumed.hello), r.hello);
    const resumeAccepted = await acceptResumeHello(readResumeHello(h(r.hello)), { psk: h(r.psk), crypto, ephemeral: await key(r.serverEphemeralPrivate) });
    check('resume reply', x((await resumeAccepted.accept(r.serverPayload)).reply), r.reply);
    const resumeDone = await resumed.finish(h(r.reply));
    check('resume send key', x(resumeDone.sendKey), r.clientToServerKey);
    check('resume receive key', x(resumeDone.receiveKey), r.serverToClientKey);
    check('resume session secret', x(resumeDone.sessionSecret), r.sessionSecret);
    check('resume refusal', await (await resumeStart()).finish(h(r.refusal.reply)).then(() => 'a session', (err) => err.code), r.refusal.code);
    const runFrames = async (frames, keyOf, start) => {
      const sealers = {}, openers = {};
      for (const f of frames) {
        sealers[f.direction] ??= new WebFrameSealer(keyOf(f.direction), start);
        openers[f.direction] ??= new WebFrameOpener(keyOf(f.direction), start);
        check(f.direction + ' ' + f.counter + ' sealed', x(await sealers[f.direction].seal(h(f.plaintext))), f.sealed);
        check(f.direction + ' ' + f.counter + ' opened', x(await openers[f.direction].open(h(f.sealed))), f.plaintext);
      }
    };
    await runFrames(p.frames, (d) => h(d === 'server-to-client' ? p.serverToClientKey : p.clientToServerKey), 0);
    for (const r of p.rekey) await runFrames(r.frames, () => h(r.key), r.startCounter);
    const members = cohort.members.map((m) => ({ secret: h(m.secret), bundle: h(m.bundle) }));
    for (const t of cohort.ticks) {
      const header = { appId: cohort.appId, tick: t.tick, salt: h(t.salt), slotCount: t.slotCount, slotBytes: t.slotBytes };
      for (const [i, m] of members.entries()) {
        const k = await deriveSlotKeys(crypto, m.secret, header);
        check('cohort ' + t.tick + ' member ' + i + ' tag', x(k.tag), t.slots[i].tag);
        check('cohort ' + t.tick + ' member ' + i + ' key', x(k.key), t.slots[i].key);
      }
      const stream = h(t.random);
      let used = 0;
      const random = (n) => { const out = stream.slice(used, used + n); used += n; return out; };
      const recipients = members.map((m, i) => ({ ...m, counter: t.counters[i] }));
      const envelope = await sealCohortEnvelope(crypto, header, recipients, random);
      check('cohort ' + t.tick + ' envelope', x(envelope), t.envelope);
      for (const [i, m] of members.entries()) {
        const slot = await openCohortEnvelope(crypto, m.secret, h(t.envelope));
        check('cohort ' + t.tick + ' member ' + i + ' opens', slot.counter + ' ' + x(slot.bundle), t.counters[i] + ' ' + x(m.bundle));
      }
      check('cohort ' + t.tick + ' outsider', String(await openCohortEnvelope(crypto, h(cohort.outsiderSecret), h(t.envelope))), 'null');
    }
    return bad;
  };
  window.ready = true;
</script>`;

describe('crypto vectors in headless Chromium (WebCrypto and @noble/ciphers)', { skip }, () => {
  let pages: Awaited<ReturnType<typeof serveStatic>>;
  let browser: Browser;

  before(async () => {
    pages = await serveStatic(DIST, { '/': PAGE }, { '/noble-ciphers/': NOBLE_CIPHERS });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await pages?.close();
  });

  test('reproduces every Noise, sealpush and cohort vector byte', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    await page.goto(pages.url + '/');
    await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true);
    const mismatches = await page.evaluate(
      ([noise, protocol, cohort]) =>
        (window as unknown as { runVectors(n: unknown, p: unknown, c: unknown): Promise<string[]> }).runVectors(noise, protocol, cohort),
      [NOISE_VECTORS, PROTOCOL_VECTORS, COHORT_VECTORS] as const,
    );
    assert.deepEqual(mismatches, []);
    assert.deepEqual(errors, []);
    await page.close();
  });
});
