// Jobs with `validateAt: 'ingest'` lend their decoder, transform and schema to the gateway: a
// record for one of their topics is run through the same RecordProcessor the workers use, and one
// that does not fit is refused before it reaches Kafka, with the record index and field named.

import type { Logger } from 'pino';
import { listJobFiles, loadJob } from '../job/job-loader.ts';
import type { JobSpec } from '../job/job-spec.ts';
import { RecordProcessor } from '../records/record-processor.ts';
import type { OutRecord } from './batching-producer.ts';
import type { RecordProblem } from './rest-errors.ts';

interface Checked {
  job: string;
  topics: string[] | RegExp;
  processor: RecordProcessor;
}

export class IngestSchemas {
  private readonly checked: Checked[];

  constructor(specs: readonly JobSpec[]) {
    this.checked = specs
      .filter((s) => s.validateAt === 'ingest')
      .map((s) => ({ job: s.name, topics: s.topics, processor: new RecordProcessor(s) }));
  }

  /** The jobs whose schemas check records at ingest. */
  get jobs(): string[] {
    return this.checked.map((c) => c.job);
  }

  /** A problem when a job that validates at ingest reads `rec.topic` and the record does not fit. */
  check(rec: OutRecord, index: number, fieldPrefix: string): RecordProblem | undefined {
    for (const c of this.checked) {
      const reads = Array.isArray(c.topics) ? c.topics.includes(rec.topic) : c.topics.test(rec.topic);
      if (!reads) continue;
      const headers: Record<string, string> = {};
      if (rec.headers !== undefined)
        for (const [k, v] of Object.entries(rec.headers)) headers[k] = v.toString('utf8');
      const res = c.processor.process({
        topic: rec.topic,
        partition: rec.partition ?? -1,
        offset: -1n,
        timestamp: rec.timestamp,
        key: rec.key,
        value: rec.value,
        headers,
      });
      if (!res.ok) {
        const field =
          res.bad.field === undefined ? `${fieldPrefix}value` : `${fieldPrefix}value.${res.bad.field}`;
        return {
          index,
          field,
          reason: `does not fit job '${c.job}' (${res.bad.stage}): ${res.bad.reason}`,
          status: 422,
        };
      }
    }
    return undefined;
  }
}

/** Loads the named job modules, or every job in the jobs directory (unloadable ones are logged and skipped). */
export async function loadIngestSchemas(files: string[] | undefined, logger: Logger): Promise<IngestSchemas> {
  const specs: JobSpec[] = [];
  for (const f of files ?? listJobFiles()) {
    try {
      specs.push((await loadJob(f)).spec);
    } catch (err) {
      if (files !== undefined) throw err;
      logger.warn({ job: f, err: (err as Error).message }, 'job not loaded for ingest validation');
    }
  }
  return new IngestSchemas(specs);
}
