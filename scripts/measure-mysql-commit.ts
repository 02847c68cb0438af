// Commit latency of group commits on a MySQL store (docs/deploy.md, sizing): on a scratch
// database it creates and drops. Not a benchmark: a quick measurement of one machine.
//   SEALPUSH_TEST_MYSQL=mysql://root@127.0.0.1:3306/test node --import tsx scripts/measure-mysql-commit.ts [messages] [rounds]
import { randomBytes } from 'node:crypto';
import { createConnection } from 'mysql2/promise';
import { DIRECT_DELIVERY } from '../src/domain/delivery-settings.js';
import { openMysqlStore } from '../src/drivers/store/mysql/store.js';
import { migrateMysql } from '../src/drivers/store/mysql/migrate.js';

const base = process.env.SEALPUSH_TEST_MYSQL ?? 'mysql://root@127.0.0.1:3306/test';
const perBatch = Number(process.argv[2] ?? 300);
const rounds = Number(process.argv[3] ?? 50);
const name = `sealpush_m_${randomBytes(4).toString('hex')}`;
const admin = await createConnection({ uri: base });
await admin.query(`CREATE DATABASE ${name}`);
const url = new URL(base);
url.pathname = `/${name}`;
try {
  await migrateMysql(url.href, Date.now());
  const store = await openMysqlStore({ url: url.href });
  const now = Date.now();
  await store.createApp({ id: 'A', name: 'A', wrappedSecret: new Uint8Array(48), createdAt: now, delivery: DIRECT_DELIVERY });
  const clients = Array.from({ length: 100 }, (_, i) => ({ id: `c${i}`, appId: 'A', staticKey: randomBytes(32), keySalt: randomBytes(32), createdAt: now }));
  await store.commit({ clients, messages: [], delivered: [], acked: [], seen: [], at: now });
  const times: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const messages = Array.from({ length: perBatch }, (_, i) => ({
      appId: 'A', id: `m${r}-${i}`, clientId: `c${i % clients.length}`, payload: randomBytes(200), createdAt: now, expiresAt: now + 3_600_000,
    }));
    const t = performance.now();
    await store.commit({ clients: [], messages, delivered: [], acked: [], seen: [], at: Date.now() });
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  const pct = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))]!.toFixed(1);
  console.log(`${rounds} commits of ${perBatch} messages (200-byte payloads, 100 clients): p50 ${pct(0.5)} ms, p90 ${pct(0.9)} ms, max ${pct(1)} ms`);
  await store.close();
} finally {
  await admin.query(`DROP DATABASE IF EXISTS ${name}`);
  await admin.end();
}
