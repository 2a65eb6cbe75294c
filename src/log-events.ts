// Log event names, defined once so logs can be searched and parsed reliably.

export const LogEvents = {
  iterationPlanned: 'iteration.planned',
  iterationResumed: 'iteration.resumed',
  iterationCommitted: 'iteration.committed',
  iterationFailed: 'iteration.failed',
  iterationEmpty: 'iteration.empty',
  taskStarted: 'task.started',
  taskDone: 'task.done',
  taskRetry: 'task.retry',
  taskFailed: 'task.failed',
  dataLossSkipped: 'dataloss.skipped',
  lockTaken: 'lock.taken',
  lockStale: 'lock.stale',
  scheduleTick: 'schedule.tick',
  scheduleSkipped: 'schedule.skipped',
  scheduleStopping: 'schedule.stopping',
  aggregateFlushed: 'aggregate.flushed',
  aggregateLag: 'aggregate.lag',
  aggregateLate: 'aggregate.late',
} as const;
