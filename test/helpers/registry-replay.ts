// A local HTTP server replaying the Confluent Schema Registry's documented responses from
// test/fixtures/registry (a stand-in only because no registry server can be installed here): the
// request path with `/` as `-` names the file, `.404.json` answers 404; anything else is a 404 with
// error_code 40403. `failFirst` answers 503 to the first n requests.

import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';

export const REGISTRY_FIXTURES = resolve('test/fixtures/registry');

export interface RegistryReplay {
  url: string;
  /** Request paths, in order. */
  hits: string[];
  close(): Promise<void>;
}

export async function replayRegistry(failFirst = 0): Promise<RegistryReplay> {
  const hits: string[] = [];
  let failures = failFirst;
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '').replace(/^\//, '').replaceAll('/', '-');
    hits.push(req.url ?? '');
    if (failures-- > 0) {
      res.writeHead(503, { 'content-type': 'application/json' }).end('{"error_code":50301,"message":"down"}');
      return;
    }
    for (const [file, status] of [
      [`${path}.json`, 200],
      [`${path}.404.json`, 404],
    ] as const) {
      if (existsSync(`${REGISTRY_FIXTURES}/${file}`)) {
        res.writeHead(status, { 'content-type': 'application/vnd.schemaregistry.v1+json' });
        res.end(readFileSync(`${REGISTRY_FIXTURES}/${file}`));
        return;
      }
    }
    res.writeHead(404).end('{"error_code":40403,"message":"not found"}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
