// The seed's Option 1 path with real parts: `krange push` -> `krange ingest` -> Kafka -> a krange
// batch job -> MongoDB. The gateway and the agent are SIGKILLed mid-stream, the file is rotated by
// rename while the agent is down; after restarts every input line is in Mongo exactly once (the
// agent re-sends at most its unacknowledged batch, the Mongo _id is the line id).
import { existsSync, mkdtempSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, logLines, startCli } from '../../helpers/cli.ts';
import { type GatewayProcess, readTopic, startGateway } from '../../helpers/ingest.ts';
import { createTopic, uniqueName } from '../../helpers/kafka.ts';
import { appendLines, dropDatabase, freePort, lineDocuments, lineId, lineText } from '../../helpers/push.ts';
import { uniqueId } from '../../helpers/sinks.ts';
import { until } from '../../helpers/until.ts';

const JOB = resolve('test/fixtures/jobs/ingest-lines.ts');
const topic = uniqueName('push-e2e');
const db = uniqueId('krange_push_e2e');
const dir = mkdtempSync(join(tmpdir(), 'krange-push-e2e-'));
const input = join(dir, 'app.log');
const checkpoint = join(dir, 'push.checkpoint.json');
const env = {
  KRANGE_TEST_TOPIC: topic,
  KRANGE_TEST_MONGO_DB: db,
  KRANGE_TEST_JOB: uniqueName('push-e2e-job'),
  KRANGE_STATE_DIR: join(dir, 'state'),
};
const TOTAL = 30_000;

const ackedOffset = (): number => {
  if (!existsSync(checkpoint)) return 0;
  const cp = JSON.parse(readFileSync(checkpoint, 'utf8')) as { files: Record<string, { offset: number }> };
  return cp.files[input]?.offset ?? 0;
};

afterAll(async () => {
  await dropDatabase(db);
});

describe('push -> ingest -> Kafka -> job -> MongoDB', () => {
  it('keeps every line exactly once across SIGKILLs of the gateway and the agent and a rotation', async () => {
    await createTopic(topic, 3);
    appendLines(input, 1, 15_000);
    const port = String(await freePort());
    const gwArgs = ['--port', port, '--job', JOB];
    let gw: GatewayProcess = await startGateway(gwArgs, env);
    const pushArgs = [
      'push',
      input,
      '--gateway',
      gw.url,
      '--topic',
      topic,
      '--checkpoint',
      checkpoint,
      '--batch-records',
      '100',
      '--key-field',
      'id',
    ];
    const agent = startCli(pushArgs, env);

    await until('the agent to have lines acknowledged', () => ackedOffset() > 0, 60_000);
    gw.child.kill('SIGKILL');
    await gw.done;
    appendLines(input, 15_001, 22_000);
    let agentLog = '';
    agent.child.stderr?.on('data', (d: Buffer) => {
      agentLog += d.toString();
    });
    await until(
      'the agent to retry against the dead gateway',
      () => logLines(agentLog).some((l) => l.event === 'push.retry'),
      60_000,
    );
    const ackedBeforeKill = ackedOffset();
    agent.child.kill('SIGKILL');
    expect((await agent.done).signal).toBe('SIGKILL');
    expect(ackedBeforeKill).toBeLessThan(readFileSync(input).length);

    // logrotate while everything is down: the old file is renamed, a new one starts.
    renameSync(input, `${input}.1`);
    appendLines(input, 22_001, TOTAL);

    gw = await startGateway(gwArgs, env);
    const resumed = await cli([...pushArgs, '--until-eof'], env);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(/0 rejected/);
    gw.child.kill('SIGTERM');
    expect((await gw.done).code).toBe(0);

    const inKafka = readTopic(topic);
    expect(inKafka.length).toBeGreaterThanOrEqual(TOTAL);
    const run = await cli(['run', JOB, '--until-caught-up'], env);
    expect(run.code, run.stderr).toBe(0);

    const docs = await lineDocuments(db);
    expect(docs.size).toBe(TOTAL);
    for (let n = 1; n <= TOTAL; n++) {
      const d = docs.get(lineId(n));
      if (d === undefined || Number(d['n']) !== n || d['text'] !== lineText(n)) {
        expect.fail(`line ${n} is ${JSON.stringify(d)} in Mongo`);
      }
    }
    // The replay is bounded: at most one batch per crash was sent twice.
    expect(inKafka.length - TOTAL).toBeLessThanOrEqual(2 * 100);
  });
});
