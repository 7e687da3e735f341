// Client side of the dashboard: curves drawn with uPlot (served from the project's own
// dependencies), the compare selection, and live updates over server-sent events.
(function () {
  const COLORS = ['#1f6feb', '#d1242f', '#1a7f37', '#bf8700', '#8250df', '#0a7b83', '#cf222e', '#57606a'];

  async function curves(id) {
    const r = await fetch(`/api/runs/${encodeURIComponent(id)}/metrics`);
    if (!r.ok) throw new Error(`run ${id}: ${r.status}`);
    return r.json();
  }

  /** Align several [epoch, value][] series on the union of their epochs. */
  function align(series) {
    const xs = [...new Set(series.flatMap((s) => s.map((p) => p[0])))].sort((a, b) => a - b);
    return [xs, ...series.map((s) => { const m = new Map(s); return xs.map((x) => (m.has(x) ? m.get(x) : null)); })];
  }

  function chart(parent, title, labels, series, ref) {
    const box = document.createElement('div');
    box.className = 'chart';
    box.dataset.metric = title;
    box.innerHTML = '<h3></h3>';
    box.querySelector('h3').textContent = title;
    parent.appendChild(box);
    const data = align(series);
    const ys = labels.map((label, i) => ({ label, stroke: COLORS[i % COLORS.length], width: 2, spanGaps: true }));
    if (ref != null) {
      data.push(data[0].map(() => ref));
      ys.push({ label: '1/√d', stroke: '#888', dash: [6, 4], width: 1 });
    }
    new uPlot({ width: 420, height: 240, series: [{ label: 'epoch' }, ...ys], axes: [{ label: 'epoch' }, {}], scales: { x: { time: false } } }, data, box);
  }

  async function drawCharts() {
    const el = document.getElementById('charts');
    if (!el) return;
    const ids = el.dataset.runs.split(',').filter(Boolean);
    const labels = el.dataset.labels ? JSON.parse(el.dataset.labels) : ids.map((id) => `run ${id}`);
    const all = await Promise.all(ids.map(curves));
    const ref = Number(el.dataset.zref);
    chart(el, 'training loss', labels, all.map((c) => c.loss || []));
    chart(el, 'z_std (std of z/|z|)', labels, all.map((c) => c.z_std || []), Number.isFinite(ref) ? ref : null);
    chart(el, 'kNN accuracy', labels, all.map((c) => (c.knn_acc || []).map(([e, v]) => [e, v == null ? null : 100 * v])));
    el.dataset.drawn = 'true';
  }

  function compareSelection() {
    const button = document.getElementById('compare');
    if (!button) return;
    const picks = () => [...document.querySelectorAll('input.pick:checked')].map((c) => c.value);
    document.addEventListener('change', (e) => {
      if (e.target.classList && e.target.classList.contains('pick')) button.disabled = picks().length < 2;
    });
    button.addEventListener('click', () => { location.href = `/compare?ids=${picks().join(',')}`; });
  }

  function live() {
    const badge = document.getElementById('live');
    if (!badge || !window.EventSource) return;
    const since = badge.dataset.version;
    const events = new EventSource(`/events?since=${encodeURIComponent(since)}`);
    events.addEventListener('change', () => {
      // Keep the filters and selection in the URL; a reload shows the new results.
      if (!document.querySelector('input.pick:checked')) location.reload();
      else badge.textContent = 'new results: reload';
    });
    events.onerror = () => { badge.textContent = 'offline'; };
  }

  drawCharts().catch((err) => {
    const el = document.getElementById('charts');
    if (el) el.textContent = `could not load curves: ${err.message}`;
  });
  compareSelection();
  live();
})();
