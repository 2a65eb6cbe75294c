// Who owns a window table, pure. The table's COMMENT records, after the `krange aggregate: ` prefix,
// what its rows mean (window, groupBy) and its owner: the job's name and the topics it read when it
// claimed the table. Two jobs must never add into the same rows (`a.b` and `a_b` both fold to
// `a_b_agg`), so an aggregator starting on a table decides here whether it may use it.

import { Errors, type KrangeError } from '../errors.ts';
import type { AggregatePlan } from '../job/aggregate/aggregate-plan.ts';

/** Marks the window table as ours; the JSON after it is the table's metadata. */
export const TABLE_COMMENT_PREFIX = 'krange aggregate: ';

export interface TableMetadata {
  version: 1;
  /** The owning job's name: its offsets and consumer group are keyed by it. */
  job?: string;
  /** The owner's topics when it claimed the table (names, or the pattern's source), for people. */
  topics?: string[];
  window?: unknown;
  groupBy?: unknown;
}

/** The metadata this plan writes when it creates or claims a table. */
export function tableMetadata(plan: AggregatePlan): string {
  const m: TableMetadata = {
    version: 1,
    job: plan.job,
    topics: plan.topics,
    window: plan.window,
    groupBy: plan.groupBy.map((g) => g.column),
  };
  return JSON.stringify(m);
}

export type OwnerDecision =
  /** The plan's job owns the table. */
  | { kind: 'owned' }
  /** The table has krange's metadata but no owner (made before owners were recorded): the plan claims it. */
  | { kind: 'claim' };

/**
 * Decides whether the plan's job may write into an existing table with this comment: refused when
 * the table is not krange's, belongs to another job, or holds other windows or groups.
 */
export function checkTableOwner(plan: AggregatePlan, comment: string | null): OwnerDecision {
  if (comment === null || !comment.startsWith(TABLE_COMMENT_PREFIX)) {
    throw Errors.config(
      `table '${plan.table}' exists but was not created by 'krange aggregate'; set aggregate.table to another name`,
      { table: plan.table },
    );
  }
  let had: TableMetadata;
  try {
    had = JSON.parse(comment.slice(TABLE_COMMENT_PREFIX.length)) as TableMetadata;
  } catch {
    throw unreadable(plan, comment);
  }
  if (typeof had !== 'object' || had === null) throw unreadable(plan, comment);
  if (typeof had.job === 'string' && had.job !== '' && had.job !== plan.job) {
    throw Errors.tableOwned({
      table: plan.table,
      job: plan.job,
      owner: had.job,
      ownerTopics: Array.isArray(had.topics) ? had.topics.join(', ') : 'not recorded',
    });
  }
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  const want = { window: plan.window, groupBy: plan.groupBy.map((g) => g.column) };
  if (!same(had.window, want.window) || !same(had.groupBy, want.groupBy)) {
    throw Errors.config(
      `table '${plan.table}' holds windows ${JSON.stringify(had.window)} grouped by ${JSON.stringify(had.groupBy)}, ` +
        `the job now wants ${JSON.stringify(want.window)} grouped by ${JSON.stringify(want.groupBy)}; ` +
        'rows cannot be converted: set aggregate.table to a new name (and the job a new name, for fresh offsets)',
      { table: plan.table },
    );
  }
  return typeof had.job === 'string' && had.job !== '' ? { kind: 'owned' } : { kind: 'claim' };
}

function unreadable(plan: AggregatePlan, comment: string): KrangeError {
  return Errors.config(
    `table '${plan.table}' has an unreadable krange comment (${comment.slice(0, 120)}); ` +
      'restore it, or set aggregate.table to another name',
    { table: plan.table },
  );
}
