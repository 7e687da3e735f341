import test from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildReport, busySpans, commonestPreset } from '../../results/report/build.ts';
import { renderReport } from '../../results/report/render.ts';
import { lineChart } from '../../results/report/svg.ts';
import { SqliteStore } from '../../runner/store/sqlite-store.ts';
import { writeFixtureDb } from '../helpers/fixture-db.ts';

const db = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'report-')), 'results.db');
writeFixtureDb(db);

test('the report judges the findings, keeps every table, draws the collapse curves and sums the compute', (t) => {
  const s = new SqliteStore(db, { readonly: true });
  t.is(commonestPreset(s), 'small');
  const r = buildReport(s, 'small');
  s.close();
  // The fixture sweeps a batch-size axis: two configurations under one row label are not pooled as seeds.
  t.like(r.findings[0], { id: 'stopgrad-collapse', experiment: 'stopgrad', verdict: 'inconclusive', seeds: [0, 1] });
  t.regex(r.findings[0].evidence, /^not judged: seed\(s\) 0 of "w\/ stop-grad" failed \(crashed or killed\)/, 'a killed run stops the verdict until it is rerun');
  t.regex(r.findings[0].ours, /w\/o stop-grad: /);
  t.deepEqual(r.tables.map((x) => x.experiment), ['stopgrad', '<script>alert("x")</script>']);
  t.is(r.curves.length, 1, 'stopgrad claims a collapse: its curves are drawn');
  t.deepEqual(r.curves[0].rows.map((x) => [x.label, x.seeds, x.loss.length]), [['w/ stop-grad', 4, 10], ['w/o stop-grad', 4, 10]]);
  t.is(r.compute.cells, 10);
  t.like(r.compute.byStatus, { finished: 9, failed: 1 });
  t.true(r.environment.some((e) => e.label === 'backend' && /wasm \(9 cells\)/.test(e.value)));
});

test('--experiments reports only those, says the `run` commands that made them, and names an experiment the database lacks', (t) => {
  const s = new SqliteStore(db, { readonly: true });
  try {
    const r = buildReport(s, 'small', ['stopgrad']);
    t.deepEqual(r.tables.map((x) => x.experiment), ['stopgrad']);
    t.regex(r.command, /^simsiam run stopgrad --preset small --seeds 0,1/);
    t.regex(buildReport(s, 'small').command, /^simsiam run stopgrad .* && simsiam run /, 'not every built-in experiment: not `reproduce`');
    t.throws(() => buildReport(s, 'small', ['nope']), { message: /no experiment 'nope' in this database; it has: stopgrad/ });
  } finally {
    s.close();
  }
});

test('json is the findings with a verdict each; html and md are self-contained', (t) => {
  const s = new SqliteStore(db, { readonly: true });
  const r = buildReport(s, 'small');
  s.close();
  const json = JSON.parse(renderReport(r, 'json'));
  t.deepEqual(Object.keys(json), ['preset', 'command', 'seeds', 'provenance', 'wall_seconds', 'environment', 'findings']);
  t.regex(json.command, /^simsiam run stopgrad --preset small --seeds 0,1/);
  t.deepEqual(Object.keys(json.findings[0]), ['id', 'experiment', 'claim', 'verdict', 'metric', 'seeds', 'evidence', 'not_judged', 'shared_with', 'per_seed', 'parts']);
  t.true(json.findings.every((f: { verdict: string }) => ['reproduced', 'not reproduced', 'inconclusive', 'not testable at this preset'].includes(f.verdict)));
  const html = renderReport(r, 'html');
  t.regex(html, /<svg [^>]*aria-label="stopgrad: z_std of z\/‖z‖"/);
  t.notRegex(html, /(src|href)="https?:/, 'nothing fetched');
  t.notRegex(html, /<script>alert/, 'escaped');
  const md = renderReport(r, 'md');
  t.regex(md, /^# SimSiam reproduction report\n\nProduced by `simsiam run stopgrad --preset small --seeds [0-9,]+ --backend wasm && simsiam run .*` in .*; development seeds 0, 1; backend wasm \(9 cells\); commit c0ffee/);
  t.regex(html, /<p class="produced">Produced by <code>simsiam run stopgrad .* &amp;&amp; simsiam run /);
  t.regex(md, /!\[\]\(data:image\/svg\+xml;base64,/);
  t.regex(md, /^\| stopgrad-collapse \| Without stop-gradient .* \| \*\*inconclusive\*\* \| not judged: /m);
  t.regex(md, /^<details><summary>stopgrad-collapse: per-seed evidence \(seeds 0, 1\)<\/summary>$/m);
});

test('a chart is an SVG path per series, with the 1/√d reference where given', (t) => {
  const svg = lineChart({ title: 't', xLabel: 'epoch', series: [{ label: 'a', points: [[1, 0.06], [2, 0.03], [3, NaN], [4, 0.01]] }], reference: { y: 0.0625, label: '1/√d' }, yFrom: 0 });
  t.regex(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  t.is((svg.match(/<path d="M/g) ?? []).length, 1);
  t.regex(svg, /<path d="M[^"]+M[^"]+"/, 'a NaN breaks the line in two');
  t.regex(svg, /stroke-dasharray="4 3"/);
});

test('wall time counts the spans in which cells ran, not the pauses between the parts of a resumed run', (t) => {
  const s = 1000;
  // Two overlapping cells, one right after (10 s gap: same part), then a part 1 h later.
  t.deepEqual(busySpans([[0, 100 * s], [50 * s, 150 * s], [160 * s, 200 * s], [3800 * s, 3900 * s]]), { seconds: 300, parts: 2 });
  t.deepEqual(busySpans([]), { seconds: 0, parts: 0 });
});
