// Renders a results JSON (bench/run.ts) as BENCHMARKS.md: the five summary lines first, in a fixed
// form a script can read, then the targets, the machine, one table per workload, and what limits
// us (the profile, plus the hand-written analysis in bench/analysis.md).
//
//   node --import tsx bench/render.ts [bench/results/latest.json] [> BENCHMARKS.md]

import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { STAGE_LABEL, STAGES } from './lib/cpuprofile.ts';
import type { MachineInfo } from './lib/machine.ts';
import type { EncoderBench } from './parquet-encoders.ts';
import type { AggregatorBench } from './workloads/aggregator.ts';
import type { LimitsResult } from './workloads/limits.ts';
import type { NoopResult } from './workloads/noop.ts';
import type { ProfileResult } from './workloads/profile.ts';
import type { ScalingResult } from './workloads/scaling.ts';
import type { SinkBench } from './workloads/sinks.ts';
import type { W1Result } from './workloads/w1.ts';

export interface BenchResults {
  runId: string;
  date: string;
  command: string;
  quick: boolean;
  config: Record<string, unknown>;
  machine: MachineInfo;
  /** Load average (1, 5, 15 min) when each workload started. */
  load: Record<string, string>;
  errors: Record<string, string>;
  encoders?: EncoderBench;
  w1?: W1Result;
  /** W1 over the same events as bare Avro values (bench/jobs/clicks-avro.ts vs Spark's from_avro). */
  w1avro?: W1Result;
  noop?: NoopResult;
  limits?: LimitsResult;
  profile?: ProfileResult;
  scaling?: ScalingResult;
  sinks?: SinkBench[];
  aggregator?: AggregatorBench;
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));

const int = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');
const sec = (ms: number, d = 2): string => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(d)} s` : 'n/a');
const mib = (b: number): string => (Number.isFinite(b) ? `${Math.round(b / 2 ** 20)} MiB` : 'n/a');
const pct = (x: number): string => (Number.isFinite(x) ? `${Math.round(x * 100)}%` : 'n/a');
const count = (n: number): string =>
  n >= 1_000_000 && n % 100_000 === 0
    ? `${n / 1_000_000}M`
    : n >= 1000 && n % 100 === 0
      ? `${n / 1000}k`
      : String(n);

function table(head: string[], rows: string[][], align?: ('l' | 'r')[]): string {
  const sep = head.map((_, i) => ((align?.[i] ?? (i === 0 ? 'l' : 'r')) === 'r' ? '---:' : ':---'));
  return [head, sep, ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
}

/** The five machine-readable lines. */
export function summaryLines(r: BenchResults): string[] {
  const ratio = r.w1?.ratio;
  const share = r.limits?.krangeShare;
  const big = r.scaling?.points.reduce(
    (a, p) => (p.records > (a?.records ?? 0) ? p : a),
    r.scaling.points[0],
  );
  const noop = r.noop?.durationMs.median;
  const s = r.aggregator?.sustained;
  const f = r.aggregator?.freshness;
  return [
    `W1 krange/Spark throughput: ${ratio === undefined ? 'n/a (Spark not run)' : `${ratio.toFixed(2)}x`}`,
    `W1 share of ceiling: ${share === undefined ? 'n/a' : pct(share)}`,
    `W1 peak RSS at ${big ? count(big.records) : '4M'}: ${big ? mib(big.peakRssBytes) : 'n/a'}`,
    `No-op iteration after start-up: ${noop === undefined || !Number.isFinite(noop) ? 'n/a' : sec(noop)}`,
    `Aggregator: ${s ? Math.round(s.recordsPerSec) : 'n/a'} rec/s, p99 freshness ${f ? sec(f.p99Ms, 1) : 'n/a'}`,
  ];
}

function targets(r: BenchResults): string {
  const rows: string[][] = [];
  const met = (ok: boolean | undefined) => (ok === undefined ? 'not measured' : ok ? 'yes' : '**no**');
  rows.push([
    'W1 throughput vs Spark',
    '>= 2x',
    r.w1?.ratio === undefined ? 'n/a' : `${r.w1.ratio.toFixed(2)}x`,
    met(r.w1?.ratio === undefined ? undefined : r.w1.ratio >= 2),
  ]);
  rows.push([
    'W1 share of the machine ceiling',
    '>= 60%',
    r.limits?.krangeShare === undefined
      ? 'n/a'
      : `${pct(r.limits.krangeShare)} (start-up excluded: ${pct(r.limits.krangeShareInProcess ?? Number.NaN)}` +
        `${r.limits.cpu ? `; of the CPU-side ceiling: ${pct(r.limits.cpu.krangeShare ?? Number.NaN)}` : ''})`,
    met(r.limits?.krangeShare === undefined ? undefined : r.limits.krangeShare >= 0.6),
  ]);
  const big = r.scaling?.points.at(-1);
  rows.push([
    `Peak RSS at ${big ? count(big.records) : '4M'}`,
    '<= 1 GiB',
    big ? mib(big.peakRssBytes) : 'n/a',
    met(big ? big.peakRssBytes <= 2 ** 30 : undefined),
  ]);
  rows.push([
    'No-op iteration after start-up',
    '<= 0.5 s',
    r.noop ? `${sec(r.noop.durationMs.median)} (process wall ${sec(r.noop.wallMs.median)})` : 'n/a',
    met(r.noop ? r.noop.durationMs.median <= 500 : undefined),
  ]);
  const s = r.aggregator?.sustained;
  const f = r.aggregator?.freshness;
  rows.push([
    'Aggregator sustained',
    '>= 100,000 rec/s',
    s ? `${int(s.recordsPerSec)} rec/s` : (r.aggregator?.skipped ?? 'n/a'),
    met(s ? s.recordsPerSec >= 100_000 : undefined),
  ]);
  rows.push([
    'Aggregator p99 freshness at 10k rec/s',
    '<= 2 s',
    f ? sec(f.p99Ms) : 'n/a',
    met(f ? f.p99Ms <= 2000 : undefined),
  ]);
  return table(['Target', 'Goal', 'Measured', 'Met'], rows, ['l', 'l', 'l', 'l']);
}

function machine(r: BenchResults): string {
  const m = r.machine;
  const lines = [
    `- ${m.cores} cores (${m.cpuModel}), ${m.memoryGiB} GiB memory, Linux ${m.kernel}; shared with other engineers' test runs, so expect noise (load average at the start of each workload below).`,
    `- Node ${m.node}; ${m.java}.`,
    `- ${Object.entries(m.versions)
      .map(([k, v]) => `${k} ${v}`)
      .join('; ')}.`,
    `- Services: the local stack (\`scripts/services\`): one Kafka broker, one HDFS NameNode + DataNode (replication 1), all on 127.0.0.1.`,
    `- Load average (1/5/15 min) at the start of: ${Object.entries(r.load)
      .map(([k, v]) => `${k} ${v}`)
      .join('; ')}.`,
  ];
  return lines.join('\n');
}

function w1(r: W1Result): string {
  const values = r.format === 'avro' ? 'bare Avro values, bench/avro/clickstream.avsc' : 'JSON values';
  const rows = [
    ['krange', r.krange] as const,
    ...(r.spark ? ([['Spark (local[2])', r.spark]] as const) : []),
  ].map(([name, e]) => [
    name,
    `${sec(e.wallMs.median)} (${sec(e.wallMs.min)} - ${sec(e.wallMs.max)})`,
    int(e.recordsPerSec),
    e.mbPerSec.toFixed(1),
    mib(e.peakRssBytes.median),
    sec(e.inProcessMs.median),
  ]);
  const runs = r.runs.map((x) => [
    `${x.engine} #${x.repeat}`,
    sec(x.wallMs),
    mib(x.peakRssBytes),
    x.inProcessMs === undefined ? 'n/a' : sec(x.inProcessMs),
    int(x.check.rows),
    `${int(x.files)} / ${mib(x.outputBytes)}`,
    x.check.checksum,
  ]);
  return [
    `${int(r.records)} demo events (${mib(r.payloadBytes)} of ${values}) on topic \`${r.topic}\` (8 partitions), produced before timing. ` +
      `Each run is a new process with a fresh state directory and a fresh HDFS path, timed from start to exit; ` +
      `${r.repeats} repeat(s), krange and Spark alternating (who goes first alternates too). MB/s is ${r.format === 'avro' ? 'Avro' : 'JSON'} payload read per second of wall time.` +
      (r.format === 'avro'
        ? ' krange runs `bench/jobs/clicks-avro.ts` (`avro({ schema })`, the columns from `fromAvroSchema` of the same file, Kafka partition and offset by `columns`); Spark runs `SparkClickstreamAvro` (`from_avro` of spark-avro with the same schema text); both write snappy Parquet partitioned by dt to HDFS.'
        : ''),
    '',
    table(['Engine', 'Wall, median (min - max)', 'Records/s', 'MB/s', 'Peak RSS', 'In-process¹'], rows),
    '',
    r.ratio === undefined
      ? 'Spark was not run (`--quick` without `--with-spark`).'
      : `**krange / Spark records/s: ${r.ratio.toFixed(2)}x.**`,
    '',
    `¹ krange: the outcome's \`durationMs\` (lock to commit, after start-up); Spark: the query alone (SparkSession start-up excluded).`,
    '',
    `Checks (DuckDB over the files downloaded from HDFS): ${r.checksOk ? `every run wrote ${int(r.records)} rows with the same checksum` : `**FAILED**: ${r.checkNotes.join('; ')}`}.`,
    '',
    table(['Run', 'Wall', 'Peak RSS', 'In-process', 'Rows', 'Files / size', 'Checksum'], runs),
  ].join('\n');
}

function limits(l: LimitsResult, w: W1Result | undefined): string {
  return [
    table(
      ['Measure', 'Value'],
      [
        [
          'Kafka ConsumerPerformance, fetch rate (median of runs)',
          `${int(l.kafka.recordsPerSec.median)} records/s (${l.kafka.mbPerSec.median.toFixed(1)} MB/s)`,
        ],
        [
          `Raw WebHDFS write, ${mib(l.hdfs.bytes)} in ${l.hdfs.files} files, ${l.hdfs.concurrency} at a time`,
          `${sec(l.hdfs.wallMs.median)} = ${l.hdfs.mbPerSec.toFixed(1)} MiB/s = ${int(l.hdfs.recordsPerSec)} W1 records/s`,
        ],
        ['Ceiling (the lower)', `${int(l.ceilingRecordsPerSec)} records/s (${l.bound})`],
        [
          'krange W1 (process wall time)',
          w
            ? `${int(w.krange.recordsPerSec)} records/s = **${pct(l.krangeShare ?? Number.NaN)}** of the ceiling`
            : 'n/a',
        ],
        [
          'krange W1 (in-process, start-up excluded)',
          `${pct(l.krangeShareInProcess ?? Number.NaN)} of the ceiling`,
        ],
        ...(l.cpu
          ? [
              [
                'CPU side: the task pipeline without I/O (`bench/experiments/pipeline.ts`), per core',
                `${int(l.cpu.recordsPerCoreSec.median)} records per CPU-second`,
              ],
              [
                `... x ${l.cpu.cores} workers: what the workers could do if fetch and upload were free`,
                `${int(l.cpu.recordsPerSec)} records/s; krange W1 = **${pct(l.cpu.krangeShare ?? Number.NaN)}** of it`,
              ],
            ]
          : []),
      ],
      ['l', 'l'],
    ),
    '',
    'Each side is measured alone; doing both at once on 2 cores (plus the broker and the DataNode) cannot reach the lower of the two, so this ceiling is generous. ' +
      'It also leaves out the CPU work any engine must do per record (parse the JSON, build and encode the columns): the last two rows measure that side.',
  ].join('\n');
}

/** ` (min - max over n runs)` for repeated measures, '' for one. */
function range(runs: number[] | undefined, unit: string): string {
  if (runs === undefined || runs.length < 2) return '';
  return ` (${int(Math.min(...runs))}${unit} - ${int(Math.max(...runs))}${unit} over ${runs.length} runs)`;
}

function scaling(s: ScalingResult): string {
  return [
    `\`krange run\` over the last N events of \`${s.topic}\` (fresh state positioned by \`krange reset\`, not timed)${s.points[0]?.runsWallMs ? `, ${s.points[0].runsWallMs.length} runs per size: wall is the median (min - max), the other columns are of the median run, peak RSS the highest of all runs` : ''}. Peak RSS: the whole process tree, sampled from /proc every 100 ms.`,
    '',
    table(
      [
        'Records',
        'Wall',
        'Records/s',
        'In-process',
        'Peak RSS (tree)',
        'Peak RSS (main pid)',
        'Rows checked',
      ],
      s.points.map((p) => [
        int(p.records),
        p.runsWallMs && p.runsWallMs.length > 1
          ? `${sec(p.wallMs)} (${sec(Math.min(...p.runsWallMs))} - ${sec(Math.max(...p.runsWallMs))})`
          : sec(p.wallMs),
        int(p.recordsPerSec),
        p.inProcessMs === undefined ? 'n/a' : sec(p.inProcessMs),
        mib(p.peakRssBytes),
        mib(p.peakMainRssBytes),
        int(p.rowsChecked),
      ]),
    ),
  ].join('\n');
}

function noop(n: NoopResult): string {
  return table(
    ['Measure (median of ' + n.repeats + ')', 'Time'],
    [
      [
        '`krange run` with nothing new: process wall time',
        `${sec(n.wallMs.median)} (${sec(n.wallMs.min)} - ${sec(n.wallMs.max)})`,
      ],
      [
        "... of which the outcome's `durationMs` (lock, plan against Kafka, decide: **after start-up**)",
        sec(n.durationMs.median),
      ],
      ['`krange --help` wall time (start-up alone: node and the compiled CLI)', sec(n.helpWallMs.median)],
      ['wall minus `--help` (job load, Kafka connect, plan, exit)', sec(n.afterStartupMs)],
    ],
    ['l', 'r'],
  );
}

const SINK_LABELS: Record<SinkBench['sink'], string> = {
  mongo: 'MongoDB-wire (upsert by _id)',
  redis: 'Redis (SET)',
  postgres: 'PostgreSQL (COPY + range marker, one transaction per task)',
  kafka: 'Kafka (one transaction per task, read_committed count)',
};

function sinks(list: SinkBench[]): string {
  const rows: string[][] = [];
  for (const s of list) {
    if (s.skipped || !s.krange) {
      rows.push([s.sink, int(s.records), `skipped: ${s.skipped ?? 'no result'}`, '', '', '', '']);
      continue;
    }
    const raw = s.raw ?? [];
    const best = Math.max(...raw.map((x) => x.perSec));
    rows.push([
      SINK_LABELS[s.sink],
      int(s.records),
      `${int(s.krange.perSec)}/s (${sec(s.krange.wallMs, 1)})${range(s.runsPerSec, '/s')}`,
      s.krange.perSecInProcess === undefined ? 'n/a' : `${int(s.krange.perSecInProcess)}/s`,
      int(s.krange.counted),
      raw.map((x, i) => `${x.label}: ${int(x.perSec)}/s${range(s.rawRunsPerSec?.[i], '/s')}`).join('<br>'),
      pct(s.krange.perSec / best),
    ]);
  }
  return [
    `krange jobs \`bench/jobs/clicks-<sink>.ts\` (the demo job with that sink) over the last N events of the scaling topic; the raw limits write the same documents from this host${list[0]?.runsPerSec ? `. ${list[0].runsPerSec.length} runs each, krange then raw alternating: medians, with min - max` : ''}.`,
    '',
    table(
      [
        'Sink',
        'Records',
        'krange (process wall)',
        'krange (in-process)',
        'Counted back',
        'Raw limit',
        'krange / best raw',
      ],
      rows,
    ),
  ].join('\n');
}

function aggregator(a: AggregatorBench): string {
  if (a.skipped) return `Skipped: ${a.skipped}.`;
  const out: string[] = [];
  const n = a.runsRecordsPerSec?.length ?? 1;
  if (n > 1)
    out.push(`${n} runs; each table shows the median run (sustained: by rate; freshness: by p99).`, '');
  const s = a.sustained;
  if (s) {
    out.push(
      table(
        ['Sustained (backlog)', 'Value'],
        [
          [
            'Backlog',
            `${int(s.records)} events (the W1 topic; the declarative demo job, read by the byte scanner)`,
          ],
          ['Start-up to first committed flush', sec(s.startupMs)],
          s.startupIncluded
            ? ['Wall time to the last offset stored (the first flush took the whole backlog)', sec(s.drainMs)]
            : ['Drain from first flush to last offset stored', sec(s.drainMs)],
          [
            `**Sustained rate**${s.startupIncluded ? ' (start-up included)' : ''}`,
            `**${int(s.recordsPerSec)} rec/s**${range(a.runsRecordsPerSec, ' rec/s')}`,
          ],
          ['Peak RSS', mib(s.peakRssBytes)],
          [
            'Counted back (count measure / stats table)',
            `${int(s.countedEvents)} / ${int(s.countedRecords)}`,
          ],
        ],
        ['l', 'l'],
      ),
    );
  }
  const f = a.freshness;
  if (f) {
    out.push(
      '',
      table(
        [`Freshness at ${int(f.targetPerSec)} rec/s`, 'Value'],
        [
          [
            'Produced',
            `${int(f.records)} events in ${f.seconds} s (${int(f.achievedPerSec)} rec/s achieved)`,
          ],
          ['p50', sec(f.p50Ms)],
          [
            '**p99**',
            `**${sec(f.p99Ms)}**${a.runsP99Ms && a.runsP99Ms.length > 1 ? ` (runs: ${a.runsP99Ms.map((v) => sec(v)).join(', ')})` : ''}`,
          ],
          ['max', sec(f.maxMs)],
          ['Not stored when observation ended', int(f.unresolved)],
          ['Peak RSS', mib(f.peakRssBytes)],
        ],
        ['l', 'l'],
      ),
      '',
      'Freshness: from the start of the produce request to the first 50 ms poll that sees the offset stored in PostgreSQL (stored in the same transaction as the window rows).',
    );
  }
  return out.join('\n');
}

function encoders(e: EncoderBench): string {
  const rows = e.results.map((r) => [
    r.encoder === 'parquet-wasm' ? 'parquet-wasm (krange: RowBatcher + parquet-encoder)' : r.encoder,
    r.error ? `failed: ${r.error.split('\n')[0]}` : int(r.rowsPerSec),
    mib(r.peakRssBytes),
    mib(r.fileBytes),
    int(r.check.rows),
    r.check.checksum,
  ]);
  return [
    `${int(e.rows)} demo rows -> one snappy Parquet file, row groups of ${int(e.rowGroupSize)}, each encoder in its own process (\`bench/parquet-encoders.ts\`); ` +
      'row generation is not timed; the file is read back by DuckDB.',
    '',
    table(['Encoder', 'Rows/s', 'Peak RSS', 'File', 'Rows read back', 'Checksum'], rows),
    '',
    e.consistent
      ? 'All files read back with the same row count and checksum.'
      : '**The files do not read back alike.**',
  ].join('\n');
}

function profile(p: ProfileResult): string {
  const s = p.summary;
  const busy = s.workerBusyMs;
  const total = s.threads.filter((t) => t.role === 'worker').reduce((a, t) => a + t.totalMs, 0);
  const stageRows = STAGES.filter((st) => st !== 'idle').map((st) => [
    STAGE_LABEL[st],
    int(s.workerStages[st]),
    pct(s.workerStages[st] / busy),
  ]);
  stageRows.push(['**busy total**', int(busy), '100%']);
  stageRows.push([
    STAGE_LABEL.idle,
    int(s.workerStages.idle),
    `(${pct(s.workerStages.idle / total)} of wall)`,
  ]);
  return [
    `One cold \`krange run\` of W1 (${int(p.records)} events, ${sec(p.wallMs)} with the profiler on) under \`node --cpu-prof\`; ` +
      `profiles in \`${p.dir}/\` (open in Chrome DevTools). Time of the ${s.threads.filter((t) => t.role === 'worker').length} worker threads, by stage ` +
      '(a sample counts for the deepest recognised frame on its stack):',
    '',
    table(['Stage', 'ms (workers)', 'Share of busy'], stageRows),
    '',
    'Hottest functions (self time, worker threads):',
    '',
    table(
      ['Function', 'Stage', 'ms', 'Share of busy'],
      s.topFunctions.map((f) => [
        `\`${f.name.replace(/\|/g, '\\|')}\``,
        f.stage,
        int(f.ms),
        pct(f.pct / 100),
      ]),
    ),
  ].join('\n');
}

export function renderMarkdown(r: BenchResults): string {
  const parts: string[] = [];
  parts.push(summaryLines(r).join('\n\n'));
  parts.push(`# Benchmarks\n\n${targets(r)}`);
  parts.push(
    `Measured ${r.date.slice(0, 16).replace('T', ' ')} UTC with \`${r.command}\`${r.quick ? ' (**quick**: tiny sizes, a smoke test; not representative)' : ''}; ` +
      `raw results in \`bench/results/${r.runId}${r.quick ? '-quick' : ''}.json\` (not committed). Re-render with \`node --import tsx bench/render.ts\`.`,
  );
  parts.push(`## Machine\n\n${machine(r)}`);
  if (r.w1) parts.push(`## W1: demo job vs Spark\n\n${w1(r.w1)}`);
  if (r.w1avro) parts.push(`## W1-Avro: the demo events as Avro vs Spark's from_avro\n\n${w1(r.w1avro)}`);
  if (r.limits) parts.push(`## Limits: the machine's ceiling for W1\n\n${limits(r.limits, r.w1)}`);
  if (r.scaling) parts.push(`## Scaling\n\n${scaling(r.scaling)}`);
  if (r.noop) parts.push(`## No-op iteration\n\n${noop(r.noop)}`);
  if (r.sinks) parts.push(`## Sinks: MongoDB, Redis, PostgreSQL and Kafka\n\n${sinks(r.sinks)}`);
  if (r.aggregator) parts.push(`## Aggregator into PostgreSQL\n\n${aggregator(r.aggregator)}`);
  if (r.encoders) parts.push(`## Parquet encoders\n\n${encoders(r.encoders)}`);
  const limitsText: string[] = [];
  if (r.profile) limitsText.push(`### Profile of W1\n\n${profile(r.profile)}`);
  const analysis = join(ROOT, 'bench/analysis.md');
  if (existsSync(analysis)) limitsText.push(readFileSync(analysis, 'utf8').trim());
  if (limitsText.length > 0) parts.push(`## What limits us\n\n${limitsText.join('\n\n')}`);
  // Hand-measured sections (small benches run on their own, e.g. bench/codec-decode.ts), kept as
  // markdown files so a re-render keeps them.
  const sections = join(ROOT, 'bench/sections');
  if (existsSync(sections)) {
    for (const f of readdirSync(sections)
      .filter((n) => n.endsWith('.md'))
      .sort()) {
      parts.push(readFileSync(join(sections, f), 'utf8').trim());
    }
  }
  const errs = Object.entries(r.errors);
  if (errs.length > 0) {
    parts.push(
      `## Workloads that failed in this run\n\n${errs.map(([k, v]) => `- **${k}**: \`${v.split('\n')[0]}\``).join('\n')}`,
    );
  }
  return `${parts.join('\n\n')}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const file = process.argv[2] ?? join(ROOT, 'bench/results/latest.json');
  const md = renderMarkdown(JSON.parse(readFileSync(file, 'utf8')) as BenchResults);
  if (process.argv[3]) writeFileSync(process.argv[3], md);
  else process.stdout.write(md);
}
