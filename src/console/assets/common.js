// Shared by the console's pages. Every value from the API is user data (job, topic and field
// names, file paths): it reaches the page only through textContent and attribute setters, never
// as markup. Charts are uPlot; each chart's data is kept on window.krangeCharts for the tests.

window.krangeCharts = {};

function el(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k === 'text') node.textContent = String(v);
    else if (k === 'onclick') node.addEventListener('click', v);
    else if (k === 'style') node.style.cssText = v;
    else node.setAttribute(k, String(v));
  }
  // Nested arrays (a row of cells per item) flatten fully: one level would turn them into text.
  for (const c of children.flat(Number.POSITIVE_INFINITY)) {
    if (c === undefined || c === null || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
}

const fmt = {
  int: (n) => (n === null || n === undefined ? '-' : Number(n).toLocaleString('en-US')),
  bytes: (n) => {
    if (n === null || n === undefined) return '-';
    const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let i = 0;
    let v = Number(n);
    while (v >= 1024 && i < u.length - 1) {
      v /= 1024;
      i++;
    }
    return `${v.toFixed(i === 0 ? 0 : 1)} ${u[i]}`;
  },
  secs: (ms) => (ms === null || ms === undefined ? '-' : `${(ms / 1000).toFixed(2)} s`),
  rate: (n) => (n === null || n === undefined ? '-' : `${Number(n).toLocaleString('en-US')} rec/s`),
  time: (iso) =>
    iso
      ? new Date(iso)
          .toISOString()
          .replace('T', ' ')
          .replace(/\.\d+Z$/, 'Z')
      : '-',
};

function token() {
  return document.getElementById('token').value || sessionStorage.getItem('krange-token') || '';
}

async function api(path, opts) {
  const o = opts || {};
  const headers = { accept: 'application/json' };
  if (o.body !== undefined) headers['content-type'] = 'application/json';
  if (o.auth) {
    const t = token();
    if (t) headers.authorization = `Bearer ${t}`;
  }
  const res = await fetch(path, {
    method: o.method || 'GET',
    headers,
    body: o.body === undefined ? undefined : JSON.stringify(o.body),
  });
  const data = await res.json().catch(() => ({ message: res.statusText }));
  if (!res.ok) {
    const err = new Error(data.message || `HTTP ${res.status}`);
    err.status = res.status;
    throw err;
  }
  return data;
}

/** Shows the confirm dialog; resolves true when confirmed. */
function confirmAction(title, body) {
  const dlg = document.getElementById('confirm');
  document.getElementById('confirm-title').textContent = title;
  clear(document.getElementById('confirm-body')).append(...[body].flat());
  dlg.showModal();
  return new Promise((resolve) => {
    const done = (ok) => {
      dlg.close();
      yes.removeEventListener('click', onYes);
      no.removeEventListener('click', onNo);
      resolve(ok);
    };
    const yes = document.getElementById('confirm-yes');
    const no = document.getElementById('confirm-no');
    const onYes = () => done(true);
    const onNo = () => done(false);
    yes.addEventListener('click', onYes);
    no.addEventListener('click', onNo);
  });
}

function notice(text, isError) {
  const n = el('div', { class: isError ? 'notice error' : 'notice', role: 'status', text });
  document.getElementById('main').prepend(n);
  setTimeout(() => n.remove(), 15000);
  return n;
}

/** A line chart; series: [{label, values}], x in seconds. Replaces an earlier chart of the same name. */
function lineChart(name, container, title, xs, series, opts) {
  window.krangeCharts[name] = { x: xs, series: series.map((s) => ({ label: s.label, values: s.values })) };
  clear(container);
  if (typeof uPlot === 'undefined') return;
  const colours = [
    '#2f6fde',
    '#2e9e5b',
    '#d99a14',
    '#d23b3b',
    '#7b4fd1',
    '#1a9aa6',
    '#b05a2f',
    '#6b7682',
    '#e0559a',
    '#4d7c0f',
  ];
  const width = Math.max(container.clientWidth || 600, 320);
  const o = {
    title,
    width,
    height: 240,
    scales: { x: { time: !opts?.xNumeric } },
    series: [
      {},
      ...series.map((s, i) => ({
        label: s.label,
        stroke: colours[i % colours.length],
        width: 2,
        points: { show: xs.length < 60 },
      })),
    ],
    axes: [{}, { size: 70 }],
  };
  new uPlot(o, [xs, ...series.map((s) => s.values)], container);
}

function poll(fn, ms) {
  let stopped = false;
  const loop = async () => {
    if (stopped) return;
    try {
      await fn();
      document.getElementById('status').textContent = `updated ${new Date().toLocaleTimeString()}`;
    } catch (e) {
      document.getElementById('status').textContent = `update failed: ${e.message}`;
    }
    setTimeout(loop, ms);
  };
  loop();
  return () => {
    stopped = true;
  };
}

function healthDot(h, reason) {
  return el('span', { class: `dot health-${h}`, title: reason, 'data-health': h });
}

function progressBar(done, planned) {
  const pct = planned > 0 ? Math.min(100, (100 * done) / planned) : 100;
  return el(
    'div',
    {
      class: pct >= 100 ? 'bar done' : 'bar',
      title: `${fmt.int(done)} / ${fmt.int(planned)}`,
      'data-pct': pct.toFixed(1),
    },
    el('span', { style: `width:${pct.toFixed(1)}%` }),
  );
}

function jobLink(name) {
  return el('a', { href: `/jobs/${encodeURIComponent(name)}`, text: name });
}

document.addEventListener('DOMContentLoaded', () => {
  const input = document.getElementById('token');
  input.value = sessionStorage.getItem('krange-token') || '';
  input.addEventListener('change', () => sessionStorage.setItem('krange-token', input.value));
});
