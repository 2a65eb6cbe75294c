// Issue 11 item 8: after `krange reset --to earliest` the re-read wrote every bad record to the
// dead letter a second time (the JSONL file was named per iteration, the topic was appended to).
// Now a dead-letter file is one per task range, replaced on replay like the Parquet part files, and
// a dead-letter topic receives a range's bad records in one Kafka transaction with a marker of the
// range, so a replay sends none twice: each bad record is listed once after run, reset, run.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../../helpers/cli.ts';
import { writeJobFile } from '../../helpers/job-file.ts';
import { brokers, createTopic, produce, uniqueName } from '../../helpers/kafka.ts';

const BAD = ['{not json', JSON.stringify({ id: 'x', payload: 'wrong type' })];

async function jobWith(deadLetter: string) {
  const topic = uniqueName('dlonce');
  const out = mkdtempSync(join(tmpdir(), 'krange-dlonce-out-'));
  const stateDir = mkdtempSync(join(tmpdir(), 'krange-state-'));
  await createTopic(topic, 2);
  const good = (id: number) => ({ value: JSON.stringify({ id, payload: `p${id}` }) });
  await produce(
    topic,
    [good(0), { value: BAD[0]! }, good(1)].map((m) => ({ ...m, partition: 0 })),
  );
  await produce(
    topic,
    [good(2), { value: BAD[1]! }, good(3)].map((m) => ({ ...m, partition: 1 })),
  );
  const job = writeJobFile(
    'dlonce',
    `{
      name: ${JSON.stringify(topic)},
      topics: [${JSON.stringify(topic)}],
      schema: { id: t.int64(), payload: t.utf8() },
      sinks: [parquet({ path: ${JSON.stringify(out)} })],
      onBadRecord: { deadLetter: ${deadLetter} },
    }`,
  );
  return { topic, job, env: { KRANGE_STATE_DIR: stateDir } };
}

async function runResetRun(j: { job: string; env: Record<string, string> }): Promise<void> {
  const first = await cli(['run', j.job], j.env);
  expect(first.code, first.stderr).toBe(0);
  const reset = await cli(['reset', j.job, '--to', 'earliest', '--yes'], j.env);
  expect(reset.code, reset.stderr).toBe(0);
  const again = await cli(['run', j.job], j.env);
  expect(again.code, again.stderr).toBe(0);
  expect(again.stdout).toMatch(/records +6 \(2 bad\)/);
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).isFile());
}

describe('a reset leaves each dead letter once', () => {
  it('in a dead-letter directory: one file per range, replaced by the re-read', async () => {
    const dl = mkdtempSync(join(tmpdir(), 'krange-dlonce-'));
    const j = await jobWith(`{ path: ${JSON.stringify(dl)} }`);
    await runResetRun(j);
    const files = filesUnder(dl);
    expect(files.filter((f) => f.includes('_temporary'))).toEqual([]);
    const lines = files.flatMap((f) =>
      readFileSync(f, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { partition: number; offset: string }),
    );
    expect(lines.map((l) => `${l.partition}@${l.offset}`).sort()).toEqual(['0@1', '1@1']);
  });

  it('in a dead-letter topic: read_committed readers see each bad record once (kcat)', async () => {
    const dlTopic = uniqueName('dlonce-dlq');
    await createTopic(dlTopic, 1);
    const j = await jobWith(`{ topic: ${JSON.stringify(dlTopic)} }`);
    await runResetRun(j);
    const out = execFileSync(
      'kcat',
      [
        ...['-C', '-b', brokers().join(','), '-t', dlTopic, '-e', '-q'],
        ...['-X', 'isolation.level=read_committed', '-f', '%k\\n'],
      ],
      { encoding: 'utf8', timeout: 60_000 },
    );
    const keys = out.split('\n').filter((l) => l !== '');
    expect(keys.sort()).toEqual([`${j.topic}:0:1`, `${j.topic}:1:1`]);
  });
});
