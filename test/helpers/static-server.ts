import { createServer, type RequestListener, type Server } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import type { AddressInfo } from 'node:net';

const TYPES: Record<string, string> = { '.js': 'text/javascript', '.json': 'application/json', '.html': 'text/html' };

/**
 * Serves files under `root` read-only on a free port, plus fixed pages. `mounts` serve other
 * directories under a URL prefix (`{ '/node_modules/@hpke/': dir }`), as a bundler would
 * resolve the SDK's dependencies. `handlers` answer other requests to their exact path (any
 * method), as an application's own routes would (`/jobs`).
 */
export async function serveStatic(
  root: string,
  pages: Record<string, string>,
  mounts: Record<string, string> = {},
  handlers: Record<string, RequestListener> = {},
): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0]!);
    const handler = handlers[path];
    if (handler !== undefined) {
      handler(req, res);
      return;
    }
    const page = pages[path];
    if (page !== undefined) {
      res.writeHead(200, { 'content-type': 'text/html' }).end(page);
      return;
    }
    const mount = Object.keys(mounts).find((prefix) => path.startsWith(prefix));
    const base = mount === undefined ? root : mounts[mount]!;
    const file = normalize(join(base, mount === undefined ? path : path.slice(mount.length)));
    if (!file.startsWith(base)) {
      res.writeHead(403).end();
      return;
    }
    readFile(file).then(
      (body) => res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(body),
      () => res.writeHead(404).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
