/**
 * The import rules of the layout (README, "Layout"), checked in `npm test`:
 * core ← experiments ← runner ← results ← dashboard, bench ← cli. Each layer imports
 * only the layers before it; nothing imports test/; there are no cycles.
 */
const layer = (from, allowed) => ({
  name: `${from}-imports-only-${allowed.join('-') || 'itself'}`,
  comment: `${from}/ may import ${[from, ...allowed].join(', ')} only`,
  severity: 'error',
  from: { path: `^${from}/` },
  to: { path: '^(core|experiments|runner|results|dashboard|bench|cli|test)/', pathNot: `^(${[from, ...allowed].join('|')})/` },
});

module.exports = {
  forbidden: [
    { name: 'no-circular', comment: 'imports form no cycle', severity: 'error', from: {}, to: { circular: true } },
    { name: 'not-test', comment: 'only tests import test/', severity: 'error', from: { pathNot: '^test/' }, to: { path: '^test/' } },
    layer('core', []),
    layer('experiments', ['core']),
    layer('runner', ['core', 'experiments']),
    layer('results', ['core', 'experiments', 'runner']),
    layer('dashboard', ['core', 'experiments', 'runner', 'results']),
    layer('bench', ['core', 'experiments', 'runner', 'results']),
  ],
  options: {
    parser: 'swc',
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)node_modules/' },
    tsPreCompilationDeps: true,
  },
};
