import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { DeliverableMessage } from '../../src/domain/types.js';
import { isSealPushError } from '../../src/domain/errors.js';
import { hexDecode, utf8Encode } from '../../src/crypto/encoding.js';
import {
  decodeClientFrame,
  decodeServerFrame,
  deliverFrameSize,
  encodeAck,
  encodeDeliver,
  encodeConfirm,
  encodeHeartbeat,
  encodeTicket,
} from '../../src/crypto/frames.js';

const code = (expected: string) => (err: unknown) => isSealPushError(err) && err.code === expected;

const messages: DeliverableMessage[] = [
  { seq: 1, createdAt: 1_700_000_000_000, id: 'a', data: utf8Encode('{"x":1}') },
  { seq: 7, createdAt: 0, id: 'ünïcode-𝄞', data: utf8Encode('"✓"') },
  { seq: Number.MAX_SAFE_INTEGER, createdAt: Number.MAX_SAFE_INTEGER, id: 'x'.repeat(255), data: new Uint8Array(0) },
];

describe('frames codec', () => {
  it('DELIVER round-trips and is sized exactly', () => {
    const plaintext = encodeDeliver(messages);
    assert.equal(plaintext.length, deliverFrameSize(messages));
    const frame = decodeServerFrame(plaintext);
    assert.equal(frame.type, 'deliver');
    assert.deepEqual(
      frame.type === 'deliver' ? frame.messages.map((m) => ({ ...m, data: [...m.data] })) : [],
      messages.map((m) => ({ ...m, data: [...m.data] })),
    );
  });

  it('DELIVER layout is big-endian as documented', () => {
    const plaintext = encodeDeliver([{ seq: 2, createdAt: 3, id: 'id', data: utf8Encode('{}') }]);
    assert.deepEqual(plaintext, hexDecode('01' + '0001' + '0000000000000002' + '0000000000000003' + '02' + '6964' + '00000002' + '7b7d'));
  });

  it('ACK and HEARTBEAT round-trip', () => {
    assert.deepEqual(encodeAck(258), hexDecode('020000000000000102'));
    assert.deepEqual(decodeClientFrame(encodeAck(258)), { type: 'ack', seq: 258 });
    assert.deepEqual(encodeHeartbeat(), Uint8Array.of(3));
    assert.deepEqual(decodeServerFrame(encodeHeartbeat()), { type: 'heartbeat' });
  });

  it('CONFIRM is the single byte 05, client to server only', () => {
    assert.deepEqual(encodeConfirm(), Uint8Array.of(5));
    assert.deepEqual(decodeClientFrame(encodeConfirm()), { type: 'confirm' });
    assert.throws(() => decodeServerFrame(encodeConfirm()), code('ERR_PROTOCOL'));
    assert.throws(() => decodeClientFrame(Uint8Array.of(5, 0)), code('ERR_PROTOCOL'), 'CONFIRM with a body');
  });

  it('TICKET is 06, u64 expiresAt, the ticket (1..512 bytes), server to client only', () => {
    const ticket = Uint8Array.of(1, 2, 3);
    assert.deepEqual(encodeTicket(258, ticket), hexDecode('060000000000000102010203'));
    assert.deepEqual(decodeServerFrame(encodeTicket(258, ticket)), { type: 'ticket', expiresAt: 258, ticket });
    assert.throws(() => decodeClientFrame(encodeTicket(258, ticket)), code('ERR_PROTOCOL'), 'wrong direction');
    assert.throws(() => decodeServerFrame(hexDecode('060000000000000102')), code('ERR_PROTOCOL'), 'empty ticket');
    assert.throws(() => decodeServerFrame(new Uint8Array(9 + 513).fill(6, 0, 1)), code('ERR_PROTOCOL'), 'ticket too long');
    assert.throws(() => encodeTicket(1, new Uint8Array(0)), code('ERR_INTERNAL'));
  });

  it('rejects malformed server frames with ERR_PROTOCOL', () => {
    const good = encodeDeliver(messages.slice(0, 2));
    const cases: [string, Uint8Array][] = [
      ['empty', new Uint8Array(0)],
      ['unknown type', Uint8Array.of(0x7f)],
      ['SIGNED_ACK in the wrong direction', Uint8Array.of(0x04)],
      ['type 0', Uint8Array.of(0x00)],
      ['ACK in the wrong direction', encodeAck(1)],
      ['HEARTBEAT with a body', Uint8Array.of(3, 0)],
      ['DELIVER without count', Uint8Array.of(1, 0)],
      ['DELIVER count 0', Uint8Array.of(1, 0, 0)],
      ['trailing byte', Uint8Array.of(...good, 0)],
      ['truncated data', good.subarray(0, good.length - 1)],
      ['truncated header', good.subarray(0, 10)],
      ['count larger than the body', Uint8Array.of(1, 0, 3, ...good.subarray(3))],
      ['seq 0', hexDecode('010001' + '0000000000000000' + '0000000000000000' + '0161' + '00000000')],
      ['seq above 2^53-1', hexDecode('010001' + '0020000000000000' + '0000000000000000' + '0161' + '00000000')],
      ['empty id', hexDecode('010001' + '0000000000000001' + '0000000000000000' + '00' + '00000000')],
      ['id not UTF-8', hexDecode('010001' + '0000000000000001' + '0000000000000000' + '01ff' + '00000000')],
      [
        'seqs not increasing',
        hexDecode('010002' + '0000000000000002' + '0000000000000000' + '0161' + '00000000' + '0000000000000002' + '0000000000000000' + '0162' + '00000000'),
      ],
      ['dataLen past the end', hexDecode('010001' + '0000000000000001' + '0000000000000000' + '0161' + 'ffffffff')],
    ];
    for (const [name, bytes] of cases) assert.throws(() => decodeServerFrame(bytes), code('ERR_PROTOCOL'), name);
  });

  it('rejects malformed client frames with ERR_PROTOCOL', () => {
    const cases: [string, Uint8Array][] = [
      ['empty', new Uint8Array(0)],
      ['unknown type', Uint8Array.of(0x7f, 0, 0, 0, 0, 0, 0, 0, 1)],
      ['DELIVER in the wrong direction', encodeDeliver(messages)],
      ['HEARTBEAT in the wrong direction', encodeHeartbeat()],
      ['ACK short', Uint8Array.of(2, 0, 0, 0, 0, 0, 0, 1)],
      ['ACK long', Uint8Array.of(2, 0, 0, 0, 0, 0, 0, 0, 1, 0)],
      ['ACK seq above 2^53-1', hexDecode('02ffffffffffffffff')],
    ];
    for (const [name, bytes] of cases) assert.throws(() => decodeClientFrame(bytes), code('ERR_PROTOCOL'), name);
  });

  it('ACK 0 is well-formed and acknowledges nothing', () => {
    assert.deepEqual(decodeClientFrame(encodeAck(0)), { type: 'ack', seq: 0 });
  });

  it('refuses to encode what the format cannot carry (ERR_INTERNAL)', () => {
    const one = messages[0]!;
    const cases: [string, () => unknown][] = [
      ['no messages', () => encodeDeliver([])],
      ['seq 0', () => encodeDeliver([{ ...one, seq: 0 }])],
      ['seqs out of order', () => encodeDeliver([{ ...one, seq: 2 }, { ...one, seq: 1 }])],
      ['empty id', () => encodeDeliver([{ ...one, id: '' }])],
      ['id of 256 bytes', () => encodeDeliver([{ ...one, id: 'é'.repeat(128) }])],
      ['negative createdAt', () => encodeDeliver([{ ...one, createdAt: -1 }])],
      ['ACK -1', () => encodeAck(-1)],
      ['ACK fraction', () => encodeAck(1.5)],
    ];
    for (const [name, run] of cases) assert.throws(run, code('ERR_INTERNAL'), name);
  });
});
