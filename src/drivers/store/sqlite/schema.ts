import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';

/**
 * The SQLite schema, as an ordered list of migrations. A migration is never edited once it
 * has shipped: a change to the schema is a new entry with the next version.
 */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'apps, clients, messages, server keys',
    sql: `
      CREATE TABLE apps (
        id             TEXT    NOT NULL PRIMARY KEY,
        name           TEXT    NOT NULL,
        wrapped_secret BLOB    NOT NULL,
        created_at     INTEGER NOT NULL
      ) STRICT;

      -- no (the rowid) is the client's key inside the database: messages refer to a
      -- client by these 8 bytes rather than by its 20-40 byte id, which keeps the
      -- (client_no, seq) index small enough that a group commit dirties few pages.
      CREATE TABLE clients (
        no           INTEGER PRIMARY KEY,
        id           TEXT    NOT NULL UNIQUE,
        app_id       TEXT    NOT NULL REFERENCES apps(id),
        static_key   BLOB    NOT NULL,
        last_seq     INTEGER NOT NULL DEFAULT 0,
        acked_seq    INTEGER NOT NULL DEFAULT 0,
        created_at   INTEGER NOT NULL,
        last_seen_at INTEGER,
        UNIQUE (app_id, static_key)
      ) STRICT;

      -- A rowid table, so inserts append: payloads are too large for a WITHOUT ROWID
      -- b-tree to pay off. UNIQUE (client_no, seq) serves every per-client read and mark.
      CREATE TABLE messages (
        app_id       TEXT    NOT NULL,
        id           TEXT    NOT NULL,
        client_no    INTEGER NOT NULL REFERENCES clients(no),
        seq          INTEGER NOT NULL,
        status       INTEGER NOT NULL,
        payload      BLOB,
        created_at   INTEGER NOT NULL,
        expires_at   INTEGER NOT NULL,
        delivered_at INTEGER,
        acked_at     INTEGER,
        PRIMARY KEY (app_id, id),
        UNIQUE (client_no, seq)
      ) STRICT;

      -- Only pending rows are indexed, so the expiry sweep never walks acked or expired
      -- history, and a row leaves the index when it is acked.
      CREATE INDEX messages_pending_expiry ON messages (expires_at) WHERE status < 2;

      CREATE TABLE server_keys (
        purpose        TEXT    NOT NULL,
        version        INTEGER NOT NULL,
        public_key     BLOB    NOT NULL,
        wrapped_secret BLOB    NOT NULL,
        created_at     INTEGER NOT NULL,
        PRIMARY KEY (purpose, version)
      ) STRICT;
    `,
  },
  {
    version: 2,
    name: 'index of finished messages, for the retention purge',
    sql: `
      -- Rows enter this index only when they are done (acked or expired), so inserts pay
      -- nothing for it and the purge never walks pending messages.
      CREATE INDEX messages_finished ON messages (created_at) WHERE status >= 2;
    `,
  },
  {
    version: 3,
    name: 'delivery settings per app',
    sql: `
      -- The app's DeliverySettings as JSON; NULL is direct delivery (every app before v3).
      ALTER TABLE apps ADD COLUMN delivery TEXT;
    `,
  },
  {
    version: 4,
    name: 'bearer-token keys of apps',
    sql: `
      -- Found by issuer and key id together. key_material: a public JWK (EdDSA, ES256) or a
      -- KMS-wrapped shared secret (HS256); never a secret in the clear.
      CREATE TABLE app_jwt_keys (
        issuer       TEXT    NOT NULL,
        kid          TEXT    NOT NULL,
        app_id       TEXT    NOT NULL REFERENCES apps(id),
        alg          TEXT    NOT NULL,
        key_material BLOB    NOT NULL,
        created_at   INTEGER NOT NULL,
        PRIMARY KEY (issuer, kid)
      ) STRICT;
    `,
  },
  {
    version: 5,
    name: 'tamper-evident audit log',
    sql: `
      -- One row per audit record (docs/audit.md). hash = SHA-256 of the record's canonical
      -- bytes, which include prev_hash: each record holds the hash of the one before.
      CREATE TABLE audit_log (
        seq       INTEGER NOT NULL PRIMARY KEY,
        at        INTEGER NOT NULL,
        kind      TEXT    NOT NULL,
        fields    TEXT    NOT NULL,
        prev_hash BLOB    NOT NULL,
        hash      BLOB    NOT NULL
      ) STRICT;

      -- The chain head, one row, read and written in every transaction that appends: it is
      -- what serializes appenders (SQLite's single writer here; a row lock, SELECT ... FOR
      -- UPDATE, on a server database).
      CREATE TABLE audit_head (
        id   INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
        seq  INTEGER NOT NULL,
        hash BLOB    NOT NULL
      ) STRICT;
      INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, zeroblob(32));

      -- Signed heads: Ed25519 (server key 'audit-signing', key_version) over (seq, head_hash, at).
      CREATE TABLE audit_checkpoints (
        seq         INTEGER NOT NULL PRIMARY KEY,
        head_hash   BLOB    NOT NULL,
        at          INTEGER NOT NULL,
        key_version INTEGER NOT NULL,
        signature   BLOB    NOT NULL
      ) STRICT;

      -- Which ack record holds a client's ack up to a seq, so that "the ack of message M"
      -- (client, seq) is one index lookup: the first row with upto_seq >= seq.
      CREATE TABLE audit_acks (
        client_id  TEXT    NOT NULL,
        upto_seq   INTEGER NOT NULL,
        record_seq INTEGER NOT NULL,
        PRIMARY KEY (client_id, upto_seq, record_seq)
      ) STRICT;
    `,
  },
  {
    version: 6,
    name: 'end of use of a server key version',
    sql: `
      -- ms since the epoch: when a version replaced with an overlap (keys rotate-identity)
      -- stops being accepted; NULL for the current version.
      ALTER TABLE server_keys ADD COLUMN not_after INTEGER;
    `,
  },
  {
    version: 7,
    name: 'relay-blind HPKE keys of clients, publisher signing keys of apps',
    sql: `
      -- The X25519 public key (32 bytes) a client sent in its latest hello for HPKE sealing;
      -- NULL when it sent none. A public key: nothing secret is stored here.
      ALTER TABLE clients ADD COLUMN hpke_key BLOB;
      -- The Ed25519 public key (32 bytes) that must sign every message of the app; NULL: none.
      ALTER TABLE apps ADD COLUMN signing_key BLOB;
    `,
  },
  {
    version: 8,
    name: 'per-client at-rest key salts, tombstones of forgotten clients',
    sql: `
      -- key_salt: 32 random bytes; the client's at-rest key is HKDF(payload key, key_salt).
      -- Deleting the row destroys the key (clients forget). Clients created before v8 get
      -- one here (randomblob: SQLite's ChaCha20 generator, seeded by the OS); their older
      -- messages stay sealed under the payload key (format 1) and still open.
      ALTER TABLE clients ADD COLUMN key_salt BLOB;
      UPDATE clients SET key_salt = randomblob(32) WHERE key_salt IS NULL;

      -- One row per forgotten client, never deleted: running nodes poll it by seq to drop
      -- the client's connection and its cached key.
      CREATE TABLE forgotten_clients (
        seq          INTEGER PRIMARY KEY,
        client_id    TEXT    NOT NULL UNIQUE,
        app_id       TEXT    NOT NULL,
        forgotten_at INTEGER NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 9,
    name: 'ack keys of clients, signed ack receipts',
    sql: `
      -- The client's Ed25519 ack key (32 bytes), set once by the first hello that carries one.
      ALTER TABLE clients ADD COLUMN ack_key BLOB;

      -- One row per signed ACK, kept after its messages are purged (it is the proof).
      -- covered: the canonical list the client signed (crypto/ack-receipt.ts), exactly as hashed.
      -- No foreign key: forgetting a client must not be blocked by its receipts.
      CREATE TABLE ack_receipts (
        no         INTEGER PRIMARY KEY,
        client_no  INTEGER NOT NULL,
        from_seq   INTEGER NOT NULL,
        upto_seq   INTEGER NOT NULL,
        covered    BLOB    NOT NULL,
        signature  BLOB    NOT NULL,
        acked_at   INTEGER NOT NULL
      ) STRICT;

      -- The receipt that acked the message (ack_receipts.no); NULL when acked without one.
      ALTER TABLE messages ADD COLUMN receipt_no INTEGER;
    `,
  },
  {
    version: 10,
    name: 'receipts per app',
    sql: `
      -- 1: the app's clients sign their ACKs (docs/receipts.md); 0, the default: plain ACKs.
      ALTER TABLE apps ADD COLUMN receipts INTEGER NOT NULL DEFAULT 0;
    `,
  },
  {
    version: 11,
    name: 'admin tokens',
    sql: `
      -- Operator credentials for /v1/admin: SHA-256 of the token's secret part, never the token.
      CREATE TABLE admin_tokens (
        id         TEXT    NOT NULL PRIMARY KEY,
        name       TEXT    NOT NULL,
        token_hash BLOB    NOT NULL,
        created_at INTEGER NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 12,
    name: 'receipts by client',
    sql: `
      -- Forgetting a client deletes its receipts (docs/forget.md) without reading all of them.
      CREATE INDEX ack_receipts_client ON ack_receipts (client_no);
    `,
  },
  {
    version: 13,
    name: 'publish fingerprints',
    sql: `
      -- HMAC of a publish's parameters under the client's fingerprint key (docs/api.md,
      -- "Idempotency"): the same id with other parameters is refused. NULL in older rows.
      ALTER TABLE messages ADD COLUMN fingerprint BLOB;
    `,
  },
  {
    version: 14,
    name: 'previous app secret during a rotation',
    sql: `
      -- apps rotate-secret (docs/api.md): the secret it replaced, wrapped by the master key like
      -- wrapped_secret, and until when (ms since the epoch) it still verifies. NULL: none.
      ALTER TABLE apps ADD COLUMN previous_wrapped_secret BLOB;
      ALTER TABLE apps ADD COLUMN previous_secret_not_after INTEGER;
    `,
  },
  {
    version: 15,
    name: 'webhook endpoints and their outbox',
    sql: `
      -- An app's webhook endpoints (docs/webhooks.md). events: a bit mask (domain/webhooks.ts).
      -- wrapped_secret: the signing secret wrapped by the master key, never in the clear.
      -- lease_owner, lease_until: the node that sends its events, until when (ms).
      CREATE TABLE webhook_endpoints (
        no                        INTEGER PRIMARY KEY,
        id                        TEXT    NOT NULL UNIQUE,
        app_id                    TEXT    NOT NULL REFERENCES apps(id),
        url                       TEXT    NOT NULL,
        events                    INTEGER NOT NULL,
        batch                     INTEGER NOT NULL DEFAULT 0,
        wrapped_secret            BLOB    NOT NULL,
        previous_wrapped_secret   BLOB,
        previous_secret_not_after INTEGER,
        created_at                INTEGER NOT NULL,
        paused_at                 INTEGER,
        failing_since             INTEGER,
        lease_owner               TEXT,
        lease_until               INTEGER NOT NULL DEFAULT 0
      ) STRICT;
      CREATE INDEX webhook_endpoints_app ON webhook_endpoints (app_id, events);

      -- The outbox: one row per event and endpoint, written in the transaction of the status
      -- change it reports, deleted once sent. state 0: pending, 1: failed (ran out of time).
      -- Its fields are a snapshot of the message at the change: never a payload.
      CREATE TABLE webhook_events (
        no           INTEGER PRIMARY KEY,
        id           TEXT    NOT NULL,
        endpoint_id  TEXT    NOT NULL,
        app_id       TEXT    NOT NULL,
        type         INTEGER NOT NULL,
        at           INTEGER NOT NULL,
        message_id   TEXT    NOT NULL,
        client_id    TEXT    NOT NULL,
        created_at   INTEGER NOT NULL,
        expires_at   INTEGER NOT NULL,
        delivered_at INTEGER,
        acked_at     INTEGER,
        state        INTEGER NOT NULL DEFAULT 0,
        attempts     INTEGER NOT NULL DEFAULT 0,
        next_at      INTEGER NOT NULL,
        last_error   TEXT,
        retry_from   INTEGER
      ) STRICT;
      CREATE INDEX webhook_events_order ON webhook_events (endpoint_id, state, no);
      CREATE INDEX webhook_events_due ON webhook_events (endpoint_id, state, next_at);
      CREATE INDEX webhook_events_client ON webhook_events (client_id);
    `,
  },
];

/**
 * Brings the schema up to the latest migration, in one IMMEDIATE transaction, so that two
 * processes opening the same file at once apply each migration exactly once (the second
 * waits on the write lock, then finds nothing left to do). Returns the schema version.
 */
export function migrate(db: Database.Database, now: number): number {
  const apply = db.transaction((): number => {
    db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version    INTEGER NOT NULL PRIMARY KEY,
      name       TEXT    NOT NULL,
      applied_at INTEGER NOT NULL
    ) STRICT`);
    const current = db.prepare('SELECT COALESCE(MAX(version), 0) FROM schema_migrations').pluck().get() as number;
    const latest = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;
    if (current > latest) {
      throw new Error(`sqlite store: the database has schema version ${current}, newer than this build knows (${latest})`);
    }
    const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
    for (const migration of MIGRATIONS) {
      if (migration.version <= current) continue;
      db.exec(migration.sql);
      record.run(migration.version, migration.name, now);
    }
    return latest;
  });
  return apply.immediate();
}

/** The schema version of the file at `path` and the migrations it records (0 and none: no file or schema yet). */
export function sqliteSchemaVersion(path: string): { version: number; names: { version: number; name: string }[] } {
  if (!existsSync(path)) return { version: 0, names: [] };
  const db = new Database(path, { readonly: true });
  try {
    const table = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get();
    if (table === undefined) return { version: 0, names: [] };
    const names = db.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all() as { version: number; name: string }[];
    return { version: names[names.length - 1]?.version ?? 0, names };
  } finally {
    db.close();
  }
}
