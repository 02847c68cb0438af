/**
 * How every page sealpush serves answers (routes/pages.ts, routes/front-door.ts and /docs,
 * docs-page.ts): the same security headers, a strong ETag (a browser that has the bytes gets
 * 304 and no body), a Content-Security-Policy that loads nothing from another site and runs no
 * inline script or style; and the pieces of HTML the server-rendered pages share.
 */
import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** The one stylesheet of every page (web/pages.css); served whether or not `pages` is on. */
export const STYLESHEET_PATH = '/assets/pages.css';

/** A file's bytes and their strong validator. */
export interface Served {
  readonly body: Buffer | string;
  readonly etag: string;
}

export function served(body: Buffer | string): Served {
  return { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` };
}

export function sendServed(request: FastifyRequest, reply: FastifyReply, type: string, file: Served): FastifyReply {
  reply
    .type(type)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('cache-control', 'no-cache')
    .header('etag', file.etag);
  if (request.headers['if-none-match'] === file.etag) return reply.code(304).send();
  return reply.send(file.body);
}

/**
 * A page's policy: styles from sealpush only, no framing, no forms posting elsewhere. `script`
 * and `connect` are the sources a page with a script needs (absent: it runs none).
 */
export function pagePolicy(sources: { readonly script?: string; readonly connect?: string } = {}): string {
  return [
    "default-src 'none'",
    ...(sources.script === undefined ? [] : [`script-src ${sources.script}`]),
    "style-src 'self'",
    "img-src 'self' data:",
    ...(sources.connect === undefined ? [] : [`connect-src ${sources.connect}`]),
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** One entry of the pages' navigation. */
export interface NavLink {
  readonly path: string;
  readonly title: string;
}

/** The header every page starts with (web/dashboard.html and web/demo.html carry the same by hand). */
export function pageHeader(nav: readonly NavLink[], current: string): string {
  const links = nav
    .map((link) => `<a href="${escapeHtml(link.path)}"${link.path === current ? ' aria-current="page"' : ''}>${escapeHtml(link.title)}</a>`)
    .join('');
  return `<header>\n  <a class="site" href="/">sealpush</a>\n  <nav aria-label="sealpush pages">${links}</nav>\n</header>`;
}

/** The head of a server-rendered page: no script, the shared stylesheet. */
export function pageHead(title: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${STYLESHEET_PATH}">
</head>`;
}
