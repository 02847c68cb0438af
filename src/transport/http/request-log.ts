/**
 * One log line per request at `info`, written when the answer is sent: method, path (never the
 * query, which may carry a token), status, duration, the catalogue code of a refusal, the
 * client address, and fastify's request id. At `debug`, a line when each request arrives, with
 * its method, path, host and peer. Never a header's value, a body or a payload.
 * fastify's own lines per request give way to these (`requestLogController`, given to fastify
 * in app.ts); its warnings about failed writes and serializers stay.
 */
import { LogController, type FastifyInstance, type FastifyRequest } from 'fastify';
import type { ErrorCode } from '../../domain/errors.js';

/** The refusal code of a request still being answered, for its one line. */
const refusals = new WeakMap<FastifyRequest, ErrorCode>();

/** Called by the error handler: the request's line carries `code`. */
export function noteRefusal(request: FastifyRequest, code: ErrorCode): void {
  refusals.set(request, code);
}

/** The URL without its query string. */
export function pathOf(url: string): string {
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

/** fastify's per-request lines, less the arrival, completion and not-found lines that registerRequestLog replaces. */
class OneLinePerRequest extends LogController {
  override incomingRequest(): void {}
  override routeNotFound(): void {}
  override requestCompleted(...args: Parameters<LogController['requestCompleted']>): void {
    // Its error line (a failure while answering) stays; the plain completion is our line.
    if (args[0]) super.requestCompleted(...args);
  }
}

export function requestLogController(): LogController {
  return new OneLinePerRequest();
}

export function registerRequestLog(app: FastifyInstance): void {
  app.addHook('onRequest', async (request) => {
    request.log.debug(
      { request: { method: request.method, path: pathOf(request.url), host: request.host, remoteAddress: request.ip, remotePort: request.socket.remotePort } },
      'incoming request',
    );
  });

  app.addHook('onResponse', async (request, reply) => {
    const path = pathOf(request.url);
    const code = refusals.get(request);
    request.log.info(
      {
        method: request.method,
        path,
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime * 10) / 10,
        remote: request.ip,
        ...(code === undefined ? {} : { code }),
      },
      `${request.method} ${path} ${reply.statusCode}`,
    );
  });
}
