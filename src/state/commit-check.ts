// Whether a commit file really commits its plan: same job, same iteration, same ranges and tasks.
// `run` trusts a commit only after this check, so an empty, truncated, foreign or hand-edited
// commit can never make an uncommitted plan look done (its records would never be written).

type Range = { topic: string; partition: number; begin: string; end: string };

/** The parts of a plan (offsets/<n>.json) and of a commit (commits/<n>.json) that must agree. */
interface PlanPart {
  job: string;
  iteration: number;
  ranges: Range[];
  tasks: Range[];
}
interface CommitPart extends Omit<PlanPart, 'ranges'> {
  jobId?: string | undefined;
  ranges?: Range[] | undefined;
}

function key(r: Range): string {
  return `${r.topic}:${r.partition}:${r.begin}-${r.end}`;
}

function sameRanges(a: Range[], b: Range[]): string | undefined {
  const want = new Set(a.map(key));
  const got = new Set(b.map(key));
  const missing = [...want].filter((k) => !got.has(k));
  const extra = [...got].filter((k) => !want.has(k));
  if (missing.length === 0 && extra.length === 0 && a.length === b.length) return undefined;
  const parts = [];
  if (missing.length > 0) parts.push(`missing ${missing.slice(0, 3).join(', ')}`);
  if (extra.length > 0) parts.push(`not planned ${extra.slice(0, 3).join(', ')}`);
  if (parts.length === 0) parts.push(`${b.length} entries where the plan has ${a.length}`);
  return parts.join('; ');
}

/** Why `commit` does not commit `plan` (and metadata's `jobId`), or undefined when it does. */
export function commitMismatch(
  plan: PlanPart,
  commit: CommitPart,
  jobId: string | undefined,
): string | undefined {
  if (commit.job !== plan.job) return `it names job '${commit.job}', the plan job '${plan.job}'`;
  if (commit.iteration !== plan.iteration)
    return `it names iteration ${commit.iteration}, the plan ${plan.iteration}`;
  if (commit.jobId !== undefined && jobId !== undefined && commit.jobId !== jobId)
    return `it was written for job id ${commit.jobId}, this state directory belongs to ${jobId}`;
  if (commit.ranges !== undefined) {
    const r = sameRanges(plan.ranges, commit.ranges);
    if (r !== undefined) return `its ranges differ from the plan's: ${r}`;
  }
  const t = sameRanges(plan.tasks, commit.tasks);
  if (t !== undefined) return `its tasks differ from the plan's: ${t}`;
  return undefined;
}
