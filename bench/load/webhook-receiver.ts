/**
 * The webhooks scenario's receiver, in a process of its own so that its CPU is not the
 * sender's: HTTPS on 127.0.0.1 with the certificate and key files of argv, answering every
 * POST 204 once its body is read. Prints its port, then counts requests to stdout on SIGUSR2.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';

const [certFile, keyFile] = process.argv.slice(2);
let requests = 0;
const server = createServer({ cert: readFileSync(certFile!), key: readFileSync(keyFile!) }, (req, res) => {
  req.resume();
  req.on('end', () => {
    requests++;
    res.writeHead(204).end();
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`port ${(server.address() as AddressInfo).port}\n`));
process.on('SIGUSR2', () => process.stdout.write(`requests ${requests}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
