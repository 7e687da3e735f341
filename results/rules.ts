import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../runner/environment.ts';

/**
 * The judging rules, as a plan fixes them: the code and constants that decide a verdict
 * from stored runs, and the versions of the statistics libraries they call. A plan keeps
 * each file's hash; `reproduce --plan` and the report compare them with the code now.
 */
export const RULES_FILES = [
  'core/eval/z-reference.ts',
  'experiments/findings.ts',
  'results/outcome.ts',
  'results/stats.ts',
  'results/power.ts',
  'results/verdicts.ts',
  'results/runs.ts',
  'results/seeds.ts',
  'results/findings-summary.ts',
  'results/tables.ts',
  'results/report/build.ts',
] as const;

/** The statistics packages whose numbers the rules use. */
const RULES_PACKAGES = ['@stdlib/stats-base-dists-beta-quantile', '@stdlib/stats-base-dists-t-quantile', '@stdlib/stats-ttest', 'jstat'];

const sha = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 16);

/** Each rules file's hash, and the packages' versions, by name. */
export function rulesParts(root = PROJECT_ROOT): Record<string, string> {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  return Object.fromEntries([
    ...RULES_FILES.map((f) => [f, sha(fs.readFileSync(path.join(root, f), 'utf8'))]),
    ...RULES_PACKAGES.map((p) => [p, pkg.dependencies[p] ?? 'absent']),
  ]);
}

/** One hash of the whole of the rules. */
export function rulesHash(parts: Record<string, string> = rulesParts()): string {
  return sha(Object.entries(parts).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}=${v}`).join('\n'));
}

/** The parts that differ between two sets of rules, named. */
export function rulesDiff(was: Record<string, string>, now: Record<string, string>): string[] {
  return [...new Set([...Object.keys(was), ...Object.keys(now)])].filter((k) => was[k] !== now[k]).sort();
}
