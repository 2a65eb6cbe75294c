// The job page: iteration timeline, lag per partition now and at each plan, throughput, files
// (schema and row count on click), bad records, the next iteration's plan (dry run), actions.

const jobName = decodeURIComponent(location.pathname.replace(/^\/jobs\//, ''));
const base = `/api/jobs/${encodeURIComponent(jobName)}`;
let lastIterationsKey = '';

function section(id, title) {
  let s = document.getElementById(id);
  if (!s) {
    s = el('section', { id }, el('h2', { text: title }), el('div', { class: 'body' }));
    document.getElementById('main').append(s);
  }
  return clear(s.querySelector('.body'));
}

function timeline(its) {
  return el(
    'table',
    { id: 'timeline' },
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        [
          'iteration',
          'status',
          'planned',
          'committed',
          'records',
          'planned records',
          'rows',
          'bytes',
          'bad',
          'tasks',
          'duration',
          'rate',
          '',
        ].map((h) => el('th', { text: h })),
      ),
    ),
    el(
      'tbody',
      {},
      [...its]
        .reverse()
        .slice(0, 50)
        .map((i) =>
          el(
            'tr',
            { 'data-iteration': i.iteration },
            el('td', { text: `#${i.iteration}` }),
            el('td', {}, el('span', { class: `status status-${i.status}`, text: i.status })),
            el('td', { text: fmt.time(i.plannedAt) }),
            el('td', { text: fmt.time(i.committedAt) }),
            el('td', { class: 'num', text: fmt.int(i.records) }),
            el('td', { class: 'num', text: fmt.int(i.plannedRecords) }),
            el('td', { class: 'num', text: fmt.int(i.rows) }),
            el('td', { class: 'num', text: fmt.bytes(i.bytes) }),
            el('td', { class: 'num', text: fmt.int(i.badRecords) }),
            el('td', { class: 'num', text: fmt.int(i.tasks) }),
            el('td', { class: 'num', text: fmt.secs(i.durationMs) }),
            el('td', { class: 'num', text: fmt.rate(i.rate) }),
            el(
              'td',
              {},
              i.status === 'committed'
                ? el('button', {
                    type: 'button',
                    class: 'rerun',
                    onclick: () => rerun(i.iteration),
                    text: 'Rerun',
                  })
                : '',
            ),
          ),
        ),
    ),
  );
}

function lagCharts(d) {
  const keys = [...new Set(d.lagHistory.flatMap((p) => Object.keys(p.backlog)))].sort();
  const xs = d.lagHistory.map((p) => p.at / 1000);
  const series = keys.map((k) => ({ label: k, values: d.lagHistory.map((p) => p.backlog[k] ?? null) }));
  // The newest point: lag now.
  if (d.lagNow.length > 0) {
    xs.push(Date.now() / 1000);
    for (const s of series) {
      const p = d.lagNow.find((q) => `${q.topic}:${q.partition}` === s.label);
      s.values.push(p && p.lag !== null ? p.lag : null);
    }
  }
  lineChart(
    'lag',
    document.getElementById('lag-chart'),
    'lag (records) per partition: at each plan, and now',
    xs,
    series,
  );
  const its = d.iterations.filter((i) => i.status === 'committed');
  lineChart(
    'throughput',
    document.getElementById('throughput-chart'),
    'throughput (records/s) per iteration',
    its.map((i) => Date.parse(i.committedAt) / 1000),
    [{ label: 'records/s', values: its.map((i) => i.rate) }],
  );
}

async function showFile(path) {
  try {
    const f = await api(`${base}/file?path=${encodeURIComponent(path)}`);
    await confirmAction(path, [
      el('p', { text: `${fmt.int(f.rows)} rows, ${fmt.bytes(f.bytes)}, written by ${f.sink}` }),
      el(
        'table',
        { id: 'file-schema' },
        el(
          'thead',
          {},
          el(
            'tr',
            {},
            el('th', { text: 'field' }),
            el('th', { text: 'type' }),
            el('th', { text: 'nullable' }),
          ),
        ),
        el(
          'tbody',
          {},
          f.fields.map((x) =>
            el(
              'tr',
              {},
              el('td', { text: x.name }),
              el('td', { text: x.type }),
              el('td', { text: x.nullable ? 'yes' : 'no' }),
            ),
          ),
        ),
      ),
    ]);
  } catch (e) {
    notice(`cannot open ${path}: ${e.message}`, true);
  }
}

async function showPlan() {
  const body = section('plan', 'Next iteration (dry run)');
  try {
    const p = await api(`${base}/plan`);
    const total = p.ranges.reduce((s, r) => s + Number(BigInt(r.end) - BigInt(r.begin)), 0);
    body.append(
      el('p', {
        text: p.pending
          ? `iteration ${p.iteration} is planned but not committed; the next run re-runs it`
          : `iteration ${p.iteration} would read ${fmt.int(total)} records in ${p.tasks.length} task(s)`,
      }),
      el(
        'table',
        { id: 'plan-table' },
        el(
          'thead',
          {},
          el(
            'tr',
            {},
            ['topic', 'partition', 'begin', 'end', 'records'].map((h) => el('th', { text: h })),
          ),
        ),
        el(
          'tbody',
          {},
          p.ranges.map((r) =>
            el(
              'tr',
              {},
              el('td', { text: r.topic }),
              el('td', { text: r.partition }),
              el('td', { class: 'num', text: r.begin }),
              el('td', { class: 'num', text: r.end }),
              el('td', { class: 'num', text: fmt.int(Number(BigInt(r.end) - BigInt(r.begin))) }),
            ),
          ),
        ),
      ),
    );
  } catch (e) {
    body.append(el('p', { class: 'error', text: `no dry run: ${e.message}` }));
  }
}

async function refresh() {
  const d = await api(base);
  const head = section('head', '');
  head.append(
    el(
      'h1',
      {},
      healthDot(d.summary.health, d.summary.healthReason),
      el('span', { id: 'job-name', text: d.name }),
    ),
    el('p', { class: 'muted', text: `${d.summary.description || ''} ${d.summary.healthReason}` }),
    el(
      'p',
      {},
      el('button', { type: 'button', id: 'run-now', onclick: runNow, text: 'Run now' }),
      ' ',
      el('input', {
        id: 'reset-to',
        placeholder: 'earliest | latest | {"topic":{"0":23}} | 2026-01-01T00:00:00Z',
        size: 44,
      }),
      ' ',
      el('button', { type: 'button', id: 'reset', onclick: reset, text: 'Reset…' }),
      d.summary.aggregate
        ? [' ', el('a', { href: `/aggregates/${encodeURIComponent(d.name)}`, text: 'aggregates' })]
        : '',
    ),
  );
  const prog = section('progress', 'Running');
  if (d.running) {
    const done = d.running.tasks.reduce((s, t) => s + t.records, 0);
    const planned = d.running.tasks.reduce((s, t) => s + t.planned, 0);
    prog.append(
      el('p', { text: `iteration ${d.running.iteration}: ${fmt.int(done)} of ${fmt.int(planned)} records` }),
      progressBar(done, planned),
      el(
        'div',
        { class: 'tasks' },
        d.running.tasks.map((t) => [
          el('span', { class: 'muted', text: `${t.topic}[${t.partition}] ${t.state}` }),
          progressBar(t.records, t.planned),
          el('span', { class: 'muted', text: fmt.int(t.records) }),
        ]),
      ),
    );
  } else prog.append(el('p', { class: 'muted', text: 'no iteration running' }));
  const key = JSON.stringify([d.iterations.map((i) => [i.iteration, i.status]), d.lagNow.map((p) => p.lag)]);
  if (key !== lastIterationsKey) {
    lastIterationsKey = key;
    section('timeline-section', 'Iterations').append(timeline(d.iterations));
    const lag = section('lag', 'Lag');
    lag.append(
      el(
        'table',
        { id: 'lag-now' },
        el(
          'thead',
          {},
          el(
            'tr',
            {},
            ['topic', 'partition', 'committed', 'log end', 'lag'].map((h) => el('th', { text: h })),
          ),
        ),
        el(
          'tbody',
          {},
          d.lagNow.map((p) =>
            el(
              'tr',
              {},
              el('td', { text: p.topic }),
              el('td', { text: p.partition }),
              el('td', { class: 'num', text: p.committed ?? '-' }),
              el('td', { class: 'num', text: p.logEnd ?? '-' }),
              el('td', { class: 'num', text: fmt.int(p.lag) }),
            ),
          ),
        ),
      ),
      el('div', { id: 'lag-chart', class: 'chart' }),
      el('div', { id: 'throughput-chart', class: 'chart' }),
    );
    lagCharts(d);
    const bad = section('bad', 'Bad records');
    bad.append(
      el('p', {
        id: 'bad-records',
        text: `${fmt.int(d.badRecords.total)} bad record(s) in the iterations shown; policy ${d.badRecords.policy}${d.badRecords.deadLetter ? `, dead letters to ${d.badRecords.deadLetter}` : ''}`,
      }),
    );
    const files = section('files', 'Files written (newest commits)');
    files.append(
      el(
        'table',
        { id: 'files-table' },
        el(
          'thead',
          {},
          el(
            'tr',
            {},
            ['iteration', 'task', 'file'].map((h) => el('th', { text: h })),
          ),
        ),
        el(
          'tbody',
          {},
          d.files.slice(0, 200).map((f) =>
            el(
              'tr',
              {},
              el('td', { text: `#${f.iteration}` }),
              el('td', { text: f.task }),
              el(
                'td',
                {},
                f.sink.startsWith('parquet:')
                  ? el('a', {
                      href: '#',
                      class: 'file-link',
                      'data-path': f.path,
                      onclick: (ev) => {
                        ev.preventDefault();
                        showFile(f.path);
                      },
                      text: f.path,
                    })
                  : el('span', { text: f.path }),
              ),
            ),
          ),
        ),
      ),
    );
    if (!document.getElementById('plan')) showPlan();
  }
}

document.addEventListener('DOMContentLoaded', () => poll(refresh, 1000));
