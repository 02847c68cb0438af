/** The relay-blind and signature wrappers in `data`, and the exact bytes each binds (docs/relay-blind.md). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  SEALED_TAG,
  SIGNED_TAG,
  parseSealedWrapper,
  parseSignedWrapper,
  sealInfo,
  sealedWrapper,
  signedBytes,
  signedWrapper,
} from '../../src/domain/message-wrappers.js';
import { generateHpkeKeyPair, openSealed, sealToClient } from '../../src/crypto/hpke.js';

const ENC = Buffer.alloc(32, 1).toString('base64url');
const CT = Buffer.alloc(17, 2).toString('base64url');
const SIG = Buffer.alloc(64, 3).toString('base64url');
const BINDING = { appId: 'app_x', clientId: 'c_1', messageId: 'm.1' };

test('plain data is no wrapper; wrappers round-trip with their keys in the documented order', () => {
  for (const data of [null, 1, 'x', [1], { a: 1 }, { sealpush: 1 }]) {
    assert.equal(parseSealedWrapper(data), undefined);
    assert.equal(parseSignedWrapper(data), undefined);
  }
  const sealed = sealedWrapper({ enc: ENC, ct: CT });
  assert.deepEqual(Object.keys(sealed), [SEALED_TAG, 'enc', 'ct']);
  assert.deepEqual(parseSealedWrapper(JSON.parse(JSON.stringify(sealed))), { enc: ENC, ct: CT });
  const signed = signedWrapper({ payload: '{"a":1}', sig: SIG });
  assert.deepEqual(Object.keys(signed), [SIGNED_TAG, 'payload', 'sig']);
  assert.deepEqual(parseSignedWrapper(JSON.parse(JSON.stringify(signed))), { payload: '{"a":1}', sig: SIG });
});

test('a tagged wrapper that is malformed is refused with its code, never taken as data', () => {
  const sealed = { [SEALED_TAG]: 1, enc: ENC, ct: CT };
  for (const bad of [{ ...sealed, [SEALED_TAG]: 2 }, { ...sealed, enc: ENC.slice(1) }, { ...sealed, ct: 'AA' }, { ...sealed, ct: 'a+b' + CT }, { ...sealed, extra: 1 }, { [SEALED_TAG]: 1, enc: ENC }]) {
    assert.throws(() => parseSealedWrapper(bad), { code: 'ERR_SEALED_MESSAGE' }, JSON.stringify(bad));
  }
  const signed = { [SIGNED_TAG]: 1, payload: '1', sig: SIG };
  for (const bad of [{ ...signed, [SIGNED_TAG]: true }, { ...signed, payload: 1 }, { ...signed, sig: SIG.slice(2) }, { ...signed, sig: '=' + SIG.slice(1) }, { ...signed, kid: 'x' }]) {
    assert.throws(() => parseSignedWrapper(bad), { code: 'ERR_MESSAGE_SIGNATURE' }, JSON.stringify(bad));
  }
});

test('the signed bytes: label, length-prefixed ids, then u32 length and the payload; ids cannot slide into each other', () => {
  const bytes = signedBytes(BINDING, 'é');
  const expected = Buffer.concat([
    Buffer.from('sealpush sig v1'),
    Buffer.from([0, 5]), Buffer.from('app_x'),
    Buffer.from([0, 3]), Buffer.from('c_1'),
    Buffer.from([0, 3]), Buffer.from('m.1'),
    Buffer.from([0, 0, 0, 2]), Buffer.from('é'),
  ]);
  assert.equal(Buffer.from(bytes).toString('hex'), expected.toString('hex'));
  const a = signedBytes({ appId: 'ab', clientId: 'c', messageId: 'm' }, 'p');
  const b = signedBytes({ appId: 'a', clientId: 'bc', messageId: 'm' }, 'p');
  assert.notEqual(Buffer.from(a).toString('hex'), Buffer.from(b).toString('hex'));
  assert.equal(Buffer.from(sealInfo(BINDING)).toString('hex'), Buffer.concat([Buffer.from('sealpush hpke v1'), expected.subarray(15, expected.length - 6)]).toString('hex'));
});

test('HPKE: opens only with the recipient key and the same app, client and message id', async () => {
  const recipient = await generateHpkeKeyPair();
  const other = await generateHpkeKeyPair();
  const sealed = await sealToClient(recipient.publicKey, BINDING, '{"x":"secret"}');
  assert.equal(Buffer.from(sealed.enc, 'base64url').length, 32);
  assert.equal(await openSealed(recipient, BINDING, sealed), '{"x":"secret"}');
  await assert.rejects(openSealed(other, BINDING, sealed), { code: 'ERR_SEALED_MESSAGE' });
  for (const binding of [{ ...BINDING, appId: 'app_y' }, { ...BINDING, clientId: 'c_2' }, { ...BINDING, messageId: 'm.2' }]) {
    await assert.rejects(openSealed(recipient, binding, sealed), { code: 'ERR_SEALED_MESSAGE' }, JSON.stringify(binding));
  }
  const ct = Buffer.from(sealed.ct, 'base64url');
  ct[0]! ^= 1;
  await assert.rejects(openSealed(recipient, BINDING, { ...sealed, ct: ct.toString('base64url') }), { code: 'ERR_SEALED_MESSAGE' });
  await assert.rejects(sealToClient(new Uint8Array(31), BINDING, '1'), { code: 'ERR_SEALED_MESSAGE' });
});
