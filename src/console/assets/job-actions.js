// The job page's actions (rerun, run now, reset with its preview), each confirmed first and sent with
// the console token. Loaded before job.js, which defines jobName and base and wires the buttons.

async function rerun(n) {
  if (
    !(await confirmAction(
      `Rerun iteration ${n} of ${jobName}?`,
      el('p', { text: 'Re-processes the saved plan idempotently; the committed position does not move.' }),
    ))
  )
    return;
  try {
    const r = await api(`${base}/rerun`, { method: 'POST', auth: true, body: { iteration: n } });
    notice(`started ${r.command.join(' ')} (pid ${r.pid})`);
  } catch (e) {
    notice(`rerun refused: ${e.message}`, true);
  }
}

async function runNow() {
  if (!(await confirmAction(`Run ${jobName} now?`, el('p', { text: 'Starts one iteration.' })))) return;
  try {
    const r = await api(`${base}/run`, { method: 'POST', auth: true, body: {} });
    notice(`started ${r.command.join(' ')} (pid ${r.pid})`);
  } catch (e) {
    notice(`run refused: ${e.message}`, true);
  }
}

async function reset() {
  const to = document.getElementById('reset-to').value.trim();
  if (!to) return;
  const body = /^\d{4}-\d\d-\d\dT/.test(to) ? { toDatetime: to } : { to };
  let preview;
  try {
    preview = await api(`${base}/reset/preview`, { method: 'POST', auth: true, body });
  } catch (e) {
    notice(`reset refused: ${e.message}`, true);
    return;
  }
  const table = el(
    'table',
    { id: 'reset-preview' },
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        ['topic', 'partition', 'now', 'after reset', 'log start', 'log end'].map((h) =>
          el('th', { text: h }),
        ),
      ),
    ),
    el(
      'tbody',
      {},
      preview.rows.map((p) =>
        el(
          'tr',
          {},
          el('td', { text: p.topic }),
          el('td', { text: p.partition }),
          el('td', { class: 'num', text: p.current ?? '-' }),
          el('td', { class: 'num', text: p.next }),
          el('td', { class: 'num', text: p.logStart }),
          el('td', { class: 'num', text: p.logEnd }),
        ),
      ),
    ),
  );
  if (
    !(await confirmAction(`Reset ${jobName}?`, [
      el('p', { text: 'The next iteration would begin at:' }),
      table,
    ]))
  )
    return;
  try {
    const r = await api(`${base}/reset`, { method: 'POST', auth: true, body });
    notice(`reset as iteration ${r.iteration}`);
  } catch (e) {
    notice(`reset failed: ${e.message}`, true);
  }
}
