// The aggregates page: recent windows of the job's aggregate table as charts (first measure per
// window, one series per value of the first groupBy field), stored offset vs log end per
// partition, and freshness.

const aggJob = decodeURIComponent(location.pathname.replace(/^\/aggregates\//, ''));

function box(id, title) {
  let s = document.getElementById(id);
  if (!s) {
    s = el('section', { id }, el('h2', { text: title }), el('div', { class: 'body' }));
    document.getElementById('main').append(s);
  }
  return clear(s.querySelector('.body'));
}

function windowCharts(v) {
  const body = box('windows', `Recent windows of ${v.table}`);
  if (v.error) body.append(el('p', { class: 'error', text: v.error }));
  if (v.windows.length === 0) {
    body.append(el('p', { class: 'muted', text: 'no windows yet (is krange aggregate running?)' }));
    return;
  }
  const group = v.groupBy[0];
  const starts = [...new Set(v.windows.map((w) => w.start))].sort((a, b) => a - b);
  const idx = new Map(starts.map((s, i) => [s, i]));
  for (const m of v.measures.slice(0, 2)) {
    const totals = new Map();
    for (const w of v.windows)
      totals.set(w.groups[group], (totals.get(w.groups[group]) || 0) + (w.measures[m] || 0));
    const top = [...totals.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 8)
      .map((e) => e[0]);
    const series = top.map((g) => {
      const values = starts.map(() => 0);
      for (const w of v.windows) if (w.groups[group] === g) values[idx.get(w.start)] += w.measures[m] || 0;
      return { label: g, values };
    });
    const div = el('div', { id: `chart-${m}`, class: 'chart' });
    body.append(div);
    lineChart(
      `windows-${m}`,
      div,
      `${m} per ${v.windowMs / 1000} s window by ${group}`,
      starts.map((s) => s / 1000),
      series,
    );
  }
}

async function refresh() {
  const v = await api(`/api/aggregates/${encodeURIComponent(aggJob)}`);
  const head = box('head', '');
  head.append(el('h1', {}, el('span', { text: 'Aggregates of ' }), jobLink(v.job)));
  windowCharts(v);
  const parts = box('partitions', 'Stored offset vs log end');
  parts.append(
    el(
      'table',
      { id: 'agg-partitions' },
      el(
        'thead',
        {},
        el(
          'tr',
          {},
          [
            'topic',
            'partition',
            'stored offset',
            'log end',
            'lag',
            'newest event',
            'freshness',
            'records',
            'late',
            'bad',
            'updated',
          ].map((h) => el('th', { text: h })),
        ),
      ),
      el(
        'tbody',
        {},
        v.partitions.map((p) =>
          el(
            'tr',
            {},
            el('td', { text: p.topic }),
            el('td', { text: p.partition }),
            el('td', { class: 'num', text: p.nextOffset ?? '-' }),
            el('td', { class: 'num', text: p.highWatermark ?? '-' }),
            el('td', { class: 'num', text: p.lag ?? '-' }),
            el('td', { text: fmt.time(p.maxEventTime) }),
            el('td', {
              class: 'num',
              text: p.maxEventTime ? fmt.secs(v.readAt - Date.parse(p.maxEventTime)) : '-',
            }),
            el('td', { class: 'num', text: fmt.int(p.records) }),
            el('td', { class: 'num', text: fmt.int(p.lateEvents) }),
            el('td', { class: 'num', text: fmt.int(p.badRecords) }),
            el('td', { text: fmt.time(p.updatedAt) }),
          ),
        ),
      ),
    ),
  );
  const offsets = el('div', { id: 'offsets-chart', class: 'chart' });
  parts.append(offsets);
  lineChart(
    'offsets',
    offsets,
    'stored offset and log end per partition',
    v.partitions.map((_p, i) => i),
    [
      {
        label: 'stored offset',
        values: v.partitions.map((p) => (p.nextOffset === null ? null : Number(p.nextOffset))),
      },
      {
        label: 'log end',
        values: v.partitions.map((p) => (p.highWatermark === null ? null : Number(p.highWatermark))),
      },
    ],
    { xNumeric: true },
  );
}

document.addEventListener('DOMContentLoaded', () => poll(refresh, 5000));
