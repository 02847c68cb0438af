/**
 * What one signed ACK costs the server (docs/receipts.md): rebuilding the covered list and its
 * SHA-256, the signed bytes, and the Ed25519 verify, per ACK of `n` messages. One core, a few
 * seconds: `node --import tsx scripts/measure-ack-verify.ts [n...]`.
 */
import { ackSignedBytes, encodeCoveredList } from '../src/crypto/ack-receipt.js';
import { AckVerifier, nodeAckKeyCrypto } from '../src/crypto/node/ack-key.js';
import { sha256 } from '../src/crypto/node/sha256.js';

const key = await nodeAckKeyCrypto.generate();
const verifier = new AckVerifier(key.publicKey);
const statement = { appId: 'app_measure', clientId: 'c_0123456789abcdef', fromSeq: 1000, uptoSeq: 0 };

for (const n of process.argv.slice(2).map(Number).filter((x) => x > 0).concat(process.argv.length > 2 ? [] : [1, 64])) {
  const covered = Array.from({ length: n }, (_, i) => ({ seq: 1001 + i, id: `01JD8XKQ${String(i).padStart(14, '0')}` }));
  const claim = { ...statement, uptoSeq: 1000 + n };
  const signature = await key.sign(ackSignedBytes(claim, sha256(encodeCoveredList(covered))));
  const rounds = 5000;
  const start = process.hrtime.bigint();
  for (let i = 0; i < rounds; i++) {
    if (!verifier.verify(ackSignedBytes(claim, sha256(encodeCoveredList(covered))), signature)) throw new Error('does not verify');
  }
  const us = Number(process.hrtime.bigint() - start) / 1000 / rounds;
  console.log(`${n} message(s) per ACK: ${us.toFixed(1)} µs per ACK (${Math.round(1e6 / us)} ACKs/s on one core)`);
}
