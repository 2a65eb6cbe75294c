// Dead letters as JSON lines: one file per task range, `<path>/<job>/<topic>/<partition>/<range>.jsonl`,
// written to a temporary name and renamed over the final one. A replay of the same range (a retried
// task, a resumed plan, a re-read after `krange reset`) replaces the file, as the Parquet sink
// replaces its part files, so a bad record is listed once; a replay that finds no bad record in the
// range removes the file.

import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import type { ResolvedLocation } from '../fs/output-fs.ts';
import { type OffsetRange, rangeId } from '../offset-range.ts';
import type { BadRecord } from '../records/record.ts';
import type { DeadLetterTarget } from './dead-letter-target.ts';

function toJsonLine(job: string, b: BadRecord): string {
  return JSON.stringify({
    job,
    topic: b.topic,
    partition: b.partition,
    offset: b.offset,
    stage: b.stage,
    ...(b.sink === undefined ? {} : { sink: b.sink }),
    field: b.field ?? null,
    error: b.reason,
    key: b.key?.toString('base64') ?? null,
    value: b.value?.toString('base64') ?? null,
  });
}

/** Where the bad records of a range go. */
export function deadLetterFilePath(base: string, job: string, range: OffsetRange): string {
  return `${base}/${job}/${range.topic}/${range.partition}/${rangeId(range)}.jsonl`;
}

export function deadLetterFile(loc: ResolvedLocation): DeadLetterTarget {
  return {
    async write(job, range, records) {
      const path = deadLetterFilePath(loc.path, job, range);
      if (records.length === 0) {
        // An earlier read of this range (before a reset, a fixed transform) may have left one.
        await loc.fs.delete(path, false);
        return;
      }
      const body = `${records.map((b) => toJsonLine(job, b)).join('\n')}\n`;
      const temporary = `${loc.path}/${job}/_temporary/${rangeId(range)}-${randomUUID()}.jsonl`;
      try {
        await loc.fs.writeStream(temporary, Readable.from([Buffer.from(body)]));
        await loc.fs.rename(temporary, path);
      } catch (err) {
        await loc.fs.delete(temporary, false).catch(() => undefined);
        throw err;
      }
    },
    async close() {},
  };
}
