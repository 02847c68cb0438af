/**
 * The store baseline: what a competent developer writes to keep messages durably in
 * SQLite by hand. One table, a primary key on the message id and an index on (client,
 * seq) to read a client's messages in order, per-client sequence numbers kept in memory,
 * one prepared INSERT per message and one transaction per batch, with the same pragmas as
 * sealpush's store (WAL, synchronous FULL or NORMAL). No apps, no statuses, no idempotency.
 */
import Database from 'better-sqlite3';

export interface BareMessage {
  readonly id: string;
  readonly clientId: string;
  readonly payload: Uint8Array;
  readonly createdAt: number;
}

export class BareSqlite {
  private readonly db: Database.Database;
  private readonly insertBatch: (messages: readonly BareMessage[]) => void;
  private readonly seqs = new Map<string, number>();

  constructor(path: string, durability: 'full' | 'normal') {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${durability === 'full' ? 'FULL' : 'NORMAL'}`);
    this.db.pragma('cache_size = -65536');
    this.db.pragma('wal_autocheckpoint = 16384');
    this.db.exec(`CREATE TABLE IF NOT EXISTS messages (
      id TEXT PRIMARY KEY, client_id TEXT NOT NULL, seq INTEGER NOT NULL, payload BLOB NOT NULL, created_at INTEGER NOT NULL)`);
    this.db.exec('CREATE INDEX IF NOT EXISTS messages_by_client ON messages (client_id, seq)');
    const insert = this.db.prepare('INSERT INTO messages (id, client_id, seq, payload, created_at) VALUES (?, ?, ?, ?, ?)');
    this.insertBatch = this.db.transaction((messages: readonly BareMessage[]) => {
      for (const m of messages) {
        const seq = (this.seqs.get(m.clientId) ?? 0) + 1;
        this.seqs.set(m.clientId, seq);
        insert.run(m.id, m.clientId, seq, m.payload, m.createdAt);
      }
    });
  }

  commit(messages: readonly BareMessage[]): void {
    this.insertBatch(messages);
  }

  close(): void {
    this.db.close();
  }
}
