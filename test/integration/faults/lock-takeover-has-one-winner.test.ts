// Many contenders take over a lock whose owner is dead, round after round, at the same instant:
// exactly one of them may hold it each round (delete-then-create let two win about 1 round in 15).
// Contenders are worker threads running the real JobLock (compiled, from dist/) against the real
// file system.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const CONTENDERS = 8;
const ROUNDS = 40;

const contenderSource = (lockModule: string) => `
import { parentPort } from 'node:worker_threads';
import { JobLock } from ${JSON.stringify(lockModule)};
const flag = new Int32Array(new SharedArrayBuffer(4));
parentPort.on('message', async ({ path, at }) => {
  while (Date.now() < at) Atomics.wait(flag, 0, 0, 1);
  try {
    await new JobLock('j', path).acquire('contender');
    parentPort.postMessage('won');
  } catch (err) {
    parentPort.postMessage(err.code === 'KRANGE_LOCKED' ? 'locked' : 'error: ' + err.message);
  }
});
`;

describe('lock takeover', () => {
  let workers: Worker[] = [];
  let dir = '';
  let deadPid = 0;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'krange-lock-race-'));
    const lockModule = pathToFileURL(resolve('dist/state/job-lock.js')).href;
    writeFileSync(join(dir, 'contender.mjs'), contenderSource(lockModule));
    workers = Array.from({ length: CONTENDERS }, () => new Worker(join(dir, 'contender.mjs')));
    deadPid = Number(
      spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString(),
    );
  });
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.terminate()));
  });

  it(`has exactly one winner per round (${CONTENDERS} contenders, ${ROUNDS} rounds)`, async () => {
    const winners: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const state = join(dir, `round-${round}`);
      mkdirSync(state);
      const now = new Date().toISOString();
      const dead = {
        host: hostname(),
        pid: deadPid,
        pidStart: null,
        token: 'dead',
        acquiredAt: now,
        heartbeatAt: now,
        command: 'crashed',
      };
      if (round % 2 === 0) {
        // A lock.json left by a crashed runner.
        writeFileSync(join(state, 'lock.json'), JSON.stringify(dead));
      } else {
        // A generation claimed by a runner that crashed since.
        mkdirSync(join(state, 'lock-generations'));
        writeFileSync(
          join(state, 'lock-generations', '4.json'),
          JSON.stringify({ version: 1, generation: 4, ...dead }),
        );
      }
      const at = Date.now() + 50;
      const answers = await Promise.all(
        workers.map(
          (w) =>
            new Promise<string>((res) => {
              w.once('message', res);
              w.postMessage({ path: join(state, 'lock.json'), at });
            }),
        ),
      );
      expect(answers.filter((a) => a !== 'won' && a !== 'locked')).toEqual([]);
      winners.push(answers.filter((a) => a === 'won').length);
      const lock = JSON.parse(readFileSync(join(state, 'lock.json'), 'utf8'));
      expect(lock.version).toBe(1);
      expect(lock.generation).toBe(round % 2 === 0 ? 1 : 5);
    }
    expect(winners).toEqual(Array(ROUNDS).fill(1));
  });
});
