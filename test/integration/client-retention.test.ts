// Client retention on a real server (issue 13, item 5): a client that has not connected for
// longer than clientRetentionDays and holds no message is forgotten by the node's sweeper
// (its id then reads 404, one `clients.prune` audit record counts it); one seen recently is
// kept, and so is an old one that still holds a pending message (its message stays readable).
//
// The clock is moved the only way a running server allows: the old clients' last-seen time
// is written back into the stopped server's database before a node starts on it again.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { connect } from '../../src/client/node.js';
import { SealPushApp } from '../../src/app/index.js';
import { eventually, startTestServer, tempDir, type TestServer } from '../helpers/server.js';

const DAY = 86_400_000;

describe('client retention', () => {
  const dataDir = tempDir();
  let server: TestServer;
  let app: SealPushApp;
  const ids = { old: '', busy: '', recent: '' };

  before(async () => {
    const first = await startTestServer({ dataDir });
    const publisher = new SealPushApp({ url: first.url, appId: first.app.appId, secret: first.app.secret });
    for (const name of ['old', 'busy'] as const) {
      const client = await connect({ url: first.url, appId: first.app.appId, serverKey: first.identity.publicKey });
      ids[name] = client.clientId;
      await client.close();
    }
    await publisher.publish({ to: ids.busy, data: 'still pending', id: 'kept', ttl: 30 * 86_400 });
    await first.close();
    // Both last connected three days ago.
    const db = new Database(join(dataDir, 'sealpush.db'));
    db.prepare('UPDATE clients SET last_seen_at = ?, created_at = ? WHERE id IN (?, ?)').run(Date.now() - 3 * DAY, Date.now() - 3 * DAY, ids.old, ids.busy);
    db.close();

    server = await startTestServer({ dataDir, clientRetentionDays: 2, sweepIntervalMs: 100 });
    app = new SealPushApp({ url: server.url, appId: first.app.appId, secret: first.app.secret });
    const recent = await connect({ url: server.url, appId: first.app.appId, serverKey: server.identity.publicKey });
    ids.recent = recent.clientId;
    await recent.close();
  });
  after(async () => {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('the sweeper forgets a client not seen within clientRetentionDays; a recent one and one holding a message stay', async () => {
    await eventually(async () => app.client(ids.old).then(() => undefined, (err: { code: string }) => err.code), 'the old client forgotten').then((code) =>
      assert.equal(code, 'ERR_NOT_FOUND'),
    );
    assert.equal((await app.client(ids.recent)).id, ids.recent);
    assert.equal((await app.client(ids.busy)).id, ids.busy, 'a client with a pending message is kept');
    assert.equal((await app.status('kept')).status, 'queued');

    const db = new Database(join(dataDir, 'sealpush.db'), { readonly: true });
    try {
      const records = (db.prepare("SELECT fields FROM audit_log WHERE kind = 'admin'").all() as { fields: string }[]).map((r) => JSON.parse(r.fields) as { action: string; clients?: number });
      assert.deepEqual(records.filter((r) => r.action === 'clients.prune').map((r) => r.clients), [1], 'one audit record counts the pruned client');
    } finally {
      db.close();
    }
  });
});
