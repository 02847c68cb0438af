/**
 * The layering of DESIGN.md section 2, checked on every `npm test`:
 *   domain <- crypto <- drivers/*, transport/* <- compose/ <- server.ts, cli/
 * plus: the browser SDK (client/) and the back-end SDK (app/) reach no Node built-in.
 */
const NODE_ONLY = '^src/(crypto/node/|drivers/|transport/|cli/|compose/|server\\.ts|config\\.ts)';
const OUTER = '^src/(drivers/|transport/|cli/|client/|app/|compose/|server\\.ts|config\\.ts)';

module.exports = {
  forbidden: [
    {
      name: 'domain-is-pure',
      comment: 'domain/ holds types, errors, ports and use cases: no I/O, no node:*, no npm packages, no other layer.',
      severity: 'error',
      from: { path: '^src/domain' },
      to: { pathNot: '^src/domain' },
    },
    {
      name: 'ports-do-not-import-use-cases',
      comment: 'A port is a contract the use cases depend on; its types live in ports/ (or domain/), never in a use case.',
      severity: 'error',
      from: { path: '^src/domain/ports/' },
      to: { path: '^src/domain/usecases/' },
    },
    {
      name: 'crypto-depends-on-domain-only',
      severity: 'error',
      from: { path: '^src/crypto/' },
      to: { path: OUTER },
    },
    {
      name: 'browser-crypto-has-no-node',
      comment: 'Everything in crypto/ but crypto/node/ is loaded by the browser SDK.',
      severity: 'error',
      from: { path: '^src/crypto', pathNot: '^src/crypto/node' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'browser-crypto-not-node-crypto',
      severity: 'error',
      from: { path: '^src/crypto', pathNot: '^src/crypto/node' },
      to: { path: '^src/crypto/node' },
    },
    {
      name: 'drivers-import-domain-and-crypto-only',
      comment: 'A driver gets what it needs passed in; it never imports another driver, the transport or the server.',
      severity: 'error',
      from: { path: '^src/drivers/([^/]+)/' },
      to: { path: OUTER, pathNot: '^src/drivers/' },
    },
    {
      name: 'no-driver-imports-another-driver',
      severity: 'error',
      from: { path: '^src/drivers/([^/]+)/' },
      to: { path: '^src/drivers/', pathNot: '^src/drivers/$1/' },
    },
    {
      name: 'no-store-driver-imports-another',
      comment: 'Each database driver is a folder of drivers/store/; what two engines share lives in drivers/store/shared/, never in the other engine\'s folder.',
      severity: 'error',
      from: { path: '^src/drivers/store/([^/]+)/' },
      to: { path: '^src/drivers/store/', pathNot: '^src/drivers/store/($1|shared)/' },
    },
    {
      name: 'only-compose-imports-drivers',
      comment: 'In the shipped code; the tests and the tooling they lend to chaos/ may reach a driver.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(compose/|drivers/)' },
      to: { path: '^src/drivers/' },
    },
    {
      name: 'transport-does-not-import-composition',
      severity: 'error',
      from: { path: '^src/transport' },
      to: { path: '^src/(cli/|client/|app/|compose/|server\\.ts)' },
    },
    {
      name: 'sdks-run-in-browsers',
      comment: 'sealpush/client and sealpush/app use WebCrypto and fetch only: no node:* and nothing that needs it. client/node.ts is the Node-only entry (export condition "node").',
      severity: 'error',
      from: { path: '^src/(client|app)', pathNot: '^src/client/node\\.ts$' },
      to: { path: NODE_ONLY },
    },
    {
      name: 'sdks-no-node-builtins',
      severity: 'error',
      from: { path: '^src/(client|app)', pathNot: '^src/client/node\\.ts$' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'browser-sdk-never-loads-the-node-entry',
      comment: 'client/node.ts is reached only through the "node" export condition, never from the browser entry.',
      severity: 'error',
      from: { path: '^src/(client|app)', pathNot: '^src/client/node\\.ts$' },
      to: { path: '^src/client/node\\.ts$' },
    },
    {
      name: 'src-does-not-import-tooling',
      comment: 'The shipped code never reaches the tests, the bench or the fault and fuzz tooling (chaos/); they import it, never the other way.',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|bench|chaos)/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^(dist|node_modules)' },
  },
};
