// Sender-side test helpers: NDJSON line files with ids, a free port, reading line documents back.
import { appendFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { MongoClient } from 'mongodb';
import { endpoints } from './sinks.ts';

export const lineId = (n: number) => `line-${String(n).padStart(6, '0')}`;
export const lineText = (n: number) => `text of line ${n} ${'~'.repeat(n % 37)}`;

/** Appends lines from..to (inclusive) as NDJSON `{"id", "n", "text"}`. */
export function appendLines(path: string, from: number, to: number): void {
  const out: string[] = [];
  for (let n = from; n <= to; n++) out.push(JSON.stringify({ id: lineId(n), n, text: lineText(n) }));
  appendFileSync(path, `${out.join('\n')}\n`);
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** The `lines` collection of the database, as {id -> doc}. */
export async function lineDocuments(database: string): Promise<Map<string, Record<string, unknown>>> {
  const client = await new MongoClient(endpoints().mongoUrl).connect();
  try {
    const docs = await client.db(database).collection('lines').find({}).toArray();
    return new Map(docs.map((d) => [String(d['_id']), d as Record<string, unknown>]));
  } finally {
    await client.close();
  }
}

export async function dropDatabase(database: string): Promise<void> {
  const client = await new MongoClient(endpoints().mongoUrl).connect();
  try {
    await client.db(database).dropDatabase();
  } finally {
    await client.close();
  }
}
