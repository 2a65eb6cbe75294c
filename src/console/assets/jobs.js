// The jobs page: every job with its schedule, last iteration, lag, next run and health; a progress
// bar per task while an iteration runs. Polls /api/jobs every second.

async function runNow(name) {
  const ok = await confirmAction(`Run ${name} now?`, [
    el('p', { text: `Starts one iteration of job ${name} (an uncommitted plan is re-run first).` }),
  ]);
  if (!ok) return;
  try {
    const r = await api(`/api/jobs/${encodeURIComponent(name)}/run`, {
      method: 'POST',
      auth: true,
      body: {},
    });
    notice(`started ${r.command.join(' ')} (pid ${r.pid})`);
  } catch (e) {
    notice(`run refused: ${e.message}`, true);
  }
}

function taskBars(running) {
  return el(
    'div',
    { class: 'tasks' },
    running.tasks.map((t) => {
      const bar = progressBar(t.records, t.planned);
      bar.classList.add('task-bar');
      bar.setAttribute('data-task', t.id);
      bar.setAttribute('data-state', t.state);
      bar.setAttribute('data-records', String(t.records));
      bar.setAttribute('data-planned', String(t.planned));
      return [
        el('span', { class: 'muted', text: `${t.topic}[${t.partition}] ${t.state}` }),
        bar,
        el('span', { class: 'muted', text: `${fmt.int(t.records)} / ${fmt.int(t.planned)}` }),
      ];
    }),
  );
}

function row(j) {
  const last = j.last;
  const running = j.running;
  const lastCell = last
    ? [
        el('span', { class: `status status-${last.status}`, text: `#${last.iteration} ${last.status}` }),
        ' ',
        el('span', { class: 'muted', text: fmt.time(last.committedAt || last.plannedAt) }),
      ]
    : el('span', { class: 'muted', text: 'never run' });
  const progress = running
    ? [
        progressBar(
          running.tasks.reduce((s, t) => s + t.records, 0),
          running.tasks.reduce((s, t) => s + t.planned, 0),
        ),
        taskBars(running),
      ]
    : '';
  return el(
    'tr',
    { 'data-job': j.name },
    el('td', {}, healthDot(j.health, j.healthReason), el('span', { class: 'muted', text: j.healthReason })),
    el(
      'td',
      {},
      jobLink(j.name),
      j.aggregate
        ? [' ', el('a', { href: `/aggregates/${encodeURIComponent(j.name)}`, text: 'aggregates' })]
        : '',
      j.description ? el('div', { class: 'muted', text: j.description }) : '',
      j.loadError ? el('div', { class: 'error', text: j.loadError }) : '',
    ),
    el('td', { text: j.topics.join(', ') }),
    el('td', {
      text: j.schedule ? `${j.schedule.cron}${j.schedule.timezone ? ` (${j.schedule.timezone})` : ''}` : '-',
    }),
    el('td', { text: fmt.time(j.nextRun) }),
    el('td', {}, lastCell),
    el('td', { class: 'num', text: last ? fmt.int(last.records) : '-' }),
    el('td', { class: 'num', text: last ? fmt.secs(last.durationMs) : '-' }),
    el('td', { class: 'num', text: last ? fmt.rate(last.rate) : '-' }),
    el('td', { class: 'num', 'data-lag': j.totalLag === null ? '' : j.totalLag, text: fmt.int(j.totalLag) }),
    el('td', { class: 'progress', 'data-iteration': running ? running.iteration : undefined }, progress),
    el(
      'td',
      {},
      j.loadError
        ? ''
        : el('button', { type: 'button', class: 'run-now', onclick: () => runNow(j.name), text: 'Run now' }),
    ),
  );
}

async function refresh() {
  const data = await api('/api/jobs');
  const main = document.getElementById('main');
  const table = el(
    'table',
    { id: 'jobs' },
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        [
          'health',
          'job',
          'topics',
          'schedule',
          'next run',
          'last iteration',
          'records',
          'duration',
          'rate',
          'lag',
          'progress',
          '',
        ].map((h) => el('th', { text: h })),
      ),
    ),
    el('tbody', {}, data.jobs.map(row)),
  );
  const old = document.getElementById('jobs');
  if (old) old.replaceWith(table);
  else main.append(el('h2', { text: 'Jobs' }), table);
}

document.addEventListener('DOMContentLoaded', () => poll(refresh, 1000));
