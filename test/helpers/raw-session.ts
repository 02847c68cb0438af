/**
 * A client session on a raw socket, step by step, for tests that must send what no SDK sends:
 * the same hello (or the same ticket) twice, a CONFIRM or none. Resolves with everything the
 * server sent and how it closed.
 */
import { WebSocket } from 'ws';
import { encodeConfirm, decodeServerFrame, type ServerFrame } from '../../src/crypto/frames.js';
import type { StartedHello } from '../../src/crypto/hello.js';
import { FrameOpener, FrameSealer } from '../../src/crypto/node/frame-cipher.js';

export interface RawOutcome {
  /** Message 2, as received. */
  readonly reply: Buffer | null;
  /** The frames after it that opened (with CONFIRM sent), in order. */
  readonly frames: ServerFrame[];
  readonly code: number;
  readonly reason: string;
}

export interface RawSession {
  /** Set once the reply went out and CONFIRM (if asked) was sent. */
  readonly confirmed: Promise<void>;
  readonly outcome: Promise<RawOutcome>;
  close(): void;
}

/** Sends `hello.hello`; if `confirm`, finishes the handshake and sends CONFIRM, then reads frames. */
export function rawSession(serverUrl: string, hello: StartedHello | { readonly hello: Uint8Array }, confirm: boolean): RawSession {
  const ws = new WebSocket(`${serverUrl.replace(/^http/, 'ws')}/v1/ws`);
  let reply: Buffer | null = null;
  const frames: ServerFrame[] = [];
  let opener: FrameOpener | null = null;
  let signalConfirmed: () => void = () => undefined;
  const confirmed = new Promise<void>((resolve) => (signalConfirmed = resolve));
  let chain = Promise.resolve();
  const outcome = new Promise<RawOutcome>((resolve, reject) => {
    ws.on('open', () => ws.send(hello.hello));
    ws.on('message', (data: Buffer) => {
      chain = chain.then(async () => {
        if (reply === null) {
          reply = data;
          if (confirm && 'finish' in hello) {
            const keys = await hello.finish(data);
            opener = new FrameOpener(keys.receiveKey);
            ws.send(new FrameSealer(keys.sendKey).seal(encodeConfirm()));
          }
          signalConfirmed();
        } else if (opener) frames.push(decodeServerFrame(opener.open(data)));
      }).catch(() => ws.terminate());
    });
    ws.on('close', (code, reason) => {
      signalConfirmed();
      void chain.then(() => resolve({ reply, frames, code, reason: reason.toString() }));
    });
    ws.on('error', reject);
  });
  return { confirmed, outcome, close: () => ws.close() };
}
