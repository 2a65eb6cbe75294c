// Schema and row count of a Parquet file the job wrote, for the job page's file links. Only files
// named in the job's commit files can be opened (never an arbitrary path), read through the same
// OutputFs the sink wrote with (WebHDFS or the local disk) and decoded with parquet-wasm's reader.

import { tableFromIPC } from 'apache-arrow';
import * as pw from 'parquet-wasm/node';
import { Errors } from '../errors.ts';
import { resolveLocation } from '../fs/resolve-location.ts';
import { serviceEndpoints } from '../job/endpoints.ts';
import { StateStore } from '../state/state-store.ts';

export interface ParquetInfo {
  path: string;
  sink: string;
  bytes: number;
  rows: number;
  fields: { name: string; type: string; nullable: boolean }[];
}

/** Finds `path` among the files of the job's commits; the sink that wrote it tells where it lives. */
async function findFile(
  store: StateStore,
  path: string,
): Promise<{ sink: string; iteration: number } | undefined> {
  for (const n of (await store.committedIterations()).reverse()) {
    const c = await store.readCommit(n);
    for (const t of c.tasks) {
      if (!t.files.includes(path)) continue;
      const sink = Object.keys(t.sinks).find((s) => s.startsWith('parquet:'));
      if (sink !== undefined) return { sink, iteration: n };
    }
  }
  return undefined;
}

export async function parquetInfo(job: string, root: string, path: string): Promise<ParquetInfo> {
  const store = new StateStore(job, root);
  const found = await findFile(store, path);
  if (found === undefined) throw Errors.usage(`'${path}' is not a Parquet file written by job '${job}'`);
  const { fs } = resolveLocation(found.sink.slice('parquet:'.length), serviceEndpoints());
  const bytes = await fs.readFile(path);
  const file = new Uint8Array(bytes);
  const wasmTable = pw.readParquet(file);
  const table = tableFromIPC(wasmTable.intoIPCStream());
  return {
    path,
    sink: found.sink,
    bytes: bytes.length,
    rows: table.numRows,
    fields: table.schema.fields.map((f) => ({ name: f.name, type: String(f.type), nullable: f.nullable })),
  };
}
