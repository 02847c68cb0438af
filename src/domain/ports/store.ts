import type { AppRegistry } from './app-registry.js';
import type { AuditLog } from './audit-log.js';
import type { ClientRegistry } from './client-registry.js';
import type { KeyVault } from './key-vault.js';
import type { MessageLog } from './message-log.js';
import type { WebhookEndpoints, WebhookOutbox } from './webhooks.js';

/** The store as a whole: whether it answers, and its end. */
export interface StoreHandle {
  /** Resolves when the store answers; rejects when it cannot be reached. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The source of truth, as one database driver provides it (drivers/store/sqlite/,
 * drivers/store/mysql/): every role port on one engine, so that MessageLog.commit can write
 * clients, messages, marks, webhook events and audit records in ONE transaction. Only the
 * composition root holds a Store; each use case takes the role ports it uses.
 */
export type Store = MessageLog & AppRegistry & ClientRegistry & KeyVault & AuditLog & WebhookEndpoints & WebhookOutbox & StoreHandle;
