// Set-up shared by the value-conversion fault tests: a topic, a local output and dead-letter folder,
// and the CLI environment of test/fixtures/jobs/typed-values.ts; readers for what the run left.
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { query } from '../../helpers/duckdb.ts';
import { createTopic, uniqueName } from '../../helpers/kafka.ts';

export const TYPED_JOB = resolve('test/fixtures/jobs/typed-values.ts');

export interface TypedFixture {
  topic: string;
  out: string;
  dl: string;
  env: Record<string, string>;
}

export async function typedFixture(extra: Record<string, string> = {}): Promise<TypedFixture> {
  const topic = uniqueName('typed');
  const root = mkdtempSync(join(tmpdir(), 'krange-typed-'));
  const out = join(root, 'out');
  const dl = join(root, 'dl');
  await createTopic(topic, 1);
  return {
    topic,
    out,
    dl,
    env: {
      KRANGE_TEST_TOPIC: topic,
      KRANGE_TEST_JOB: uniqueName('typed-job'),
      KRANGE_TEST_OUT: `file://${out}`,
      KRANGE_TEST_DL: `file://${dl}`,
      KRANGE_STATE_DIR: join(root, 'state'),
      ...extra,
    },
  };
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

/** Every dead-letter line the run wrote. */
export function deadLetters(f: TypedFixture): Record<string, string | null>[] {
  return filesUnder(f.dl)
    .filter((p) => p.endsWith('.jsonl'))
    .flatMap((p) => readFileSync(p, 'utf8').trim().split('\n'))
    .map((l) => JSON.parse(l) as Record<string, string | null>)
    .sort((a, b) => Number(a['offset']) - Number(b['offset']));
}

/** The Parquet rows, read by DuckDB (timestamps as epoch numbers so nothing is reformatted). */
export async function parquetRows(f: TypedFixture): Promise<Record<string, unknown>[]> {
  return query(
    `select id::varchar as id, n32, n64::varchar as n64, epoch_ms(at_ms)::varchar as at_ms,
            epoch_ns(at_ns)::varchar as at_ns, name
     from read_parquet('${f.out}/**/*.parquet') order by id`,
  );
}
