/**
 * What a person or a program finds at sealpush's front door: the index `/` lists these, the
 * pages' header links the pages among them, and `sealpush serve` prints them with full URLs.
 * The metrics route is left out on purpose: it belongs on the private network (docs/metrics.md).
 */
export const OPENAPI_PATH = '/v1/openapi.json';
export const DOCS_PATH = '/docs';

export interface SiteLink {
  /** A stable name for programs (`GET /` as JSON). */
  readonly rel: string;
  readonly path: string;
  readonly title: string;
  /** One line on what it is. */
  readonly about: string;
  /** A page for people (in the pages' header), not a document for programs. */
  readonly page: boolean;
}

/** Every link; the dashboard and the demo only when `pages` is on (config `pages`). */
export function siteLinks(pages: boolean): readonly SiteLink[] {
  return [
    { rel: 'docs', path: DOCS_PATH, title: 'API reference', about: 'the REST API: routes, fields, the signing scheme, every error code', page: true },
    ...(pages
      ? [
          { rel: 'dashboard', path: '/dashboard', title: 'Dashboard', about: 'for operators: connections, throughput, the audit chain (asks for an admin token)', page: true },
          { rel: 'demo', path: '/demo', title: 'Demo', about: "a slow job's result pushed sealed to a browser (needs the example application)", page: true },
        ]
      : []),
    { rel: 'openapi', path: OPENAPI_PATH, title: 'OpenAPI document', about: 'this API as OpenAPI 3.1 JSON, for code generators', page: false },
    { rel: 'health', path: '/healthz', title: 'Liveness', about: '200 while the process serves HTTP', page: false },
    { rel: 'ready', path: '/readyz', title: 'Readiness', about: '200 when the node accepts work, 503 while it starts or drains', page: false },
  ];
}
