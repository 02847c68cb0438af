/**
 * The address a request comes from, for the handshake-per-IP limit (gateway) and the audit's
 * remote address (fastify's `request.ip`, configured the same way in http/app.ts).
 *
 * Behind a reverse proxy every socket's peer is the proxy. With `trustProxy` (config, default
 * off) the peer is trusted to be that one proxy, and the client is the last entry of
 * X-Forwarded-For: the one the proxy appended (nginx's $proxy_add_x_forwarded_for). Entries
 * before it came from the client and are ignored. Fastify, given fastifyTrustProxy, reads the same entry.
 */
export function clientAddress(peer: string | undefined, forwardedFor: string | string[] | undefined, trustProxy: boolean): string {
  const direct = peer ?? 'unknown';
  if (!trustProxy || forwardedFor === undefined) return direct;
  const header = Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor;
  const last = header.split(',').pop()?.trim();
  return last === undefined || last === '' ? direct : last;
}

/** The fastify `trustProxy` option that matches clientAddress: the socket's peer (hop 0) is trusted, or nothing. */
export function fastifyTrustProxy(trustProxy: boolean): ((address: string, hop: number) => boolean) | false {
  return trustProxy ? (_address, hop) => hop === 0 : false;
}
