import { SealPushError } from '../errors.js';
import type { AppRegistry } from '../ports/app-registry.js';
import { LIST_CLIENTS_MAX, type ClientRegistry } from '../ports/client-registry.js';
import type { MessageLog } from '../ports/message-log.js';
import type { Clock } from '../ports/runtime.js';
import type { Client } from '../types.js';
import { isoOrNull, messageView, type MessageView } from '../views.js';

/**
 * A client as the operator sees it (`sealpush clients list|show`): what the store knows.
 * Whether it is online lives in the bus of the running nodes, not here; its keys are never shown.
 */
export interface ClientSummary {
  readonly id: string;
  readonly appId: string;
  readonly createdAt: string;
  readonly lastSeen: string | null;
  /** Queued or delivered, not expired now. */
  readonly pending: number;
  /** The last seq assigned to a message of it, and the highest it acknowledged. */
  readonly lastSeq: number;
  readonly ackedSeq: number;
}

/** A message's status as GET /v1/messages/:id shows it, with its app: never its payload. */
export type MessageSummary = MessageView & { readonly appId: string };

/** What the views read: apps, clients and messages, and nothing they could write. */
type LookupStore = Pick<AppRegistry, 'listApps' | 'getApp'> & Pick<ClientRegistry, 'listClients' | 'getClient'> & Pick<MessageLog, 'getMessage' | 'countPending'>;

/**
 * The operator's read-only views of clients and messages, across every app (ids of clients are
 * unique in the store; message ids per app only, so a message may need its app named).
 */
export class OperatorLookup {
  constructor(private readonly deps: { readonly store: LookupStore; readonly clock: Clock }) {}

  /** Newest first; `limit` 1 to LIST_CLIENTS_MAX (ERR_BAD_REQUEST otherwise); ERR_NOT_FOUND for an unknown app. */
  async listClients(appId: string | undefined, limit: number): Promise<ClientSummary[]> {
    if (!Number.isInteger(limit) || limit < 1 || limit > LIST_CLIENTS_MAX) {
      throw new SealPushError('ERR_BAD_REQUEST', `the limit must be 1 to ${LIST_CLIENTS_MAX}`);
    }
    if (appId !== undefined) await this.requireApp(appId);
    const clients = await this.deps.store.listClients(appId, limit);
    return Promise.all(clients.map((client) => this.summary(client)));
  }

  /** ERR_NOT_FOUND for an id no app has (a forgotten client's included). */
  async client(clientId: string): Promise<ClientSummary> {
    for (const app of await this.deps.store.listApps()) {
      const client = await this.deps.store.getClient(app.id, clientId);
      if (client) return this.summary(client);
    }
    throw new SealPushError('ERR_NOT_FOUND', `No client "${clientId}" (sealpush clients list shows them)`);
  }

  /**
   * The message of that id in `appId`, or in whichever app has one; ERR_BAD_REQUEST naming the
   * apps when several do, ERR_NOT_FOUND when none does (or it was purged).
   */
  async message(messageId: string, appId?: string): Promise<MessageSummary> {
    const { store, clock } = this.deps;
    if (appId !== undefined) await this.requireApp(appId);
    const appIds = appId !== undefined ? [appId] : (await store.listApps()).map((app) => app.id);
    const found = (await Promise.all(appIds.map((id) => store.getMessage(id, messageId)))).filter((record) => record !== undefined);
    if (found.length > 1) {
      throw new SealPushError('ERR_BAD_REQUEST', `Apps ${found.map((record) => record.appId).join(', ')} each have a message "${messageId}": name one with --app`);
    }
    const [record] = found;
    if (!record) throw new SealPushError('ERR_NOT_FOUND', `No message "${messageId}"${appId === undefined ? '' : ` in app ${appId}`}`);
    return { appId: record.appId, ...messageView(record, clock.now()) };
  }

  private async requireApp(appId: string): Promise<void> {
    if (!(await this.deps.store.getApp(appId))) throw new SealPushError('ERR_NOT_FOUND', `No app "${appId}"`);
  }

  private async summary(client: Client): Promise<ClientSummary> {
    const pending = await this.deps.store.countPending(client.id, this.deps.clock.now());
    return {
      id: client.id,
      appId: client.appId,
      createdAt: new Date(client.createdAt).toISOString(),
      lastSeen: isoOrNull(client.lastSeenAt),
      pending,
      lastSeq: client.lastSeq,
      ackedSeq: client.ackedSeq,
    };
  }
}
