/**
 * The pages sealpush serves itself (docs/pages.md): `/dashboard` (operators, behind an admin
 * token it asks for) and `/demo` (the slow-job scenario in the browser). Plain HTML, CSS and
 * ES modules from `web/`, no build step at run time; the demo loads the browser SDK as built
 * for publishing (`dist/client`, under `/sdk/`) and its dependencies, @hpke (`/sdk/hpke/`) and
 * @noble/ciphers (`/sdk/noble-ciphers/`), through an import map. Everything is read from disk
 * once and kept, and answered with an ETag (a browser revalidates: 304, no body); nothing here
 * is secret.
 *
 * The pages hold no data: the dashboard reads `/v1/admin/*` with the token typed into it,
 * the demo talks to the WebSocket gateway and to the example application.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { SealPushError } from '../../../domain/errors.js';
import { pagePolicy, sendServed as send, served, type Served } from '../page-response.js';
import type { SiteFiles } from './front-door.js';

export interface PageFiles {
  /** `web/`: the pages, their script and style. */
  readonly webDir: string;
  /** `dist/`: the browser SDK as built (`client/`, and the `crypto/` and `domain/` it imports). */
  readonly distDir: string;
  /** The `@hpke` scope directory in node_modules. */
  readonly hpkeDir: string;
  /** The `@noble/ciphers` package directory (its ES modules sit at its root). */
  readonly nobleCiphersDir: string;
}

/**
 * The package's own folders and version, found from this file (src/ under tsx, dist/ when
 * built: the same depth): what `/` and `/docs` need always, the pages' files when `pages` is on.
 */
export function packageFiles(pages: boolean): { site: SiteFiles; pages?: PageFiles } {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  const site = { version, webDir: join(root, 'web') };
  if (!pages) return { site };
  const require = createRequire(import.meta.url);
  const hpkeCore = dirname(require.resolve('@hpke/core/package.json'));
  // @noble/ciphers exports no ./package.json: find the folder from one of its modules.
  const nobleCiphersDir = dirname(require.resolve('@noble/ciphers/chacha.js'));
  return { site, pages: { webDir: site.webDir, distDir: join(root, 'dist'), hpkeDir: dirname(hpkeCore), nobleCiphersDir } };
}

/** Bare specifiers of the SDK, resolved as a bundler would. The demo page carries this map inline. */
export const SDK_IMPORT_MAP = {
  imports: {
    '@hpke/core': '/sdk/hpke/core/esm/mod.js',
    '@hpke/common': '/sdk/hpke/common/esm/mod.js',
    '@hpke/dhkem-x25519': '/sdk/hpke/dhkem-x25519/esm/mod.js',
    '@noble/ciphers/chacha.js': '/sdk/noble-ciphers/chacha.js',
  },
};

const PAGES = { '/dashboard': 'dashboard.html', '/demo': 'demo.html' } as const;
const ASSET = /^[a-z][a-z0-9-]*\.(js|css|svg)$/;
const SDK_PATH = /^(client|crypto|domain)\/[a-z0-9/-]+\.js$/;
const HPKE_PATH = /^(core|common|dhkem-x25519)\/esm\/[A-Za-z0-9_/.-]+\.js$/;
const NOBLE_CIPHERS_PATH = /^_?[a-z0-9]+\.js$/;
const TYPES: Record<string, string> = { js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8', svg: 'image/svg+xml' };

/** The one inline script a page may run: the demo's import map, allowed by its hash. */
function importMapTag(): { tag: string; hash: string } {
  const json = JSON.stringify(SDK_IMPORT_MAP);
  return { tag: `<script type="importmap">${json}</script>`, hash: `'sha256-${createHash('sha256').update(json).digest('base64')}'` };
}

function policy(page: keyof typeof PAGES, importMapHash: string): string {
  // The demo talks to the example application, wherever it runs; the dashboard to sealpush only.
  return page === '/demo'
    ? pagePolicy({ script: `'self' ${importMapHash}`, connect: "'self' http: https: ws: wss:" })
    : pagePolicy({ script: "'self'", connect: "'self'" });
}

const notFound = (): SealPushError => new SealPushError('ERR_NOT_FOUND', 'No such file');

/** Reads a file under `base` once; a path that leaves `base` or is not a file is ERR_NOT_FOUND. */
function fileCache(base: string): (relative: string) => Promise<Served> {
  const cache = new Map<string, Promise<Served>>();
  const root = resolve(base) + sep;
  return (relative) => {
    const file = resolve(root, relative);
    if (!file.startsWith(root) || relative.includes('..')) return Promise.reject(notFound());
    let pending = cache.get(file);
    if (pending === undefined) {
      pending = readFile(file).then(served, () => {
        cache.delete(file);
        throw notFound();
      });
      cache.set(file, pending);
    }
    return pending;
  };
}

export function registerPages(app: FastifyInstance, files: PageFiles): void {
  const { tag, hash } = importMapTag();
  for (const [path, file] of Object.entries(PAGES) as [keyof typeof PAGES, string][]) {
    // Read at start: a missing page is a broken install, and should say so before any request.
    const html = served(readFileSync(join(files.webDir, file), 'utf8').replace('<!-- importmap -->', tag));
    const csp = policy(path, hash);
    app.get(path, { schema: { hide: true } }, async (request, reply) =>
      send(request, reply.header('content-security-policy', csp), 'text/html; charset=utf-8', html));
  }

  const web = fileCache(files.webDir);
  app.get<{ Params: { name: string } }>('/assets/:name', { schema: { hide: true } }, async (request, reply) => {
    const { name } = request.params;
    if (!ASSET.test(name)) throw notFound();
    return send(request, reply, TYPES[name.split('.').pop()!]!, await web(name));
  });

  const dist = fileCache(files.distDir);
  const hpke = fileCache(files.hpkeDir);
  const nobleCiphers = fileCache(files.nobleCiphersDir);
  app.get<{ Params: { '*': string } }>('/sdk/*', { schema: { hide: true } }, async (request, reply) => {
    const path = request.params['*'];
    let file: Served;
    if (path.startsWith('hpke/') && HPKE_PATH.test(path.slice(5))) file = await hpke(path.slice(5));
    else if (path.startsWith('noble-ciphers/') && NOBLE_CIPHERS_PATH.test(path.slice(14))) file = await nobleCiphers(path.slice(14));
    else if (SDK_PATH.test(path) && !path.startsWith('crypto/node/')) file = await dist(path);
    else throw notFound();
    return send(request, reply, TYPES.js!, file);
  });
}
