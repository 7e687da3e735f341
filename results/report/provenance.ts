import { EXPERIMENTS } from '../../experiments/registry.ts';
import { planDifferences, type Plan } from '../plan/plan.ts';
import { RULES_FILES, rulesDiff, rulesParts } from '../rules.ts';
import type { RunStore, RunSummary } from '../../runner/store/run-store.ts';

/**
 * Where a report's verdicts come from, for its head: the plan its cells ran under (its
 * hash and when it was committed, against when the first cell started), the commit that
 * ran the cells and the one that judges them, and, in plain words, whether the judging
 * rules changed after the first cell.
 */
export interface Provenance {
  planHash: string | null;
  planPath: string | null;
  planCommittedAt: string | null;
  firstCellAt: string | null;
  cellsCommits: string[];
  judgingCommit: string | null;
  /** The rules that differ between the cells' plan (or commit) and the judging code; null where it cannot be told. */
  rulesChanged: string[] | null;
  /** The head's sentences. */
  lines: string[];
}

/** Git, as the report may ask it (injected, so that tests need no repository). */
export type Git = (args: string[]) => string | null;

const short = (c: string | null) => c?.slice(0, 12) ?? 'unknown';

export function provenance(store: RunStore, runs: RunSummary[], git: Git, family: number | null = null): Provenance {
  const judged = runs.filter((r) => r.status === 'finished' || r.status === 'diverged');
  const trained = judged.filter((r) => r.reusedFrom == null && r.startedAt);
  const first = trained.map((r) => r.startedAt!.getTime()).sort((a, b) => a - b)[0];
  const firstCellAt = first != null ? new Date(first).toISOString() : null;
  const cellsCommits = [...new Set(judged.map((r) => r.gitCommit ?? 'unknown'))];
  const head = git(['rev-parse', 'HEAD']) || null;
  const dirty = head != null && git(['diff', '--quiet', 'HEAD', '--', ...RULES_FILES]) == null;
  const judgingCommit = head;
  const lines: string[] = [];
  const hashes = [...new Set(judged.map((r) => r.planHash))];
  const judge = `judged at commit ${short(head)}${dirty ? ' with uncommitted changes to the rules' : ''}`;
  lines.push(`Cells ran at commit ${cellsCommits.map(short).join(', ')}; ${judge}.`);
  if (hashes.length === 1 && hashes[0] != null) {
    const stored = store.plans().find((p) => p.hash === hashes[0]);
    const plan = stored ? (JSON.parse(stored.json) as Plan) : null;
    const added = stored ? git(['log', '--diff-filter=A', '--format=%H %cI', '--', stored.path])?.split('\n').filter(Boolean).at(-1) ?? null : null;
    const [addedCommit, committedAt] = added ? added.split(' ') : [null, null];
    const changed = plan ? rulesDiff(plan.rules.parts, rulesParts()) : null;
    // Besides the rules' files: a finding's declaration or a row that changed, a finding added.
    const other = plan ? planDifferences(plan, new Map(Object.entries(EXPERIMENTS))).filter((d) => !d.startsWith('the judging rules')) : [];
    lines.push(`Registered plan ${hashes[0]}${stored ? ` (${stored.path})` : ''}: ` +
      (committedAt ? `committed ${committedAt} (commit ${short(addedCommit)}), ` : 'its commit cannot be found in this checkout, ') +
      `first cell started ${firstCellAt ?? 'never'}.` +
      (committedAt && firstCellAt ? (new Date(committedAt) <= new Date(firstCellAt) ? ' The plan came first.' : ' **The plan was committed after its first cell started: this is not a registered report.**') : ''));
    if (changed == null) lines.push('The plan itself is not in this database, so its rules cannot be compared.');
    else if (changed.length) lines.push(`**The judging rules changed after the plan was written, and so after its first cell: ${changed.join(', ')} differ.** These verdicts use today's rules, not the plan's.`);
    else lines.push('The judging rules are the plan\'s, unchanged.');
    if (other.length) lines.push(`**Since the plan: ${other.join('; ')}.**`);
    if (plan && family != null && family !== plan.family) lines.push(`**This report judges ${family} distinct tests together; the plan planned ${plan.family}.**`);
    return { planHash: hashes[0], planPath: stored?.path ?? null, planCommittedAt: committedAt, firstCellAt, cellsCommits, judgingCommit, rulesChanged: changed, lines };
  }
  if (hashes.length > 1) lines.push(`**The cells mix ${hashes.length} plans${hashes.includes(null) ? ' and cells outside any plan' : ''}: this is not one registered report.**`);
  else lines.push('**No registered plan: these cells ran without one, so nothing shows that the rules were fixed before them.**');
  // Without a plan, the cells' commit is the only record of the rules they were run under.
  let rulesChanged: string[] | null = null;
  const known = cellsCommits.filter((c) => c !== 'unknown');
  if (known.length && head) {
    // The rules' files and the findings' declarations (their thresholds and margins).
    const diffs = known.map((c) => git(['diff', '--name-only', c, 'HEAD', '--', ...RULES_FILES, 'experiments/ablations']));
    if (diffs.every((d) => d != null)) rulesChanged = [...new Set(diffs.flatMap((d) => d!.split('\n').filter(Boolean)))].sort();
  }
  if (rulesChanged == null) lines.push('Whether the judging rules changed after the first cell cannot be told here (the cells\' commit is not in this checkout).');
  else if (rulesChanged.length) lines.push(`**The judging rules changed after the first cell (${firstCellAt ?? 'unknown'}): ${rulesChanged.join(', ')} differ between the cells' commit and the judging commit.**`);
  else lines.push('The judging rules are those of the cells\' commit.');
  return { planHash: null, planPath: null, planCommittedAt: null, firstCellAt, cellsCommits, judgingCommit, rulesChanged, lines };
}
