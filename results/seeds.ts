/**
 * What each seed may serve (docs/findings.md, "Seeds"). Seeds 0–99 were used while the
 * presets, their learning rates and the verdict thresholds were built; any later choice
 * is made on calibration seeds; committed reports use confirmation seeds that were never
 * looked at before they ran.
 */
export const SEED_ROLES = [
  { from: 0, to: 99, role: 'development' },
  { from: 100, to: 999, role: 'calibration' },
  { from: 1000, to: Infinity, role: 'confirmation' },
] as const;

export type SeedRole = (typeof SEED_ROLES)[number]['role'];

export function seedRole(seed: number): SeedRole {
  return SEED_ROLES.find((r) => seed >= r.from && seed <= r.to)?.role ?? 'development';
}

/** "confirmation seeds 1000–1004" or, mixed, each role with its seeds. */
export function describeSeeds(seeds: number[]): string {
  const by = new Map<SeedRole, number[]>();
  for (const s of [...new Set(seeds)].sort((a, b) => a - b)) by.set(seedRole(s), [...(by.get(seedRole(s)) ?? []), s]);
  return [...by].map(([role, ss]) => `${role} seeds ${ss.join(', ')}`).join('; ') || 'no seeds';
}
