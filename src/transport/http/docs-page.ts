/**
 * `/docs`: the API reference for people, rendered on the server from the OpenAPI document
 * (openapi.ts) and the error catalogue, in the pages' look (web/pages.css, their header). Per
 * route: its summary, authentication, a field table for its parameters, body and answers,
 * and the codes it may answer, each a link to its row in the error table at the end, which is
 * rendered from the catalogue itself (src/domain/errors.ts). No script.
 */
import { ERROR_CATALOGUE, ERROR_CODES } from '../../domain/errors.js';
import { canonicalRequest, formatAuthorization } from '../../crypto/request-signature.js';
import { fieldRows, fieldTable, type Schema } from './docs-fields.js';
import { escapeHtml, pageHead, pageHeader, type NavLink } from './page-response.js';
import { DOCS_PATH, OPENAPI_PATH } from './site-links.js';

/**
 * The worked signing example of the page (and of docs/api.md). Fixed inputs; `bodySha256Hex`
 * and `sig` were computed with the real signer, and test/integration/openapi.test.ts checks
 * that the page's example verifies with src/crypto/request-signature.ts.
 */
export const SIGNING_EXAMPLE = {
  appId: 'app_demo',
  secret: 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8',
  method: 'POST',
  pathWithQuery: '/v1/messages',
  ts: 1767225600,
  nonce: 'q1w2e3r4t5y6u7i8o9p0aa',
  body: '{"to":"c_demo","data":{"ok":true}}',
  bodySha256Hex: 'f84430adf934049ea810177f46e05fd68c38ac060735ff5cfe2fde1e4c88b0cf',
  sig: '-5HL47mEXBPqljBjQD-VGV9i1mMCX-YsfPTRG1yakjo',
} as const;

interface Operation {
  summary?: string;
  description?: string;
  tags?: string[];
  security?: Record<string, string[]>[];
  parameters?: { name: string; in: string; required?: boolean; description?: string; schema?: Schema }[];
  requestBody?: { content?: Record<string, { schema?: Schema }> };
  responses?: Record<string, { description?: string; content?: Record<string, { schema?: Schema }> }>;
}

export interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string; description?: string };
  paths: Record<string, Record<string, Operation>>;
  components?: { securitySchemes?: Record<string, { description?: string }> };
}

function operationId(method: string, path: string): string {
  return `${method}-${path}`.replace(/[^A-Za-z0-9]+/g, '-').replace(/-+$/, '');
}

/** The codes of an error answer (the catalogue's shape), or undefined for any other answer. */
function errorCodes(schema: Schema | undefined): string[] | undefined {
  const code = schema?.properties?.error?.properties?.code;
  return code?.enum?.map(String);
}

const codeLink = (code: string): string => `<a href="#${escapeHtml(code)}"><code>${escapeHtml(code)}</code></a>`;

function renderResponses(op: Operation, id: string): string {
  const parts: string[] = [];
  for (const [status, response] of Object.entries(op.responses ?? {})) {
    const schema = Object.values(response.content ?? {})[0]?.schema;
    const codes = errorCodes(schema);
    const what = `<strong>${escapeHtml(status)}</strong> ${escapeHtml(response.description ?? '')}`;
    if (codes !== undefined) {
      parts.push(`<p class="errors" data-status="${escapeHtml(status)}">${what}: ${codes.map(codeLink).join(' ')}</p>`);
    } else {
      parts.push(`<p>${what}</p>`, fieldTable(schema ? fieldRows(schema) : [], `${status} answer of ${id}`));
    }
  }
  return parts.join('\n');
}

function renderOperation(method: string, path: string, op: Operation): string {
  const id = operationId(method, path);
  const name = `${method.toUpperCase()} ${path}`;
  const auth = op.security && op.security.length > 0
    ? op.security.map((s) => Object.keys(s).map((k) => `<a href="#auth-${escapeHtml(k)}">${escapeHtml(k)}</a>`).join(' + ')).join(' or ')
    : 'none';
  const params = (op.parameters ?? []).map((p) => ({
    name: p.name,
    type: `${p.schema?.type ?? 'string'} (${p.in})`,
    required: p.required === true,
    description: p.description ?? p.schema?.description ?? '',
    limits: fieldRows({ properties: { [p.name]: p.schema ?? {} } })[0]?.limits ?? '',
  }));
  const body = op.requestBody?.content?.['application/json']?.schema;
  return [
    `<section class="op" id="${id}" aria-labelledby="${id}-title">`,
    `<h3 id="${id}-title"><span class="method">${method.toUpperCase()}</span> <code>${escapeHtml(path)}</code></h3>`,
    op.summary ? `<p>${escapeHtml(op.summary)}</p>` : '',
    op.description ? `<p>${escapeHtml(op.description)}</p>` : '',
    `<p>Authentication: ${auth}</p>`,
    params.length > 0 ? `<h4>Parameters</h4>\n${fieldTable(params, `Parameters of ${name}`)}` : '',
    body === undefined ? '' : `<h4>Request body (application/json)</h4>\n${body.description ? `<p>${escapeHtml(body.description)}</p>` : ''}\n${fieldTable(fieldRows(body), `Request body of ${name}`)}`,
    `<h4>Answers</h4>`,
    renderResponses(op, name),
    '</section>',
  ].filter((part) => part !== '').join('\n');
}

/** Every code of the catalogue, each row the target of the routes' links. */
function renderErrors(): string {
  const rows = ERROR_CODES.map((code) => {
    const entry = ERROR_CATALOGUE[code];
    // A narrow screen breaks a code after its underscores, not inside a word.
    return `<tr id="${code}"><td><code>${code.replaceAll('_', '_<wbr>')}</code></td><td>${entry.http}</td><td>${entry.ws}</td><td>${escapeHtml(entry.message)}</td></tr>`;
  });
  return `<h2 id="errors">Errors</h2>
<p>Every error is <code>{ "error": { "code", "message" } }</code> with the HTTP status below; a client connection ends with the
WebSocket close code. Program against the code, never the message. What to do about each: <code>docs/errors.md</code> in the
sealpush package. Close codes 4000-4499: the client reconnects and resumes; 4500-4999: it does not.</p>
<div class="scroll"><table class="errors">
<caption>The error catalogue</caption>
<thead><tr><th scope="col">Code</th><th scope="col">HTTP</th><th scope="col">WebSocket close</th><th scope="col">Meaning</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table></div>`;
}

function renderSigningExample(): string {
  const ex = SIGNING_EXAMPLE;
  const canonical = canonicalRequest({ method: ex.method, pathWithQuery: ex.pathWithQuery, ts: ex.ts, nonce: ex.nonce, bodySha256Hex: ex.bodySha256Hex });
  const header = `Authorization: ${formatAuthorization({ appId: ex.appId, ts: ex.ts, nonce: ex.nonce, sig: ex.sig })}`;
  return `<h3 id="signing-example">Worked signing example</h3>
<div class="scroll"><table id="signing-inputs">
<tr><th scope="row">app id</th><td><code data-field="appId">${ex.appId}</code></td></tr>
<tr><th scope="row">secret</th><td><code data-field="secret">${ex.secret}</code> (the bytes 0x00 .. 0x1f)</td></tr>
<tr><th scope="row">method, path</th><td><code data-field="method">${ex.method}</code> <code data-field="pathWithQuery">${ex.pathWithQuery}</code></td></tr>
<tr><th scope="row">ts</th><td><code data-field="ts">${ex.ts}</code> (2026-01-01T00:00:00Z)</td></tr>
<tr><th scope="row">nonce</th><td><code data-field="nonce">${ex.nonce}</code></td></tr>
<tr><th scope="row">body</th><td><code data-field="body">${escapeHtml(ex.body)}</code></td></tr>
<tr><th scope="row">hex(SHA-256(body))</th><td><code data-field="bodySha256Hex">${ex.bodySha256Hex}</code></td></tr>
</table></div>
<p>The string to sign (four newlines, no trailing newline):</p>
<pre id="canonical-string">${escapeHtml(canonical)}</pre>
<p>HMAC-SHA-256 over it, keyed with the secret's 32 bytes, in base64url: <code data-field="sig">${ex.sig}</code>, so the header is</p>
<pre id="signed-header">${escapeHtml(header)}</pre>`;
}

/** The whole reference page: the route list, the signing scheme with its worked example, each route, the errors. */
export function renderDocsPage(doc: OpenApiDocument, nav: readonly NavLink[]): string {
  const ops = Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({ path, method, op })),
  );
  const schemes = Object.entries(doc.components?.securitySchemes ?? {});
  return `${pageHead(doc.info.title)}
<body class="docs">
${pageHeader(nav, DOCS_PATH)}
<main>
<h1>${escapeHtml(doc.info.title)}</h1>
<p>${escapeHtml(doc.info.description ?? '')}</p>
<p>OpenAPI ${escapeHtml(doc.openapi)} document: <a href="${OPENAPI_PATH}">${OPENAPI_PATH}</a>.</p>
<h2 id="routes">Routes</h2>
<ul id="route-list">
${ops.map(({ path, method, op }) => `<li><a href="#${operationId(method, path)}"><code>${method.toUpperCase()} ${escapeHtml(path)}</code></a> ${escapeHtml(op.summary ?? '')}</li>`).join('\n')}
<li><a href="#errors">Errors</a>: every code, its HTTP status and WebSocket close code</li>
</ul>
<h2 id="auth">Authentication</h2>
${schemes.map(([name, s]) => `<h3 id="auth-${escapeHtml(name)}">${escapeHtml(name)}</h3>\n<p>${escapeHtml(s.description ?? '')}</p>`).join('\n')}
${renderSigningExample()}
<h2 id="reference">Reference</h2>
${ops.map(({ path, method, op }) => renderOperation(method, path, op)).join('\n')}
${renderErrors()}
</main>
</body>
</html>
`;
}
