/**
 * What one transport-frame AEAD costs (issue 16, lever 4): a 256-byte seal and open with each
 * way this machine offers, in one run, so that the ratios hold even on a loaded machine.
 * node:crypto builds a cipher object per operation (the v2 channel's AES-256-GCM did);
 * sodium-native calls libsodium on caller buffers (the v3 channel's ChaCha20-Poly1305);
 * WebCrypto keeps an imported key but pays a promise per operation. The last two rows are the
 * at-rest seal of a message payload through src/crypto/node/at-rest.ts, with a message's aad:
 * AES-256-GCM as formats 1 and 2 sealed it (the format-1 cipher runs the same code) against
 * XChaCha20-Poly1305 (format 4); every message costs one seal and one open of it.
 * `node --import tsx scripts/measure-aead.ts [--bytes 256] [--rounds 3] [--json]`
 */
import { type CipherGCM, type DecipherGCM, createCipheriv, createDecipheriv, createSecretKey, randomBytes, webcrypto } from 'node:crypto';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { gcm } from '@noble/ciphers/aes.js';
import sodium from 'sodium-native';
import { createPayloadCipher, createPayloadKeyring } from '../src/crypto/node/at-rest.js';
import { payloadAad } from '../src/domain/usecases/payload-aad.js';

const args = process.argv.slice(2);
if (args.includes('--help')) {
  console.log('usage: measure-aead.ts [--bytes N (256)] [--rounds N (3)] [--json]');
  process.exit(0);
}
const option = (name: string, fallback: number): number => {
  const at = args.indexOf(name);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};
const bytes = option('--bytes', 256);
const rounds = option('--rounds', 3);
const json = args.includes('--json');

const TAG = 16;
const key = randomBytes(32);
const keyObject = createSecretKey(key);
const plaintext = randomBytes(bytes);
const nonce = Buffer.alloc(12);
const subtleKey = await webcrypto.subtle.importKey('raw', key, { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);

function nodeSeal(algorithm: 'aes-256-gcm' | 'chacha20-poly1305', k: Buffer | typeof keyObject) {
  return (m: Uint8Array): Buffer => {
    // One cast for both AEADs: node:crypto types them as separate overloads with the same shape.
    const cipher = createCipheriv(algorithm, k, nonce) as CipherGCM;
    const head = cipher.update(m);
    const tail = cipher.final();
    return Buffer.concat([head, tail, cipher.getAuthTag()], head.length + tail.length + TAG);
  };
}

function nodeOpen(algorithm: 'aes-256-gcm' | 'chacha20-poly1305') {
  return (c: Uint8Array): Buffer => {
    const decipher = createDecipheriv(algorithm, key, nonce) as DecipherGCM;
    decipher.setAuthTag(c.subarray(c.length - TAG));
    const head = decipher.update(c.subarray(0, c.length - TAG));
    decipher.final();
    return head;
  };
}

function sodiumSeal(m: Uint8Array): Buffer {
  const c = Buffer.allocUnsafe(m.length + TAG);
  sodium.crypto_aead_chacha20poly1305_ietf_encrypt(c, m, null, null, nonce, key);
  return c;
}

function sodiumOpen(c: Uint8Array): Buffer {
  const m = Buffer.allocUnsafe(c.length - TAG);
  sodium.crypto_aead_chacha20poly1305_ietf_decrypt(m, null, c, null, nonce, key);
  return m;
}

const messageAad = payloadAad('app-1', 'c_client', 'm_message');
const gcmAtRest = createPayloadCipher(key);
const xchachaAtRest = createPayloadKeyring(key).forClient({ id: 'c_client', appId: 'app-1', keySalt: randomBytes(32) });

type Operation = (input: Uint8Array) => Uint8Array | Promise<Uint8Array>;
interface Way {
  readonly name: string;
  readonly seal: Operation;
  readonly open: Operation;
}

const AT_REST_BEFORE = 'at rest: aes-256-gcm (formats 1, 2; before)';
const AT_REST_NOW = 'at rest: xchacha20poly1305 (format 4; sodium)';
const ways: Way[] = [
  { name: 'node:crypto aes-256-gcm (object per op; v2 channel)', seal: nodeSeal('aes-256-gcm', key), open: nodeOpen('aes-256-gcm') },
  { name: 'node:crypto aes-256-gcm, KeyObject key', seal: nodeSeal('aes-256-gcm', keyObject), open: nodeOpen('aes-256-gcm') },
  {
    name: 'node:crypto webcrypto aes-gcm (key imported once)',
    seal: async (m) => new Uint8Array(await webcrypto.subtle.encrypt({ name: 'AES-GCM', iv: nonce }, subtleKey, m)),
    open: async (c) => new Uint8Array(await webcrypto.subtle.decrypt({ name: 'AES-GCM', iv: nonce }, subtleKey, c)),
  },
  { name: 'node:crypto chacha20-poly1305 (object per op)', seal: nodeSeal('chacha20-poly1305', key), open: nodeOpen('chacha20-poly1305') },
  { name: 'sodium-native chacha20poly1305_ietf', seal: sodiumSeal, open: sodiumOpen },
  { name: '@noble/ciphers chacha20poly1305 (pure JS)', seal: (m) => chacha20poly1305(key, nonce).encrypt(m), open: (c) => chacha20poly1305(key, nonce).decrypt(c) },
  { name: '@noble/ciphers aes-256-gcm (pure JS)', seal: (m) => gcm(key, nonce).encrypt(m), open: (c) => gcm(key, nonce).decrypt(c) },
  { name: AT_REST_BEFORE, seal: (m) => gcmAtRest.seal(m, messageAad), open: (c) => gcmAtRest.open(c, messageAad) },
  { name: AT_REST_NOW, seal: (m) => xchachaAtRest.seal(m, messageAad), open: (c) => xchachaAtRest.open(c, messageAad) },
];

// @noble/ciphers refuses a second encrypt() on one instance (nonce reuse), so an instance per
// operation: what the SDK does anyway, with a new nonce each time.
/**
 * CPU µs per operation (process.cpuUsage: user + system, so GC threads count too) over about
 * `ms` milliseconds of wall time. CPU time, not wall time: the other processes on a loaded
 * machine then lengthen the run, not the figure. Awaits only when the operation is async.
 */
async function timeOf(operation: Operation, input: Uint8Array, ms = 400): Promise<number> {
  let count = 0;
  const cpuStart = process.cpuUsage();
  const deadline = process.hrtime.bigint() + BigInt(ms) * 1_000_000n;
  while (process.hrtime.bigint() < deadline) {
    for (let i = 0; i < 200; i++) {
      const out = operation(input);
      if (out instanceof Promise) await out;
    }
    count += 200;
  }
  const cpu = process.cpuUsage(cpuStart);
  return (cpu.user + cpu.system) / count;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const samples = new Map<string, { seal: number[]; open: number[] }>(ways.map((w) => [w.name, { seal: [], open: [] }]));
for (const way of ways) {
  const sealed = await way.seal(plaintext);
  const opened = await way.open(sealed);
  if (Buffer.compare(Buffer.from(opened), plaintext) !== 0) throw new Error(`${way.name} does not round-trip`);
  await timeOf(way.seal, plaintext, 100);
}
// Interleaved rounds: a burst of load from elsewhere hits every way, not just one.
for (let round = 0; round < rounds; round++) {
  if (!json) process.stderr.write(`round ${round + 1}/${rounds}\n`);
  for (const way of ways) {
    const sealed = await way.seal(plaintext);
    samples.get(way.name)!.seal.push(await timeOf(way.seal, plaintext));
    samples.get(way.name)!.open.push(await timeOf(way.open, sealed));
  }
}

const baseline = samples.get(ways[0]!.name)!;
const rows = ways.map((way) => {
  const s = samples.get(way.name)!;
  const seal = median(s.seal);
  const open = median(s.open);
  return { name: way.name, sealUs: seal, openUs: open, sealVsV2: median(baseline.seal) / seal, openVsV2: median(baseline.open) / open };
});
const perMessage = (name: string) => {
  const row = rows.find((r) => r.name === name)!;
  return row.sealUs + row.openUs;
};
const atRest = { beforeUs: perMessage(AT_REST_BEFORE), nowUs: perMessage(AT_REST_NOW) };
if (json) {
  console.log(JSON.stringify({ bytes, rounds, rows, atRestPerMessage: atRest }, null, 2));
} else {
  console.log(`${bytes}-byte AEAD, median of ${rounds} interleaved rounds (CPU µs per operation; x = times less than the v2 channel's)`);
  for (const r of rows) {
    console.log(
      `${r.name.padEnd(52)} seal ${r.sealUs.toFixed(2).padStart(6)} µs (${r.sealVsV2.toFixed(1)}x)  open ${r.openUs.toFixed(2).padStart(6)} µs (${r.openVsV2.toFixed(1)}x)`,
    );
  }
  console.log(
    `at rest, seal + open per message: ${atRest.beforeUs.toFixed(2)} µs before, ${atRest.nowUs.toFixed(2)} µs now (${(atRest.beforeUs / atRest.nowUs).toFixed(1)}x less)`,
  );
}
