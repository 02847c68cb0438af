/**
 * A load agent: a child process that holds many clients of one server under test and
 * measures, at each client's message callback (for sealpush: after decryption, in the real
 * SDK), the end-to-end latency from the publisher's send time carried in the message.
 * Started by the bench with an IPC channel; it exits when the bench goes away.
 */
import { WebSocket } from 'ws';
import { io, type Socket } from 'socket.io-client';
import { connect, type SavedSession, type SealPushClient } from '../../src/client/node.js';
import { nowUs } from '../lib/clock.js';
import type {
  AgentRequest,
  AgentResponse,
  BenchPayload,
  CollectReply,
  ConnectReply,
  HandshakeReply,
  ProgressReply,
  SessionMode,
  Target,
} from './protocol.js';

interface Held {
  close(): void;
}

const held: Held[] = [];
let closing = false;

// Counters of the current phase.
let phase = -1;
let seen = new Uint8Array(0);
let received = 0;
let duplicates = 0;
let stray = 0;
let disconnects = 0;
let lastReceivedUs = 0;
let latencies: number[] = [];

function record(data: unknown): void {
  const now = nowUs();
  const payload = data as BenchPayload;
  if (payload.r !== phase || !(payload.n >= 0 && payload.n < seen.length)) {
    stray++;
    return;
  }
  if (seen[payload.n] === 1) {
    duplicates++;
    return;
  }
  seen[payload.n] = 1;
  received++;
  lastReceivedUs = now;
  latencies.push(now - payload.t);
}

function lost(): void {
  if (!closing) disconnects++;
}

async function openSealpush(target: Target, keep: boolean, session?: SavedSession): Promise<{ id: string; client: SealPushClient }> {
  const client = await connect({
    url: target.url,
    appId: target.appId!,
    serverKey: target.serverKey!,
    reconnect: false,
    handshakeTimeoutMs: 60_000,
    session,
    // BENCH_ACK_DELAY_MS: the SDK's ACK coalescing window to measure (its default when unset).
    ...(process.env.BENCH_ACK_DELAY_MS === undefined ? {} : { ackDelayMs: Number(process.env.BENCH_ACK_DELAY_MS) }),
  });
  if (keep) {
    client.on('message', (m) => record(m.data));
    client.on('disconnected', lost);
  }
  return { id: client.clientId, client };
}

function wsUrl(target: Target, id: string): string {
  return `${target.url.replace(/^http/, 'ws')}/v1/ws?id=${encodeURIComponent(id)}`;
}

function openBareWs(target: Target, id: string, keep: boolean): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl(target, id), { perMessageDeflate: false });
    ws.once('open', () => {
      ws.off('error', reject);
      if (keep) {
        ws.on('message', (bytes: Buffer) => record((JSON.parse(bytes.toString('utf8')) as { data: unknown }).data));
        ws.on('close', lost);
        ws.on('error', () => undefined);
      }
      resolve(ws);
    });
    ws.once('error', reject);
  });
}

function openSocketIo(target: Target, id: string, keep: boolean): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = io(target.url, {
      path: '/v1/ws',
      transports: ['websocket'],
      query: { id },
      reconnection: false,
      forceNew: true,
      timeout: 60_000,
    });
    socket.once('connect', () => {
      socket.off('connect_error', reject);
      if (keep) {
        socket.on('message', (message: { data: unknown }) => record(message.data));
        socket.on('disconnect', lost);
      }
      resolve(socket);
    });
    socket.once('connect_error', reject);
  });
}

/** Runs `task(i)` for i in 0..count-1, `concurrency` at a time. */
async function pool(count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

async function connectMany(target: Target, count: number, concurrency: number, idPrefix: string): Promise<ConnectReply> {
  const clientIds: string[] = new Array(count).fill('');
  let failed = 0;
  let firstError: string | undefined;
  await pool(count, concurrency, async (i) => {
    try {
      if (target.kind === 'sealpush') {
        const { id, client } = await openSealpush(target, true);
        clientIds[i] = id;
        held.push({ close: () => void client.close() });
      } else if (target.kind === 'bare-ws') {
        const id = `${idPrefix}${i}`;
        const ws = await openBareWs(target, id, true);
        clientIds[i] = id;
        held.push({ close: () => ws.close() });
      } else {
        const id = `${idPrefix}${i}`;
        const socket = await openSocketIo(target, id, true);
        clientIds[i] = id;
        held.push({ close: () => socket.disconnect() });
      }
    } catch (err) {
      failed++;
      firstError ??= err instanceof Error ? err.message : String(err);
    }
  });
  return { clientIds: clientIds.filter((id) => id !== ''), failed, ...(firstError ? { firstError } : {}) };
}

/** Saved sessions holding a resumption ticket, by session id ('prepare' fills it, 'resume' renews it). */
const ticketed = new Map<string, SavedSession>();

/** The client's saved session once a ticket other than `spent` arrived (the TICKET frame follows the opening). */
function withNewTicket(client: SealPushClient, spent: string | undefined): Promise<SavedSession> {
  const fresh = (s: SavedSession) => s.ticket !== undefined && s.ticket.value !== spent;
  if (fresh(client.session())) return Promise.resolve(client.session());
  return new Promise((resolve) => client.on('session', (s) => fresh(s) && resolve(s)));
}

/** One session, established then closed; resolves once closed. */
async function oneSession(target: Target, id: string, mode: SessionMode): Promise<void> {
  if (target.kind === 'sealpush') {
    const saved = mode === 'resume' ? ticketed.get(id) : undefined;
    if (mode === 'resume' && saved?.ticket === undefined) throw new Error(`no ticket prepared for ${id}`);
    const { client } = await openSealpush(target, false, saved);
    // A resumption is done when its session brought the next ticket: the server's cost includes issuing it.
    if (mode !== 'new') ticketed.set(id, await withNewTicket(client, saved?.ticket?.value));
    handshakesDone++;
    await client.close();
  } else if (target.kind === 'bare-ws') {
    const ws = await openBareWs(target, id, false);
    handshakesDone++;
    await new Promise<void>((resolve) => {
      ws.once('close', () => resolve());
      ws.close();
    });
  } else {
    const socket = await openSocketIo(target, id, false);
    handshakesDone++;
    socket.disconnect();
  }
}

let handshakesDone = 0;

async function handshakes(target: Target, total: number, inFlight: number, idPrefix: string, mode: SessionMode): Promise<HandshakeReply> {
  handshakesDone = 0;
  let failed = 0;
  let firstError: string | undefined;
  const startUs = nowUs();
  let endUs = startUs;
  await pool(total, inFlight, async (i) => {
    try {
      await oneSession(target, `${idPrefix}${i}`, mode);
      endUs = nowUs();
    } catch (err) {
      failed++;
      firstError ??= err instanceof Error ? err.message : String(err);
    }
  });
  return { done: handshakesDone, failed, startUs, endUs, ...(firstError ? { firstError } : {}) };
}

async function handle(request: AgentRequest): Promise<unknown> {
  switch (request.op) {
    case 'connect':
      closing = false;
      return connectMany(request.target, request.count, request.concurrency, request.idPrefix);
    case 'expect':
      phase = request.phase;
      seen = new Uint8Array(request.maxN);
      received = duplicates = stray = 0;
      lastReceivedUs = 0;
      latencies = [];
      return null;
    case 'progress':
      return { phase, received, disconnects } satisfies ProgressReply;
    case 'collect': {
      if (request.phase !== phase) throw new Error(`collect of phase ${request.phase}, but phase ${phase} is current`);
      const reply: CollectReply = { received, duplicates, stray, disconnects, lastReceivedUs, latenciesUs: Float64Array.from(latencies) };
      latencies = [];
      return reply;
    }
    case 'handshakes':
      return handshakes(request.target, request.total, request.inFlight, request.idPrefix, request.mode ?? 'new');
    case 'disconnect': {
      closing = true;
      const count = held.length;
      for (const h of held.splice(0)) h.close();
      return count;
    }
  }
}

process.on('message', (message: AgentRequest) => {
  handle(message).then(
    (value) => process.send!({ rid: message.rid, ok: true, value } satisfies AgentResponse),
    (err: unknown) => process.send!({ rid: message.rid, ok: false, error: err instanceof Error ? err.stack ?? err.message : String(err) } satisfies AgentResponse),
  );
});

// Never outlive the bench: stop when it goes away, and after 30 minutes at the latest.
process.on('disconnect', () => process.exit(0));
setTimeout(() => process.exit(0), Number(process.env.BENCH_AGENT_MAX_MS ?? 30 * 60_000)).unref();
process.send!({ rid: 0, ok: true, value: 'ready' } satisfies AgentResponse);
