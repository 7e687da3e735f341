import ttest2 from '@stdlib/stats-ttest2';
import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import type { Finding, FindingTest } from '../../experiments/findings.ts';
import { EXPERIMENTS, validateSpec } from '../../experiments/registry.ts';
import { decideTogether } from '../../results/findings-summary.ts';
import { outcomeCounts, outcomeOf } from '../../results/outcome.ts';
import { renderTables } from '../../results/render-table.ts';
import type { SeedRun } from '../../results/runs.ts';
import { bonferroni, clopperPearson } from '../../results/stats.ts';
import { detectableDistance, ratePower, seedsFor, tostPower, tPower } from '../../results/power.ts';
import { buildTable } from '../../results/tables.ts';
import { decide, findingVerdicts, judgeFinding, verdictBadge, type Rows } from '../../results/verdicts.ts';
import { SqliteStore } from '../../runner/store/sqlite-store.ts';
import { FIXTURE_OWNER, startRun } from '../helpers/fixture-db.ts';

const run = (seed: number, over: Partial<SeedRun> = {}): SeedRun => ({
  runId: seed, rowLabel: 'x', axes: {}, seed, nonFinite: false, loss: -0.9, zStd: 0.061, dim: 256, cosine: true,
  knn0: 0.49, knn: 0.8, linear: 0.8, linear0: 0.6, lossStd: 0.02, values: { knn_acc: 0.8, linear_acc: 0.8 },
  backend: 'wasm', commit: 'c0ffee', configKey: 'cfg', steps: 1240, ...over,
});
/** A healthy run whose linear accuracy is `acc` %. */
const acc = (seed: number, a: number, key = 'cfg'): SeedRun => run(seed, { values: { knn_acc: a / 100, linear_acc: a / 100 }, configKey: key, linear: a / 100 });
/** z collapsed and representation lost, as Table 1a. */
const collapsed = (seed: number): SeedRun => run(seed, { loss: -0.999, zStd: 0.001, knn: 0.3, linear: 0.3, values: { knn_acc: 0.3, linear_acc: 0.3 } });
const diverged = (seed: number): SeedRun => run(seed, { nonFinite: true, loss: null, zStd: null, knn: null, values: { knn_acc: null, linear_acc: null } });
const rows = (r: Record<string, SeedRun[]>): Rows => new Map(Object.entries(r).map(([k, v]) => [k, v.map((x) => ({ ...x, rowLabel: k, configKey: x.configKey === 'cfg' ? `cfg-${k}` : x.configKey }))]));
const finding = (t: FindingTest, extra: Partial<Finding> = {}): Finding => ({ id: 'f', claim: 'c', test: t, ...extra });
const verdict = (t: FindingTest, r: Rows, extra: Partial<Finding> = {}) => decide([judgeFinding(finding(t, extra), 'e', 'linear_acc', r)])[0];
const seeds5 = [1000, 1001, 1002, 1003, 1004];
/** Six seeds: 6/6 survives a family of two (2 × 1/64 < 0.05). */
const seeds6 = [...seeds5, 1005];

test('the rate rule: an exact binomial test against ½ in the family; alone, 5/5 reproduces, 3/5 and 4/5 cannot tell, 0/5 does not', (t) => {
  const alone = (k: number, n: number) => verdict({ kind: 'collapses', row: 'n' }, rows({ n: Array.from({ length: n }, (_, i) => (i < k ? collapsed(i) : acc(i, 80))) }));
  t.is(alone(5, 5).verdict, 'reproduced', 'p = 1/32');
  t.is(alone(4, 5).verdict, 'inconclusive');
  t.is(alone(3, 5).verdict, 'inconclusive');
  t.is(alone(0, 5).verdict, 'not reproduced');
  t.is(alone(3, 3).verdict, 'inconclusive', '3/3: p = 1/8');
  t.true(Math.abs(clopperPearson(5, 5).lower - 0.025 ** (1 / 5)) < 1e-9, 'the shown 95% interval of 5/5 is two-sided: lower bound 0.025^(1/5)');
  const three = alone(3, 5);
  t.regex(three.evidence, /"n" collapsed \(z collapsed and representation lost\) 3\/5 \(95% CI 15–95%;.*p = 0\.50 for, 0\.81 against \(exact binomial vs ½\); Bonferroni over 1 test\(s\)/);
  // In a family of two, 5/5 no longer survives the correction (2 × 1/32 > 0.05): rates are corrected with the comparisons.
  const other = judgeFinding(finding({ kind: 'trains', row: 'm' }, { id: 'other' }), 'e', 'linear_acc', rows({ m: seeds5.map((s) => acc(s, 80)) }));
  const [five] = decide([judgeFinding(finding({ kind: 'collapses', row: 'n' }), 'e', 'linear_acc', rows({ n: seeds5.map(collapsed) })), other]);
  t.is(five.verdict, 'inconclusive');
  t.regex(five.evidence, /Bonferroni over 2 test\(s\): 0\.063/);
  t.is(alone(6, 6).verdict, 'reproduced');
});

test('power: exact noncentral t (paired, d = 1, two-sided 0.05: 10 pairs for 80%), TOST and binomial power, checked against known values', (t) => {
  t.true(Math.abs(tPower(1, 10, 0.05, 2) - 0.8031) < 1e-3, 'G*Power: 0.8031 at 10 pairs');
  t.true(Math.abs(tPower(1, 9, 0.05, 2) - 0.7480) < 1e-3);
  t.is(seedsFor((n) => tPower(1, n, 0.05, 2)), 10);
  // The detectable distance is where the exact power is 80%, not the sum of two t quantiles
  // (which gives 1.49 sd at 5 pairs and one-sided 0.05/7 where the exact answer is 2.39).
  const d = detectableDistance(5, 0.05 / 7, 1);
  t.true(Math.abs(tPower(d, 5, 0.05 / 7, 1) - 0.8) < 1e-9);
  t.true(Math.abs(d - 2.389) < 1e-3, `${d}`);
  // TOST: 40,000 simulated paired samples gave 0.9916 (δ 0, bound 1 sd, 20 pairs) and 0.6348 (δ 0.3, 10 pairs).
  t.true(Math.abs(tostPower(0, 1, 20, 0.05) - 0.9922) < 1e-3);
  t.true(Math.abs(tostPower(0.3, 1, 10, 0.05) - 0.6385) < 1e-3);
  t.true(Math.abs(ratePower(0.9, 10, 0.05) - 0.7361) < 1e-3, 'P(X ≥ 9 | 10, 0.9)');
});

test('a diverged run is neither collapsed nor trained: the collapse rule keeps the three apart', (t) => {
  t.deepEqual(outcomeOf(diverged(0)), { diverged: true, zCollapsed: false, representationLost: false, trains: false, lossHigh: false });
  t.is(verdict({ kind: 'collapses', row: 'n' }, rows({ n: seeds5.map(diverged) })).verdict, 'not reproduced', 'five diverged runs are not five collapses');
  t.is(outcomeCounts([outcomeOf(diverged(0)), outcomeOf(collapsed(1))]), 'diverged 1/2, z collapsed 1/2, representation lost 1/2');
  t.true(outcomeOf(run(0, { loss: 3e6 })).diverged, 'a blown-up finite loss is a divergence');
});

test('a run whose z has collapsed does not train, however far its backbone kNN rose above init', (t) => {
  // The Fashion-MNIST no-predictor probe: loss −1.000, z_std 0.0001, kNN 6 points above init.
  const zOnly = run(0, { loss: -1, zStd: 0.0001, knn0: 0.5, knn: 0.56 });
  t.like(outcomeOf(zOnly), { zCollapsed: true, representationLost: false, trains: false });
  t.is(verdict({ kind: 'trains', row: 'n' }, rows({ n: seeds5.map((s) => ({ ...zOnly, seed: s })) })).verdict, 'not reproduced');
});

test('a frozen predictor "fails" only when its loss stays high, z is not collapsed and kNN stays at init', (t) => {
  const frozen = (s: number, loss: number) => run(s, { loss, zStd: 0.045, knn: 0.5, linear: 0.6, values: { knn_acc: 0.5, linear_acc: 0.6 } });
  t.is(verdict({ kind: 'fails', row: 'b' }, rows({ b: seeds5.map((s) => frozen(s, -0.22)) })).verdict, 'reproduced');
  t.is(verdict({ kind: 'fails', row: 'b' }, rows({ b: seeds5.map((s) => frozen(s, -0.9)) })).verdict, 'not reproduced', 'a low loss is not Table 1b');
  // A frozen h keeps the loss off −1 even when z collapses: z_std alone must say so.
  const zGone = seeds5.map((s) => ({ ...frozen(s, -0.3), zStd: 0.0001 }));
  t.is(verdict({ kind: 'fails', row: 'b' }, rows({ b: zGone })).verdict, 'not reproduced', 'z collapsed under a frozen predictor is a collapse, not a failure to learn');
});

test('instability: the within-epoch loss std above the reference, paired, and no collapse; it can be reproduced and not reproduced', (t) => {
  const shaky = seeds6.map((s, i) => run(s, { lossStd: 0.2 + i / 100 }));
  const calm = seeds6.map((s, i) => run(s, { lossStd: 0.02 + i / 1000 }));
  const ok = verdict({ kind: 'unstable', row: 's', than: 'c' }, rows({ s: shaky, c: calm }));
  t.is(ok.verdict, 'reproduced');
  t.regex(ok.evidence, /"s" − "c" = 0\.2\d+, 95% CI \[.*\] \(unadjusted; n=6; claim > 0 \(within-epoch loss std\)\).* · \[reproduced\] "s" neither diverges nor collapses z 6\/6/);
  // The paper's instability is an oscillation: runs that all diverge are evidence against it.
  const allDiverged = verdict({ kind: 'unstable', row: 's', than: 'c' }, rows({ s: seeds6.map(diverged), c: calm }));
  t.is(allDiverged.verdict, 'not reproduced');
  t.regex(allDiverged.evidence, /\[not reproduced\] "s" neither diverges nor collapses z 0\/6/);
  t.is(verdict({ kind: 'unstable', row: 's', than: 'c' }, rows({ s: calm, c: shaky })).verdict, 'not reproduced', 'a calmer loss than the reference');
  const collapsing = seeds6.map((s, i) => ({ ...collapsed(s), lossStd: 0.2 + i / 100 }));
  t.is(verdict({ kind: 'unstable', row: 's', than: 'c' }, rows({ s: collapsing, c: calm })).verdict, 'not reproduced', 'Table 3d is not a collapse');
  t.is(verdict({ kind: 'unstable', row: 's', than: 'c' }, rows({ s: shaky.slice(0, 2), c: calm })).verdict, 'inconclusive', 'two seeds are too few');
});

test('a paired comparison finds what Welch misses: seeds shift both rows together', (t) => {
  // Seed-to-seed spread (±5) dwarfs the 0.6-point gap, but each seed's pair differs by 0.5–0.7.
  const base = [80, 85, 90, 75, 70];
  const a = seeds5.map((s, i) => acc(s, base[i] - 0.6 + (i % 3) / 10 - 0.1));
  const b = seeds5.map((s, i) => acc(s, base[i]));
  const v = verdict({ kind: 'below', row: 'a', than: 'b' }, rows({ a, b }));
  t.is(v.verdict, 'reproduced');
  t.regex(v.evidence, /"a" − "b" = -0\.\d+, 95% CI \[-0\.\d+, -0\.\d+\] points \(unadjusted; n=5; claim < 0\)/);
  // The same numbers unpaired: Welch's test cannot tell.
  const welch = ttest2(a.map((x) => x.values.linear_acc! * 100), b.map((x) => x.values.linear_acc! * 100), { alternative: 'less', variance: 'unequal' });
  t.true(welch.pValue > 0.4, `Welch's p ${welch.pValue}`);
});

test('the family\'s correction turns a borderline comparison inconclusive that alone would be reproduced', (t) => {
  t.deepEqual(bonferroni([0.01, 0.04, 0.03]).map((p) => +p.toFixed(4)), [0.03, 0.12, 0.09]);
  // A gap of about 1 point with small per-seed noise: p ≈ 0.01 alone.
  const a = seeds5.map((s, i) => acc(s, 80 + [0.2, -0.3, 0.4, 0, -0.1][i]));
  const b = seeds5.map((s, i) => acc(s, 81 + [0.9, -1, 0.6, -0.7, 0.4][i]));
  const borderline = judgeFinding(finding({ kind: 'below', row: 'a', than: 'b' }, { id: 'borderline' }), 'e', 'linear_acc', rows({ a, b }));
  t.is(decide([borderline])[0].verdict, 'reproduced');
  // Four other distinct comparisons judged together: the family grows to 5.
  const others = [0, 1, 2, 3].map((k) => judgeFinding(finding({ kind: 'below', row: `c${k}`, than: `d${k}` }, { id: `o${k}` }), 'e', 'linear_acc',
    rows({ [`c${k}`]: seeds5.map((s, i) => acc(s, 50 + i)), [`d${k}`]: seeds5.map((s, i) => acc(s, 50 + i + ((i + k) % 2 ? 0.5 : -0.5))) })));
  const together = decide([borderline, ...others]);
  t.is(together[0].verdict, 'inconclusive');
  t.regex(together[0].evidence, /Bonferroni over 5 test\(s\)/);
});

test('within tests every pair, not only the farthest: three rows, one pair out of bound', (t) => {
  const r = rows({
    a: seeds5.map((s, i) => acc(s, 80 + [0.1, -0.1, 0.2, 0, -0.2][i])),
    b: seeds5.map((s, i) => acc(s, 80.5 + [0.1, 0.1, -0.1, 0, -0.1][i])),
    c: seeds5.map((s, i) => acc(s, 76 + [0.2, -0.2, 0.1, 0, -0.1][i])),
  });
  const all3 = verdict({ kind: 'within', rows: ['a', 'b', 'c'], within: 2 }, r);
  t.is(all3.parts.length, 3, 'a–b, a–c, b–c');
  t.is(all3.verdict, 'not reproduced');
  t.is(all3.parts.filter((p) => p.decision === 'reproduced').length, 1, 'only a–b lies within ±2');
  t.is(verdict({ kind: 'within', rows: ['a', 'b'], within: 2 }, r).verdict, 'reproduced');
  t.regex(verdict({ kind: 'within', rows: ['a', 'b', 'z'], within: 2 }, r).evidence, /"z": not run at this preset/);
});

test('within is the TOST over each pair, its p not doubled: a pair whose larger one-sided p is 0.025–0.05 is reproduced alone', (t) => {
  const spread = [-1.2, 1.2, 0, 0.6, -0.6];
  const r = rows({ a: seeds5.map((s) => acc(s, 80)), b: seeds5.map((s, i) => acc(s, 80 + spread[i])) });
  const v = verdict({ kind: 'within', rows: ['a', 'b'], within: 1.05 }, r);
  const c = v.parts[0].comparison!;
  t.true(c.pClaim > 0.025 && c.pClaim < 0.05, `TOST p ${c.pClaim}: the doubled rule would need it below 0.025`);
  t.is(v.verdict, 'reproduced');
  t.regex(v.evidence, /resolves a bound ≥/);
  const far = rows({ a: seeds5.map((s) => acc(s, 80)), b: seeds5.map((s, i) => acc(s, 84 + spread[i] / 4)) });
  t.is(verdict({ kind: 'within', rows: ['a', 'b'], within: 1.05 }, far).verdict, 'not reproduced');
});

test('at-least is tested against its complement (d ≤ −margin), undoubled, and reaches both verdicts', (t) => {
  const noise = [0.3, -0.2, 0.1, -0.3, 0.1];
  const near = rows({ a: seeds5.map((s, i) => acc(s, 80 + noise[i])), b: seeds5.map((s) => acc(s, 80)) });
  t.is(verdict({ kind: 'at-least', row: 'a', than: 'b', margin: 1 }, near).verdict, 'reproduced');
  const worse = rows({ a: seeds5.map((s, i) => acc(s, 77 + noise[i])), b: seeds5.map((s) => acc(s, 80)) });
  t.is(verdict({ kind: 'at-least', row: 'a', than: 'b', margin: 1 }, worse).verdict, 'not reproduced');
});

test('"trains" and "representation lost" are judged on the finding\'s metric against its own random-init value, with kNN beside', (t) => {
  // The moving-average runs: linear 30 points over its init while kNN ends below its init.
  const ma = seeds5.map((s) => run(s, { knn0: 0.49, knn: 0.45, linear0: 0.5, linear: 0.85, values: { knn_acc: 0.45, linear_acc: 0.85 } }));
  const v = verdict({ kind: 'trains', row: 'm' }, rows({ m: ma }));
  t.is(v.verdict, 'reproduced');
  t.regex(v.evidence, /"m" trains 5\/5 \(95% CI 48–100%; judged on linear accuracy against random init; on kNN 0\/5\)/);
  t.regex(v.details[0], /linear 85\.0% \(init 50\.0%\) → trains \(on linear\)/);
  // A run recorded before the probe was measured at init: kNN, and the finding says why.
  const old = verdict({ kind: 'trains', row: 'm' }, rows({ m: ma.map((r) => ({ ...r, linear0: null })) }));
  t.is(old.verdict, 'not reproduced');
  t.regex(old.metricNote!, /learning judged on kNN: 5 run\(s\) have no linear probe at random init/);
  // A preset with no probe judges on kNN, without a note on learning.
  t.is(verdict({ kind: 'trains', row: 'm' }, rows({ m: seeds5.map((s) => run(s, { linear: null, linear0: null, values: { knn_acc: 0.8, linear_acc: null } })) })).metricNote, 'kNN accuracy: the runs trained no linear probe');
});

test('the alternation parts are two findings, each against its own budget', (t) => {
  const f = EXPERIMENTS.alternation.findings!;
  t.deepEqual(f.map((x) => [x.id, x.test.kind, x.budget?.minSteps]), [['alternation-10-step', 'at-least', 1000], ['alternation-100-step', 'at-least', 10000]]);
});

test('a diverged seed is left out of a comparison and named, so that more seeds never make a verdict unreachable', (t) => {
  const a = seeds6.map((s, i) => acc(s, 70 + i / 10));
  const b = [...seeds6.slice(0, 5).map((s) => acc(s, 80)), diverged(1005)];
  const v = verdict({ kind: 'below', row: 'a', than: 'b' }, rows({ a, b }));
  t.is(v.verdict, 'reproduced');
  t.regex(v.evidence, /"a" − "b" \(seed\(s\) 1005 diverged and are left out\) = -9\.8.*n=5/);
  // A rate part of the same finding counts the diverged run against "trains".
  const both = verdict({ kind: 'all', of: [{ kind: 'trains', row: 'b' }, { kind: 'below', row: 'a', than: 'b' }] }, rows({ a, b }));
  t.regex(both.evidence, /"b" trains 5\/6/);
});

test('a comparison needs the same seeds in both rows, a spread, and every run finished; a failed run is named', (t) => {
  const a = seeds5.map((s) => acc(s, 70));
  const b3 = seeds5.slice(0, 3).map((s, i) => acc(s, 80 + i / 10));
  t.regex(verdict({ kind: 'below', row: 'a', than: 'b' }, rows({ a, b: b3 })).evidence, /seed\(s\) 1003, 1004 ran in one row only/);
  const flat = verdict({ kind: 'below', row: 'a', than: 'b' }, rows({ a, b: seeds5.map((s) => acc(s, 80)) }));
  t.is(flat.verdict, 'inconclusive');
  t.regex(flat.evidence, /with no spread the t-test is undefined/);
  const crashed = decide([judgeFinding(finding({ kind: 'trains', row: 'a' }), 'e', 'linear_acc', rows({ a: a.slice(0, 4) }), new Map([['a', [1004]]]))])[0];
  t.is(crashed.verdict, 'inconclusive');
  t.regex(crashed.evidence, /seed\(s\) 1004 of "a" failed \(crashed or killed\)/);
  t.deepEqual(bonferroni([0.01, NaN, 0.02]).map((p) => +p.toFixed(3)), [0.03, 1, 0.06], 'a p that is not a number counts as 1');
});

test('a row mixing configurations, backends or commits is refused, with why', (t) => {
  const mixedCfg = rows({ x: [acc(0, 80, 'one'), acc(1, 80, 'two'), acc(2, 80, 'one')] });
  const v = verdict({ kind: 'trains', row: 'x' }, mixedCfg);
  t.is(v.verdict, 'inconclusive');
  t.regex(v.evidence, /not judged: row "x" mixes 2 configurations/);
  const mixedBackend = rows({ x: [acc(0, 80), acc(1, 80), { ...acc(2, 80), backend: 'native-cpu' }] });
  t.regex(verdict({ kind: 'trains', row: 'x' }, mixedBackend).evidence, /mix backends: wasm \(2\), native-cpu \(1\)/);
  const mixedCommit = rows({ x: [acc(0, 80), { ...acc(1, 80), commit: 'beefbeefbeefbeef' }] });
  t.regex(verdict({ kind: 'trains', row: 'x' }, mixedCommit).evidence, /mix commits: c0ffee \(1\), beefbeefbeef \(1\)/);
});

test('a finding whose budget the preset does not give is "not testable at this preset", with the numbers', (t) => {
  const r = rows({ small: seeds5.map((s) => acc(s, 80)), big: seeds5.map((s) => ({ ...acc(s, 60), steps: 20 })) });
  const v = verdict({ kind: 'within', rows: ['small', 'big'], within: 3 }, r, { budget: { minSteps: 1000, why: 'steps, not batch' } });
  t.is(v.verdict, 'not testable at this preset');
  t.regex(v.evidence, /"big" gets 20 SGD steps at this preset; the claim needs ≥ 1000 per cell \(steps, not batch\)/);
});

test('verdicts judge linear-probe accuracy, and fall back to kNN where no probe was trained, saying so', (t) => {
  const r = rows({ a: seeds5.map((s) => acc(s, 70)), b: seeds5.map((s) => acc(s, 80)) });
  t.is(verdict({ kind: 'below', row: 'a', than: 'b' }, r).metric, 'linear_acc');
  const noProbe = rows({ a: seeds5.map((s) => ({ ...acc(s, 70), values: { knn_acc: 0.7, linear_acc: null } })), b: seeds5.map((s) => acc(s, 80)) });
  const v = verdict({ kind: 'below', row: 'a', than: 'b' }, noProbe);
  t.is(v.metric, 'knn_acc');
  t.regex(v.metricNote!, /no linear probe/);
});

test('a test shared by two findings is one comparison in the family and each says what it shares', (t) => {
  const r = rows({ a: seeds5.map((s) => acc(s, 70)), b: seeds5.map((s, i) => acc(s, 80 + i / 10)) });
  const f1 = judgeFinding(finding({ kind: 'below', row: 'a', than: 'b' }, { id: 'one' }), 'e1', 'linear_acc', r);
  const f2 = judgeFinding(finding({ kind: 'below', row: 'a', than: 'b' }, { id: 'two' }), 'e2', 'linear_acc', r);
  const [d1, d2] = decide([f1, f2]);
  t.is(d1.parts[0].comparison!.family, 1);
  t.deepEqual(d1.sharedWith, ['two']);
  t.deepEqual(d2.sharedWith, ['one']);
});

test('every built-in experiment\'s findings name its own rows; the stop-gradient row prints the number of the configuration it runs', (t) => {
  for (const spec of Object.values(EXPERIMENTS)) t.notThrows(() => validateSpec(spec, spec.name), spec.name);
  t.throws(() => validateSpec({ ...EXPERIMENTS.stopgrad, findings: [{ id: 'f', claim: 'c', test: { kind: 'collapses', row: 'nope' } }] }, 'spec.yaml'),
    { message: /finding "f" names row\(s\) "nope"; rows: "w\/ stop-grad", "w\/o stop-grad"/ });
  // The presets keep the predictor lr constant: Table 1c's 68.1, not Fig. 2's 67.7 (decayed).
  t.is(EXPERIMENTS.stopgrad.rows[0].paper, 68.1);
  t.is(EXPERIMENTS.predictor.rows.find((r) => r.label.startsWith('(c)'))!.paper, 68.1);
  t.is(EXPERIMENTS.predictor.rows.find((r) => r.label.startsWith('baseline'))!.paper, 67.7);
});

test('tables and verdicts count outcomes by the one rule, and carry one line per finding in every format', (t) => {
  const s = new SqliteStore(':memory:');
  const env = { packageVersion: '0', gitCommit: 'abc', host: 'h', pid: 1 };
  s.saveExperiment('stopgrad', 'Stop-gradient', EXPERIMENTS.stopgrad);
  const config = (sg: boolean) => ({ projector: { dim: 256 }, similarity: { kind: 'cosine' }, stopGradient: sg, data: { kind: 'patterns', train: 4000 }, batchSize: 64, epochs: 20 });
  for (const seed of [0, 1, 2]) {
    for (const [row, sg] of [['w/ stop-grad', true], ['w/o stop-grad', false]] as const) {
      const r = s.enqueue({ experiment: 'stopgrad', cellHash: `${row}${seed}`, rowLabel: row, axes: {}, seed, preset: 'small', config: config(sg) }, env);
      startRun(s, r.id);
      // Seed 2 without stop-gradient collapses z but keeps its backbone above init.
      const knn = sg ? 0.79 : seed === 2 ? 0.7 : 0.4;
      s.logMetrics(r.id, FIXTURE_OWNER, [
        { name: 'knn_acc', epoch: 0, step: 0, value: 0.49 },
        { name: 'loss', epoch: 1, step: 31, value: sg ? -0.8 : -0.999 }, { name: 'z_std', epoch: 1, step: 31, value: sg ? 0.061 : 0.001 },
        { name: 'knn_acc', epoch: 1, step: 31, value: knn }, { name: 'linear_acc', epoch: 1, step: 31, value: knn + 0.01 },
      ]);
      s.finish(r.id, FIXTURE_OWNER, 'finished');
    }
  }
  const table = buildTable(s, EXPERIMENTS.stopgrad);
  t.is(table.metric, 'linear_acc');
  t.is(table.lines[1].outcome, 'z collapsed 3/3, representation lost 2/3');
  t.like(table.findings[0], { id: 'stopgrad-collapse', verdict: 'inconclusive', seeds: [0, 1, 2] });
  t.regex(table.findings[0].evidence, /"w\/o stop-grad" collapsed \(z collapsed and representation lost\) 2\/3/);
  t.regex(renderTables([table], 'md'), /^- \*\*stopgrad-collapse\*\*: \*inconclusive\* \(seeds 0, 1, 2\)\. Without stop-gradient .* \[inconclusive\] "w\/o stop-grad" collapsed/m);
  t.regex(renderTables([table], 'md'), /^ {2}- "w\/o stop-grad" seed 2: loss -0\.999, z_std 0\.0010 \(collapse bound 0\.0156\), kNN 70\.0% \(init 49\.0%\), linear 71\.0% → z collapsed$/m);
  t.regex(renderTables([table], 'html'), /<li class="finding verdict-inconclusive"><strong>stopgrad-collapse<\/strong>/);
  t.regex(renderTables([table], 'csv'), /\nexperiment,finding,verdict,seeds,claim,evidence,per seed\nstopgrad,stopgrad-collapse,inconclusive,0 1 2,/);
  t.regex(renderTables([table], 'latex'), /\\item stopgrad-collapse: INCONCLUSIVE \(seeds 0,1,2\)/);
  t.is(JSON.parse(renderTables([table], 'json'))[0].findings[0].verdict, 'inconclusive');
  t.is(decideTogether([table])[0].findings[0].verdict, 'inconclusive');
  t.is(findingVerdicts({ name: 'stopgrad', metric: 'linear_acc', findings: EXPERIMENTS.stopgrad.findings }, new Map()).length, 1);
  s.close();
});

test('the collapse thresholds and 1/√d live in one module each, and nothing cites a document outside the repository', (t) => {
  const root = path.resolve(import.meta.dirname, '../..');
  const files = (dir: string): string[] => fs.readdirSync(path.join(root, dir), { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : /\.(ts|mjs|md|py|sh|yaml)$/.test(e.name) ? [path.join(dir, e.name)] : []));
  const source = ['core', 'experiments', 'runner', 'results', 'dashboard', 'bench', 'bin', 'docs'].flatMap(files);
  const read = (f: string) => fs.readFileSync(path.join(root, f), 'utf8');
  const offenders = (re: RegExp, except: string[]) => source.filter((f) => !except.includes(f) && re.test(read(f)));
  t.deepEqual(offenders(/1 \/ Math\.sqrt\([^)]*dim/, [path.join('core', 'eval', 'z-reference.ts')]), [], '1/√d is zStdReference');
  t.deepEqual(offenders(/-0\.95\b|0\.25 \* /, [path.join('results', 'outcome.ts')]), [], 'the collapse thresholds are in results/outcome.ts');
  // Every Markdown document a file names is one the repository holds (beside the file, at the root, or in docs/).
  const dangling = [...source, 'README.md'].flatMap((f) => [...read(f).matchAll(/[\w./-]*[A-Za-z][\w-]*\.md\b/g)].map((m) => m[0])
    .filter((ref) => !/^https?:/.test(ref) && ![path.dirname(f), '.', 'docs'].some((d) => fs.existsSync(path.join(root, d, ref.replace(/^\.\//, '')))))
    .map((ref) => `${f}: ${ref}`));
  t.deepEqual(dangling, [], 'every document named is in the repository');
  t.deepEqual([...source, 'README.md'].filter((f) => /\.\.\/shared\//.test(read(f))), [], 'no path leads outside the repository');
});

test('a badge shows the verdict with its counts or effect', (t) => {
  const r = rows({ n: seeds6.map(collapsed), a: seeds6.map((s) => acc(s, 70)), b: seeds6.map((s, i) => acc(s, 80 + i / 10)) });
  const v = verdict({ kind: 'all', of: [{ kind: 'collapses', row: 'n' }, { kind: 'below', row: 'a', than: 'b' }] }, r);
  t.like(verdictBadge(v), { verdict: 'reproduced', verdictClass: 'reproduced', counts: '6/6; Δ -10.3 [-10.4, -10.1]' });
});
