// Small-iteration latency in the scheduler daemon (issue 13): `krange schedule` runs the demo job on a
// one-second schedule (bench/jobs/clicks-every-second.ts) while a producer writes about `--rate`
// demo events per second to its topic, so each iteration reads about that many records. Two daemons
// alternate, `--seconds` each, `--rounds` times: warm (the default: worker threads, the job module
// and sink connections kept between iterations) and cold (`--no-warm-workers`: a pool started per
// iteration, as before). Per committed iteration it reports, from the daemon's JSON log:
//   tick to commit: the scheduled second (the tick) -> the iteration.committed line (the commit
//   file written); tick to done: -> the schedule.tick line (after the staging clean-up and the
//   lock's release); in-iteration: the outcome's durationMs (lock -> commit file written).
// The first iteration of each daemon (thread start, catching up the records produced while it
// started) is left out. `--vs <checkout>` alternates this checkout's warm daemon with another
// checkout's (its dist/ built) instead of the cold one: an A/B of a change. Usage:
//   node --import tsx bench/small-iteration.ts [--rate 1000] [--partitions 2] [--seconds 20] [--rounds 2] [--vs dir]

import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { clickEvent } from '../src/demo/clickstream-events.ts';
import { serviceEndpoints } from '../src/job/endpoints.ts';
import { createKafka } from '../src/kafka/kafka-client.ts';
import { option } from './lib/args.ts';
import { freshStateDir, ROOT } from './lib/engines.ts';
import { load } from './lib/machine.ts';
import { percentile, summarize } from './lib/stats.ts';

const rate = Number(option('--rate') ?? 1000);
const partitions = Number(option('--partitions') ?? 2);
const seconds = Number(option('--seconds') ?? 20);
const rounds = Number(option('--rounds') ?? 2);
const vs = option('--vs');

interface Variant {
  name: string;
  /** The checkout whose bin/krange.mjs and bench job run. */
  root: string;
  warm: boolean;
}
const variants: [Variant, Variant] = [
  { name: 'warm', root: ROOT, warm: true },
  vs === undefined
    ? { name: 'cold', root: ROOT, warm: false }
    : { name: `warm (${vs})`, root: resolve(vs), warm: true },
];
const stamp = Date.now();
const topic = `bench-small-${stamp}`;

interface Tick {
  time: number;
  /** The iteration.committed line's time (joined by iteration). */
  committedAt?: number;
  iteration?: number;
  event?: string;
  status?: string;
  records?: number;
  durationMs?: number;
  tasks?: number;
  pool?: { generation: number; threadIds: number[] };
}

const kafka = createKafka({ brokers: serviceEndpoints().kafkaBrokers, clientId: 'krange-bench-small' });
const admin = kafka.admin();
await admin.connect();
await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
await admin.disconnect();
const producer = kafka.producer({ allowAutoTopicCreation: false });
await producer.connect();

let produced = 0;
let producing = true;
/** About `rate` events a second, in 10 sends a second, round-robin over the partitions. */
async function produceLoop(): Promise<void> {
  const per = Math.max(1, Math.round(rate / 10));
  while (producing) {
    const next = Date.now() + 100;
    const messages = Array.from({ length: per }, () => {
      const e = clickEvent(produced);
      return { partition: produced++ % partitions, value: JSON.stringify(e) };
    });
    await producer.send({ topic, messages });
    await new Promise((r) => setTimeout(r, Math.max(0, next - Date.now())));
  }
}

/** One daemon for `seconds`: its committed ticks (the first left out). */
async function daemon(v: Variant, round: number): Promise<Tick[]> {
  const tag = `${v.warm ? 'warm' : 'cold'}-${v.root === ROOT ? 'a' : 'b'}`;
  const env = {
    ...process.env,
    KRANGE_STATE_DIR: freshStateDir(),
    KRANGE_LOG_FORMAT: 'json',
    KRANGE_CLICKSTREAM_TOPIC: topic,
    KRANGE_CLICKSTREAM_PATH: `webhdfs:///bench/small-iteration/${stamp}-${round}-${tag}`,
    KRANGE_BENCH_JOB: `bench-small-${tag}-${round}`,
    KAFKAJS_NO_PARTITIONER_WARNING: '1',
  };
  const job = join(v.root, 'bench/jobs/clicks-every-second.ts');
  const args = [join(v.root, 'bin/krange.mjs'), 'schedule', job, '--metrics-port', '0'];
  if (!v.warm) args.push('--no-warm-workers');
  const child = spawn(process.execPath, args, { cwd: v.root, env, stdio: ['ignore', 'ignore', 'pipe'] });
  const ticks: Tick[] = [];
  const committedAt = new Map<number, number>();
  let partial = '';
  child.stderr.on('data', (d: Buffer) => {
    const lines = (partial + d.toString()).split('\n');
    partial = lines.pop() ?? '';
    for (const l of lines) {
      if (!l.startsWith('{')) continue;
      const t = JSON.parse(l) as Tick;
      if (t.event === 'iteration.committed' && t.iteration !== undefined)
        committedAt.set(t.iteration, t.time);
      if (t.event === 'schedule.tick' && t.status === 'committed')
        ticks.push({ ...t, committedAt: committedAt.get(t.iteration ?? -1) ?? t.time });
    }
  });
  const exited = new Promise<number | null>((r) => child.on('exit', r));
  await new Promise((r) => setTimeout(r, seconds * 1000));
  child.kill('SIGTERM');
  const code = await exited;
  if (code !== 0) throw new Error(`krange schedule (${v.name}) exited ${code}`);
  return ticks.slice(1);
}

const loop = produceLoop();
const results = new Map<Variant, Tick[]>(variants.map((v) => [v, []]));
const loads: string[] = [load()];
try {
  // Let the producer reach its pace before the first daemon starts.
  await new Promise((r) => setTimeout(r, 2000));
  for (let r = 0; r < rounds; r++) {
    // Alternate which goes first, so neither always meets the same moment of the machine's load.
    for (const v of r % 2 === 0 ? variants : [...variants].reverse()) {
      const ticks = await daemon(v, r);
      results.get(v)!.push(...ticks);
      loads.push(load());
      process.stderr.write(`[bench] round ${r} ${v.name}: ${ticks.length} iterations\n`);
    }
  }
} finally {
  producing = false;
  await loop;
  await producer.disconnect();
}

const fmt = (v: number): string => (v / 1000).toFixed(3);
function row(name: string, ticks: Tick[]): string {
  // The scheduled second: the iteration started (durationMs before its commit) just after it.
  const tick = (t: Tick): number => Math.floor((t.committedAt! - t.durationMs!) / 1000) * 1000;
  const toCommit = ticks.map((t) => t.committedAt! - tick(t));
  const toDone = summarize(ticks.map((t) => t.time - tick(t)));
  const dur = ticks.map((t) => t.durationMs!);
  const recs = summarize(ticks.map((t) => t.records ?? 0));
  const s = summarize(toCommit);
  const d = summarize(dur);
  const pools = new Set(ticks.map((t) => t.pool?.generation ?? 0));
  return (
    `| ${name} | ${ticks.length} | ${recs.median} (${recs.min}-${recs.max}) | ` +
    `${fmt(s.median)} s | ${fmt(percentile(toCommit, 90))} s | ${fmt(s.min)}-${fmt(s.max)} s | ` +
    `${fmt(toDone.median)} s | ${fmt(d.median)} s (${fmt(d.min)}-${fmt(d.max)}) | ${name.startsWith('warm') ? pools.size : '-'} |`
  );
}

process.stdout.write(
  `\nsmall iterations: ~${rate} events/s on ${partitions} partition(s), ${rounds} round(s) of ${seconds} s per daemon, load ${loads.join(' -> ')}\n\n` +
    '| daemon | iterations | records/iteration, median (min-max) | tick to commit, median | p90 | min-max | tick to done, median | in-iteration (durationMs), median (min-max) | warm pools seen |\n' +
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n' +
    `${variants.map((v) => row(v.name, results.get(v)!)).join('\n')}\n`,
);
