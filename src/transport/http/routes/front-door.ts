/**
 * `GET /`: where a newcomer lands. HTML for a browser, JSON for a program that prefers it
 * (`Accept: application/json`): sealpush's version and the links of site-links.ts, nothing
 * else (no app, no key, no count). Also the stylesheet every page shares, served whether or
 * not `pages` is on, since `/` and `/docs` use it too.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { escapeHtml, pageHead, pageHeader, pagePolicy, sendServed, served, STYLESHEET_PATH } from '../page-response.js';
import type { SiteLink } from '../site-links.js';

export interface SiteFiles {
  /** sealpush's version (package.json). */
  readonly version: string;
  /** `web/`, where pages.css is. */
  readonly webDir: string;
}

const HTML = 'text/html; charset=utf-8';
const JSON_TYPE = 'application/json; charset=utf-8';

/** The index as a program reads it. */
export function frontDoorJson(version: string, links: readonly SiteLink[]): string {
  return JSON.stringify({
    name: 'sealpush',
    version,
    links: links.map(({ rel, path, title }) => ({ rel, href: path, title })),
  });
}

export function renderFrontDoor(version: string, links: readonly SiteLink[]): string {
  const item = (link: SiteLink): string =>
    `<li><a href="${escapeHtml(link.path)}">${escapeHtml(link.title)}</a> <code>${escapeHtml(link.path)}</code>: ${escapeHtml(link.about)}</li>`;
  return `${pageHead('sealpush')}
<body>
${pageHeader(links.filter((l) => l.page), '/')}
<main>
<h1>sealpush <span class="muted" id="version">${escapeHtml(version)}</span></h1>
<p>A secure message push service: your application publishes results over a signed REST API
(<code>/v1</code>), and sealpush delivers them end-to-end sealed to its clients over the WebSocket
<code>/v1/ws</code>, keeping them until each client acknowledges.</p>
<section class="card" aria-labelledby="people-title">
<h2 id="people-title">Pages</h2>
<ul>
${links.filter((l) => l.page).map(item).join('\n')}
</ul>
</section>
<section class="card" aria-labelledby="programs-title">
<h2 id="programs-title">For programs</h2>
<ul>
${links.filter((l) => !l.page).map(item).join('\n')}
</ul>
<p class="muted">This index as JSON: <code>curl -H 'Accept: application/json' &lt;this URL&gt;</code></p>
</section>
</main>
</body>
</html>
`;
}

/** Whether the request ranks `application/json` above HTML (by q-value; the wildcard any browser or curl sends means HTML). */
export function prefersJson(accept: string | undefined): boolean {
  let json = 0;
  let html = 0;
  for (const part of (accept ?? '').split(',')) {
    const [range = '', ...params] = part.trim().toLowerCase().split(';');
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const q = qParam === undefined ? 1 : Number(qParam.slice(2));
    if (!Number.isFinite(q)) continue;
    if (range === 'application/json' || range === 'application/*') json = Math.max(json, q);
    if (range === 'text/html' || range === 'text/*' || range === '*/*') html = Math.max(html, q);
  }
  return json > 0 && json > html;
}

export function registerFrontDoor(app: FastifyInstance, site: SiteFiles, links: readonly SiteLink[]): void {
  const html = served(renderFrontDoor(site.version, links));
  const json = served(frontDoorJson(site.version, links));
  const csp = pagePolicy();
  app.get('/', { schema: { hide: true } }, async (request: FastifyRequest, reply) => {
    reply.header('vary', 'accept');
    if (prefersJson(request.headers.accept)) return sendServed(request, reply, JSON_TYPE, json);
    return sendServed(request, reply.header('content-security-policy', csp), HTML, html);
  });

  // Read at start: a missing stylesheet is a broken install.
  const stylesheet = served(readFileSync(join(site.webDir, 'pages.css')));
  app.get(STYLESHEET_PATH, { schema: { hide: true } }, async (request, reply) =>
    sendServed(request, reply, 'text/css; charset=utf-8', stylesheet));
}
