// `krange plan <job>`: a dry run. The ranges and record estimates of the next iteration (or of the
// planned, uncommitted one), the records path and the schema it writes; changes nothing.

import type { Command } from 'commander';
import type { Logger } from 'pino';
import { buildPlan } from '../../batch/build-plan.ts';
import type { LoadedJob } from '../../job/job-loader.ts';
import { describeColumns } from '../../job/schema.ts';
import { connectAdmin } from '../../kafka/kafka-client.ts';
import { fastPathEnabled, fastPathRefusal, recordsPathLine } from '../../records/fast-path.ts';
import { columnarDisabled, columnarPathLine, columnarRefusal } from '../../sinks/parquet/columnar-plan.ts';
import { assertIdentity } from '../../state/state-identity.ts';
import { jobStateStore } from '../../state/state-store.ts';
import { fmtInt, table } from '../format.ts';
import { jobFromArg } from '../job-arg.ts';

export async function planCommand(jobName: string, flags: { json?: boolean }, logger: Logger): Promise<void> {
  const job = await jobFromArg(jobName);
  const store = jobStateStore(job.spec);
  await assertIdentity(store, job.spec, job.modulePath);
  const pending = await store.pendingIteration();
  const plan =
    pending !== undefined
      ? await store.readOffsets(pending)
      : await (async () => {
          const admin = await connectAdmin(job, logger);
          try {
            return await buildPlan(admin, job.spec, store, ((await store.latestIteration()) ?? -1) + 1);
          } finally {
            await admin.disconnect();
          }
        })();
  const refusal = fastPathRefusal(job.spec);
  const columnarWhyNot = columnarRefusal(job.spec);
  const columnarOn = columnarWhyNot === undefined && !columnarDisabled();
  // The byte scanner matters only for records the columnar path does not take.
  const records = columnarOn
    ? columnarPathLine(job.spec)
    : `${columnarPathLine(job.spec)}\n${recordsPathLine(job.spec)}`;
  if (flags.json) {
    const fastPath = {
      applies: refusal === undefined,
      enabled: fastPathEnabled(job.spec),
      ...(refusal === undefined ? {} : { reason: refusal }),
    };
    const columnar = {
      applies: columnarWhyNot === undefined,
      enabled: columnarOn,
      ...(columnarWhyNot === undefined ? {} : { reason: columnarWhyNot }),
    };
    const schema = describeColumns(job.spec.schema);
    const origin = job.schemaOrigin;
    process.stdout.write(
      `${JSON.stringify({ pending: pending !== undefined, ...plan, columnar, fastPath, schema, ...(origin === undefined ? {} : { schemaOrigin: origin }) }, null, 2)}\n`,
    );
    return;
  }
  const head =
    pending !== undefined
      ? `${job.spec.name}: iteration ${pending} is planned but not committed; the next run re-runs it`
      : `${job.spec.name}: iteration ${plan.iteration} would read (dry run, nothing written)`;
  const rows = plan.ranges.map((r) => [
    r.topic,
    String(r.partition),
    r.begin,
    r.end,
    fmtInt(Number(BigInt(r.end) - BigInt(r.begin))),
    String(plan.tasks.filter((t) => t.topic === r.topic && t.partition === r.partition).length),
  ]);
  const total = plan.ranges.reduce((s, r) => s + Number(BigInt(r.end) - BigInt(r.begin)), 0);
  process.stdout.write(
    `${head}\n${table(['topic', 'partition', 'begin', 'end', 'records', 'tasks'], rows)}\n` +
      `total: ${fmtInt(total)} records in ${plan.tasks.length} task(s)` +
      `${plan.skipped.length ? `; ${plan.skipped.length} range(s) would be skipped (data loss)` : ''}\n` +
      `${records}\n${describeSchema(job)}\n`,
  );
}

/** The columns every sink is written with: name, type, nullability, and where a derived schema came from. */
export function describeSchema(job: LoadedJob): string {
  const cols = describeColumns(job.spec.schema);
  const from = job.schemaOrigin === undefined ? 'declared in the job' : `from ${job.schemaOrigin.text}`;
  return (
    `schema written (${cols.length} column${cols.length === 1 ? '' : 's'}, ${from}):\n` +
    table(
      ['column', 'type', 'nullable'],
      cols.map((c) => [c.name, c.type, c.nullable ? 'yes' : 'no']),
    )
  );
}

export function registerPlanCommand(program: Command, logger: Logger): void {
  program
    .command('plan <job>')
    .description(
      'dry run: show the ranges and record estimates of the next iteration, and the schema (columns, types, nullability) it writes; changes nothing',
    )
    .option('--json', 'print the plan as JSON')
    .action((job: string, flags: { json?: boolean }) => planCommand(job, flags, logger));
}
