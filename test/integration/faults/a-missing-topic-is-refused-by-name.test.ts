// Issue 11: a job listing several topics of which one does not exist read the others and ignored it
// without a word; a missing dead-letter topic failed with Kafka's `This server does not host this
// topic-partition`, naming nothing. Both are now refused before anything is planned (exit 2,
// KRANGE_CONFIG), naming the topic, the option that set it and what to do; no state is written.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../../helpers/cli.ts';
import { writeJobFile } from '../../helpers/job-file.ts';
import { createTopic, produce, uniqueName } from '../../helpers/kafka.ts';

async function setup(topics: (present: string) => string[], onBadRecord: string) {
  const present = uniqueName('present');
  await createTopic(present, 1);
  await produce(present, [{ value: JSON.stringify({ id: 1 }) }, { value: '{bad' }]);
  const name = uniqueName('missing-job');
  const job = writeJobFile(
    'missing',
    `{
      name: ${JSON.stringify(name)},
      topics: ${JSON.stringify(topics(present))},
      schema: { id: t.int64() },
      sinks: [parquet({ path: ${JSON.stringify(mkdtempSync(join(tmpdir(), 'krange-missing-out-')))} })],
      onBadRecord: ${onBadRecord},
    }`,
  );
  const stateDir = mkdtempSync(join(tmpdir(), 'krange-state-'));
  return { present, job, stateDir: join(stateDir, name), env: { KRANGE_STATE_DIR: stateDir } };
}

describe('a missing topic', () => {
  it('one of several listed topics missing: plan and run refuse, naming it', async () => {
    const typo = uniqueName('no-such-topic');
    const s = await setup((present) => [present, typo], `'skip'`);
    for (const command of ['plan', 'run']) {
      const r = await cli([command, s.job], s.env);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`topic '${typo}' of job '[^']+' does not exist`));
      expect(r.stderr).toContain(`its other topics do: ${s.present}`);
      expect(r.stderr).toContain('create it');
      expect(r.stderr).toContain('[KRANGE_CONFIG]');
    }
    expect(existsSync(join(s.stateDir, 'offsets'))).toBe(false);
  });

  it('a missing dead-letter topic: refused naming it and onBadRecord.deadLetter.topic', async () => {
    const dlq = uniqueName('no-such-dlq');
    const s = await setup((present) => [present], `{ deadLetter: { topic: ${JSON.stringify(dlq)} } }`);
    const r = await cli(['run', s.job], s.env);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(
      `dead-letter topic '${dlq}' (set by the job's onBadRecord.deadLetter.topic) does not exist`,
    );
    expect(r.stderr).toContain('[KRANGE_CONFIG]');
    expect(r.stderr).not.toContain('does not host this topic-partition');
    expect(existsSync(join(s.stateDir, 'offsets'))).toBe(false);
  });
});
