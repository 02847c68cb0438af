/**
 * The MySQL schema (MySQL 8, MariaDB 10.11+, TiDB, Vitess), as its own ordered list of
 * migrations, applied by `sealpush migrate` (never by `serve`, see migrateMysql).
 *
 * Portable choices, made once here:
 * - Text ids are VARBINARY with explicit lengths: byte-exact and case-sensitive like SQLite's
 *   TEXT, with no collation and no PAD SPACE ('a' = 'a ' is true under utf8mb4_bin). The
 *   driver decodes them as UTF-8 (mysql.ts, typeCast).
 * - Bytes are VARBINARY where an index needs them (static_key), BLOB elsewhere; times and
 *   seqs are BIGINT (ms since the epoch), statuses TINYINT (STATUS_CODE of shared/rows.ts).
 * - No stored procedures, triggers, JSON functions, window functions or partial indexes.
 *   Where SQLite has a partial index, the status is the index's leading column instead:
 *   the expiry sweep reads the ranges status IN (0, 1) and the purge status IN (2, 3), so
 *   neither walks the other's rows (a status change moves the row's entry between ranges).
 * - Every table has a primary key (InnoDB clusters rows by it; Vitess and TiDB want one).
 * - One `audit_head` and one `forgotten_head` row are locked (SELECT ... FOR UPDATE) by the
 *   transactions that append to the audit chain and to the tombstones: seqs are assigned
 *   and become visible in order across nodes, so a poller that reads "seq > n" misses none.
 *
 * A migration is never edited once it has shipped. MySQL auto-commits DDL, so a migration
 * is a list of statements, each safe to repeat (IF NOT EXISTS, INSERT IGNORE, or an index
 * whose ER_DUP_KEYNAME on a rerun migrateMysql skips): one that was interrupted halfway is
 * finished by the next `sealpush migrate`.
 */
export interface MysqlMigration {
  readonly version: number;
  readonly name: string;
  readonly statements: readonly string[];
}

const TABLE = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4';

export const MYSQL_MIGRATIONS: readonly MysqlMigration[] = [
  {
    version: 1,
    name: 'the whole store: apps, clients, messages, keys, receipts, tombstones, audit chain',
    statements: [
      `CREATE TABLE IF NOT EXISTS apps (
        id             VARBINARY(64)  NOT NULL PRIMARY KEY,
        name           VARCHAR(255)   NOT NULL,
        wrapped_secret BLOB           NOT NULL,
        created_at     BIGINT         NOT NULL,
        delivery       TEXT           NULL,
        signing_key    VARBINARY(32)  NULL,
        -- 1: the app's clients sign their ACKs (docs/receipts.md); 0: plain ACKs.
        receipts       TINYINT        NOT NULL DEFAULT 0
      ) ${TABLE}`,
      // no: the client's 8-byte key inside the database, as in SQLite (messages refer to it).
      `CREATE TABLE IF NOT EXISTS clients (
        no           BIGINT         NOT NULL AUTO_INCREMENT PRIMARY KEY,
        id           VARBINARY(64)  NOT NULL,
        app_id       VARBINARY(64)  NOT NULL,
        static_key   VARBINARY(32)  NOT NULL,
        key_salt     VARBINARY(32)  NOT NULL,
        last_seq     BIGINT         NOT NULL DEFAULT 0,
        acked_seq    BIGINT         NOT NULL DEFAULT 0,
        created_at   BIGINT         NOT NULL,
        last_seen_at BIGINT         NULL,
        ack_key      VARBINARY(32)  NULL,
        hpke_key     VARBINARY(32)  NULL,
        UNIQUE KEY clients_id (id),
        UNIQUE KEY clients_app_key (app_id, static_key),
        CONSTRAINT clients_app FOREIGN KEY (app_id) REFERENCES apps (id)
      ) ${TABLE}`,
      // Clustered by (client_no, seq): a client's pending range is one contiguous primary-key
      // scan, payloads included. messages_pending and messages_finished replace SQLite's
      // partial indexes (see the header).
      `CREATE TABLE IF NOT EXISTS messages (
        client_no    BIGINT         NOT NULL,
        seq          BIGINT         NOT NULL,
        app_id       VARBINARY(64)  NOT NULL,
        id           VARBINARY(128) NOT NULL,
        status       TINYINT        NOT NULL,
        payload      MEDIUMBLOB     NULL,
        created_at   BIGINT         NOT NULL,
        expires_at   BIGINT         NOT NULL,
        delivered_at BIGINT         NULL,
        acked_at     BIGINT         NULL,
        receipt_no   BIGINT         NULL,
        PRIMARY KEY (client_no, seq),
        UNIQUE KEY messages_app_id (app_id, id),
        KEY messages_pending (status, expires_at),
        KEY messages_finished (status, created_at)
      ) ${TABLE}`,
      `CREATE TABLE IF NOT EXISTS server_keys (
        purpose        VARBINARY(64) NOT NULL,
        version        BIGINT        NOT NULL,
        public_key     BLOB          NOT NULL,
        wrapped_secret BLOB          NOT NULL,
        created_at     BIGINT        NOT NULL,
        not_after      BIGINT        NULL,
        PRIMARY KEY (purpose, version)
      ) ${TABLE}`,
      // Found by issuer and key id together; key_material: a public JWK or a KMS-wrapped secret.
      `CREATE TABLE IF NOT EXISTS app_jwt_keys (
        issuer       VARBINARY(1020) NOT NULL,
        kid          VARBINARY(128)  NOT NULL,
        app_id       VARBINARY(64)   NOT NULL,
        alg          VARBINARY(16)   NOT NULL,
        key_material BLOB            NOT NULL,
        created_at   BIGINT          NOT NULL,
        PRIMARY KEY (issuer, kid),
        CONSTRAINT app_jwt_keys_app FOREIGN KEY (app_id) REFERENCES apps (id)
      ) ${TABLE}`,
      // One row per signed ACK, kept after its messages are purged; no foreign key, so that
      // forgetting a client is never blocked by its receipts.
      `CREATE TABLE IF NOT EXISTS ack_receipts (
        no         BIGINT  NOT NULL AUTO_INCREMENT PRIMARY KEY,
        client_no  BIGINT  NOT NULL,
        from_seq   BIGINT  NOT NULL,
        upto_seq   BIGINT  NOT NULL,
        covered    MEDIUMBLOB NOT NULL,
        signature  VARBINARY(64) NOT NULL,
        acked_at   BIGINT  NOT NULL
      ) ${TABLE}`,
      `CREATE TABLE IF NOT EXISTS forgotten_clients (
        seq          BIGINT        NOT NULL PRIMARY KEY,
        client_id    VARBINARY(64) NOT NULL,
        app_id       VARBINARY(64) NOT NULL,
        forgotten_at BIGINT        NOT NULL,
        UNIQUE KEY forgotten_clients_id (client_id)
      ) ${TABLE}`,
      `CREATE TABLE IF NOT EXISTS forgotten_head (
        id  TINYINT NOT NULL PRIMARY KEY,
        seq BIGINT  NOT NULL
      ) ${TABLE}`,
      'INSERT IGNORE INTO forgotten_head (id, seq) VALUES (1, 0)',
      `CREATE TABLE IF NOT EXISTS audit_log (
        seq       BIGINT        NOT NULL PRIMARY KEY,
        at        BIGINT        NOT NULL,
        kind      VARBINARY(32) NOT NULL,
        fields    MEDIUMTEXT    NOT NULL,
        prev_hash VARBINARY(32) NOT NULL,
        hash      VARBINARY(32) NOT NULL
      ) ${TABLE}`,
      `CREATE TABLE IF NOT EXISTS audit_head (
        id   TINYINT       NOT NULL PRIMARY KEY,
        seq  BIGINT        NOT NULL,
        hash VARBINARY(32) NOT NULL
      ) ${TABLE}`,
      "INSERT IGNORE INTO audit_head (id, seq, hash) VALUES (1, 0, X'0000000000000000000000000000000000000000000000000000000000000000')",
      `CREATE TABLE IF NOT EXISTS audit_checkpoints (
        seq         BIGINT        NOT NULL PRIMARY KEY,
        head_hash   VARBINARY(32) NOT NULL,
        at          BIGINT        NOT NULL,
        key_version BIGINT        NOT NULL,
        signature   VARBINARY(64) NOT NULL
      ) ${TABLE}`,
      `CREATE TABLE IF NOT EXISTS audit_acks (
        client_id  VARBINARY(64) NOT NULL,
        upto_seq   BIGINT        NOT NULL,
        record_seq BIGINT        NOT NULL,
        PRIMARY KEY (client_id, upto_seq, record_seq)
      ) ${TABLE}`,
      // Operator credentials for /v1/admin: SHA-256 of the token's secret part, never the token.
      `CREATE TABLE IF NOT EXISTS admin_tokens (
        id         VARBINARY(64)  NOT NULL PRIMARY KEY,
        name       VARBINARY(400) NOT NULL,
        token_hash VARBINARY(32)  NOT NULL,
        created_at BIGINT         NOT NULL
      ) ${TABLE}`,
    ],
  },
  {
    version: 2,
    name: 'receipts by client',
    // Forgetting a client deletes its receipts (docs/forget.md) without reading or locking
    // all of them. MySQL 8 has no CREATE INDEX IF NOT EXISTS: a rerun after an interrupted
    // migration meets ER_DUP_KEYNAME, which migrateMysql takes as done.
    statements: ['CREATE INDEX ack_receipts_client ON ack_receipts (client_no)'],
  },
  {
    version: 3,
    name: 'publish fingerprints',
    // HMAC of a publish's parameters under the client's fingerprint key (docs/api.md,
    // "Idempotency"): the same id with other parameters is refused. NULL in older rows. A rerun
    // after an interrupted migration meets ER_DUP_FIELDNAME, which migrateMysql takes as done.
    statements: ['ALTER TABLE messages ADD COLUMN fingerprint VARBINARY(32) NULL'],
  },
  {
    version: 4,
    name: 'previous app secret during a rotation',
    // apps rotate-secret (docs/api.md): the secret it replaced, wrapped like wrapped_secret, and
    // until when (ms since the epoch) it still verifies. NULL: none. A rerun after an
    // interrupted migration meets ER_DUP_FIELDNAME, which migrateMysql takes as done.
    statements: [
      'ALTER TABLE apps ADD COLUMN previous_wrapped_secret BLOB NULL',
      'ALTER TABLE apps ADD COLUMN previous_secret_not_after BIGINT NULL',
    ],
  },
  {
    version: 5,
    name: 'webhook endpoints and their outbox',
    // As SQLite's migration 15 (sqlite/schema.ts). events: a bit mask (domain/webhooks.ts);
    // wrapped_secret: wrapped by the master key; lease_owner, lease_until: the node that sends
    // an endpoint's events, until when. webhook_events: the outbox, written in the transaction
    // of the status change it reports; state 0 pending, 1 failed.
    statements: [
      `CREATE TABLE IF NOT EXISTS webhook_endpoints (
        no                        BIGINT          NOT NULL AUTO_INCREMENT PRIMARY KEY,
        id                        VARBINARY(64)   NOT NULL,
        app_id                    VARBINARY(64)   NOT NULL,
        url                       VARBINARY(2048) NOT NULL,
        events                    TINYINT         NOT NULL,
        batch                     TINYINT         NOT NULL DEFAULT 0,
        wrapped_secret            BLOB            NOT NULL,
        previous_wrapped_secret   BLOB            NULL,
        previous_secret_not_after BIGINT          NULL,
        created_at                BIGINT          NOT NULL,
        paused_at                 BIGINT          NULL,
        failing_since             BIGINT          NULL,
        lease_owner               VARBINARY(64)   NULL,
        lease_until               BIGINT          NOT NULL DEFAULT 0,
        UNIQUE KEY webhook_endpoints_id (id),
        KEY webhook_endpoints_app (app_id, events),
        CONSTRAINT webhook_endpoints_app FOREIGN KEY (app_id) REFERENCES apps (id)
      ) ${TABLE}`,
      `CREATE TABLE IF NOT EXISTS webhook_events (
        no           BIGINT         NOT NULL AUTO_INCREMENT PRIMARY KEY,
        id           VARBINARY(64)  NOT NULL,
        endpoint_id  VARBINARY(64)  NOT NULL,
        app_id       VARBINARY(64)  NOT NULL,
        type         TINYINT        NOT NULL,
        at           BIGINT         NOT NULL,
        message_id   VARBINARY(128) NOT NULL,
        client_id    VARBINARY(64)  NOT NULL,
        created_at   BIGINT         NOT NULL,
        expires_at   BIGINT         NOT NULL,
        delivered_at BIGINT         NULL,
        acked_at     BIGINT         NULL,
        state        TINYINT        NOT NULL DEFAULT 0,
        attempts     INT            NOT NULL DEFAULT 0,
        next_at      BIGINT         NOT NULL,
        last_error   VARBINARY(200) NULL,
        retry_from   BIGINT         NULL,
        KEY webhook_events_order (endpoint_id, state, no),
        KEY webhook_events_due (endpoint_id, state, next_at),
        KEY webhook_events_client (client_id)
      ) ${TABLE}`,
    ],
  },
];

export const MYSQL_SCHEMA_VERSION = MYSQL_MIGRATIONS[MYSQL_MIGRATIONS.length - 1]?.version ?? 0;
