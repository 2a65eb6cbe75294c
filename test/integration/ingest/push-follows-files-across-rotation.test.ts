// `krange push --kafka` follows a file while logrotate renames it: lines written to the old file
// after the rename and the lines of the new file all reach Kafka once; a line that is not JSON goes
// to the rejects file instead; SIGTERM stops the agent after its batch in flight with exit 0.
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, logLines, startCli } from '../../helpers/cli.ts';
import { readTopic } from '../../helpers/ingest.ts';
import { createTopic, uniqueName } from '../../helpers/kafka.ts';
import { appendLines, lineId } from '../../helpers/push.ts';
import { until } from '../../helpers/until.ts';

describe('krange push following a rotated file', () => {
  it('sends every line once across a rename, including late writes to the old file', async () => {
    const topic = uniqueName('push-rotate');
    await createTopic(topic, 2);
    const dir = mkdtempSync(join(tmpdir(), 'krange-push-rotate-'));
    const input = join(dir, 'app.log');
    const checkpoint = join(dir, 'cp.json');
    appendLines(input, 1, 1000);
    appendFileSync(input, 'this is not json\n');
    const agent = startCli([
      'push',
      input,
      '--kafka',
      '--topic',
      topic,
      '--checkpoint',
      checkpoint,
      '--poll-ms',
      '50',
    ]);
    const acked = () =>
      existsSync(checkpoint)
        ? ((
            JSON.parse(readFileSync(checkpoint, 'utf8')) as {
              files: Record<string, { offset: number; lines: number }>;
            }
          ).files[input]?.lines ?? 0)
        : 0;
    await until('the first 1000 lines to be acknowledged', () => acked() >= 1000, 60_000);
    renameSync(input, `${input}.1`);
    appendLines(`${input}.1`, 1001, 1500); // the writer still had the old file open
    appendLines(input, 1501, 2000);
    await until('all 2000 lines in Kafka', () => readTopic(topic).length >= 2000, 60_000, 250);
    agent.child.kill('SIGTERM');
    const res = await agent.done;
    expect(res.code, res.stderr).toBe(0);
    const ids = readTopic(topic).map((r) => (JSON.parse(r.value) as { id: string }).id);
    expect(ids.length).toBe(2000);
    expect(new Set(ids).size).toBe(2000);
    for (let n = 1; n <= 2000; n++) expect(ids.includes(lineId(n))).toBe(true);
    const rejects = readFileSync(`${checkpoint}.rejected.ndjson`, 'utf8').trim().split('\n');
    expect(rejects).toHaveLength(1);
    expect(JSON.parse(rejects[0] as string)).toMatchObject({
      line: 'this is not json',
      reason: expect.stringMatching(/not a JSON line/),
    });
    // The agent's structured log: the rotation followed, the one refused line, the final summary.
    const events = logLines(res.stderr);
    expect(events.some((l) => l.event === 'push.rotated')).toBe(true);
    expect(events.filter((l) => l.event === 'push.rejected')).toHaveLength(1);
    expect(events.filter((l) => l.event === 'push.done')).toHaveLength(1);
  });

  it('reads stdin to its end when given -', async () => {
    const topic = uniqueName('push-stdin');
    await createTopic(topic, 1);
    const input = ['{"id":"s-1"}', '', '{"id":"s-2"}', '{"id":"s-3"}'].join('\n');
    const res = spawnSync(
      process.execPath,
      [BIN, 'push', '-', '--kafka', '--topic', topic, '--until-eof', '--key-field', 'id'],
      {
        input,
        encoding: 'utf8',
        env: { ...process.env, KRANGE_LOG_FORMAT: 'json', KRANGE_LOG_LEVEL: 'debug' },
      },
    );
    expect(res.status, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/3 lines stored/);
    // Each acknowledged batch is logged (debug) as push.sent with its record count.
    const sent = logLines(res.stderr).filter((l) => l.event === 'push.sent');
    expect(sent.length).toBeGreaterThan(0);
    expect(sent.reduce((n, l) => n + Number(l['records']), 0)).toBe(3);
    expect(readTopic(topic).map((r) => [r.key, r.value])).toEqual([
      ['s-1', '{"id":"s-1"}'],
      ['s-2', '{"id":"s-2"}'],
      ['s-3', '{"id":"s-3"}'],
    ]);
  });
});
