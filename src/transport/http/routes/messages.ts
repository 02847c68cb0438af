/**
 * Publishing, message status and receipts: `POST /v1/messages`, `POST /v1/messages/batch`,
 * `GET /v1/messages/:id`, `GET /v1/messages/:id/receipt`. Registered inside the authenticated `/v1` scope (app.ts).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { SealPushError } from '../../../domain/errors.js';
import type { MessageReceipt, PushApi, Readiness } from '../../../domain/ports/push-api.js';
import type { ReceiptView } from '../../../domain/views.js';
import { ackSignedBytes, encodeCoveredList } from '../../../crypto/ack-receipt.js';
import { base64urlEncode } from '../../../crypto/encoding.js';
import { sha256 } from '../../../crypto/node/sha256.js';
import type { RequestAuthenticator } from '../auth.js';
import { routeSchemas } from '../schemas.js';
import { httpStatusFor, sendError } from '../errors.js';

export interface MessageRouteDeps {
  readonly api: PushApi;
  readonly readiness: Readiness;
  readonly auth: RequestAuthenticator;
}

interface BatchBody {
  messages: unknown[];
}

interface IdParams {
  id: string;
}

export function registerMessageRoutes(app: FastifyInstance, deps: MessageRouteDeps): void {
  const { api, readiness, auth } = deps;

  /**
   * While the node drains (or has not started), publishing is refused with 503 and
   * `Retry-After: 1` before the body is read or a nonce is claimed, so the publisher can
   * resend the same request to another node at once.
   */
  const refuseWhileDraining = async (_request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    if (await readiness.ready()) return undefined;
    return sendError(reply, new SealPushError('ERR_UNAVAILABLE'));
  };

  app.post('/messages', { schema: routeSchemas.publish, onRequest: refuseWhileDraining }, async (request, reply) => {
    const [result] = await api.publish(auth.appIdOf(request), [request.body]);
    if (result === undefined) throw new Error('PushApi.publish returned no result for one item');
    if ('error' in result) return reply.code(httpStatusFor(result.error.code)).send(result);
    return reply.code(202).send(result);
  });

  app.post<{ Body: BatchBody }>(
    '/messages/batch',
    { schema: routeSchemas.publishBatch, onRequest: refuseWhileDraining },
    async (request, reply) => {
      const items = request.body.messages;
      const results = await api.publish(auth.appIdOf(request), items);
      if (results.length !== items.length) throw new Error('PushApi.publish returned a result count unlike the item count');
      return reply.code(202).send({ results });
    },
  );

  app.get<{ Params: IdParams }>('/messages/:id', { schema: routeSchemas.messageStatus }, async (request, reply) => {
    return reply.code(200).send(await api.messageStatus(auth.appIdOf(request), request.params.id));
  });

  app.get<{ Params: IdParams }>('/messages/:id/receipt', { schema: routeSchemas.messageReceipt }, async (request, reply) => {
    return reply.code(200).send(receiptView(await api.messageReceipt(auth.appIdOf(request), request.params.id)));
  });
}

/** A receipt as GET /v1/messages/:id/receipt answers it, and as an acked webhook carries it. */
export function receiptView({ message, receipt, ackKey }: MessageReceipt): ReceiptView {
  const { fromSeq, uptoSeq, messages, signature } = receipt;
  const signed = ackSignedBytes(
    { appId: message.appId, clientId: receipt.clientId, fromSeq, uptoSeq },
    sha256(encodeCoveredList(messages)),
  );
  return {
    messageId: message.id,
    clientId: receipt.clientId,
    appId: message.appId,
    seq: message.seq,
    ackedAt: new Date(receipt.ackedAt).toISOString(),
    ackKey: base64urlEncode(ackKey),
    receipt: {
      fromSeq,
      uptoSeq,
      messages: messages.map(({ seq, id }) => ({ seq, id })),
      signature: base64urlEncode(signature),
      signedBytes: base64urlEncode(signed),
    },
  };
}
