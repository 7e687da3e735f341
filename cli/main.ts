import { SetupError, UserError } from '../core/user-error.ts';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { missingDataFiles } from '../core/data/load.ts';
import { BACKENDS, describeBackend, envThreads, releaseBackend, useBackend, type BackendChoice } from '../core/backend.ts';
import { PRESETS, type PresetName } from '../experiments/presets.ts';
import { EXPERIMENTS, loadExperiment } from '../experiments/registry.ts';
import { SpecError } from '../experiments/validate.ts';
import { BENCH_MODELS, benchStep, type BenchModel, type BenchResult } from '../bench/step.ts';
import { compareStep, torchDeviceFor, type CompareResult } from '../bench/compare.ts';
import { compareSweep, type SweepCompareResult } from '../bench/sweep-compare.ts';
import { torchUnavailable } from '../bench/torch-reference.ts';
import { defaultWorkers } from '../runner/environment.ts';
import fs from 'node:fs';
import os from 'node:os';
import { dryRun } from '../runner/dry-run.ts';
import { buildReport, commonestPreset } from '../results/report/build.ts';
import { REPORT_FORMATS, renderReport, type ReportFormat } from '../results/report/render.ts';
import { prepareGrids, runExperiments } from './run-experiments.ts';
import { planCommand, preparePlan } from './plan.ts';
import path from 'node:path';
import { decideTogether, REPRODUCED, renderFindingsSummary } from '../results/findings-summary.ts';
import { expandGrid } from '../runner/grid.ts';
import { renderTables, TABLE_FORMATS, type TableFormat } from '../results/render-table.ts';
import { openStore } from '../runner/store/open.ts';
import { runSweep } from '../runner/sweep.ts';
import { buildTable, tablesByPreset } from '../results/tables.ts';
import { checkRedis, DEFAULT_QUEUE } from '../runner/bullmq/connection.ts';
import { RemoteExecutor } from '../runner/bullmq/remote-executor.ts';
import { startWorker } from '../runner/bullmq/worker.ts';
import { installShutdown, onShutdown } from '../runner/shutdown.ts';
import { describeUserError } from '../runner/user-error.ts';
import { KEEP_POLICIES, type KeepPolicy } from '../runner/checkpoint/cell-files.ts';
import { keptCommands } from './kept.ts';

const backendOption = () => new Option('-b, --backend <name>', 'compute backend').choices(['auto', ...BACKENDS]).default('auto');
const dbOption = () => new Option('--db <file>', 'results database (SQLite)').default('results.db');

function integer(min: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`expected an integer >= ${min}`);
    return n;
  };
}

function seedList(v: string): number[] {
  return v.split(',').map((s) => integer(0)(s.trim()));
}

function collect(v: string, acc: string[]): string[] {
  return [...acc, v];
}

interface RunOpts {
  preset?: PresetName; set: string[]; seeds?: number[]; workers: number; db: string; backend: BackendChoice;
  force?: boolean; dryRun?: boolean; verbose?: boolean; executor: 'local' | 'bullmq'; redis?: string; queue: string;
  checkpointDir?: string; checkpointEvery?: number; keep: KeepPolicy;
}

/** The options of every command that sweeps cells: where and how they run. */
function sweepOptions(cmd: Command): Command {
  return cmd
    .option('-w, --workers <n>', 'cells run at once, each in its own process', integer(1), defaultWorkers())
    .addOption(dbOption())
    .addOption(backendOption())
    .option('--force', 'rerun cells that already finished')
    .option('-v, --verbose', 'print every cell\'s monitors per epoch')
    .addOption(new Option('--executor <kind>', 'where cells run: local processes, or BullMQ workers on Redis').choices(['local', 'bullmq']).default('local'))
    .option('--redis <url>', 'Redis for --executor bullmq: redis://host:6379 or unix:///path/redis.sock')
    .option('--queue <name>', 'BullMQ queue name', DEFAULT_QUEUE)
    .option('--dry-run', 'list the cells, their state, steps and estimated time here, and the sweep\'s; run nothing')
    .option('--checkpoint-dir <dir>', 'where running cells checkpoint and finished ones keep their network (default: beside the database, <db>.checkpoints/)')
    .option('--checkpoint-every <minutes>', 'also checkpoint mid-epoch, at most this often (default: at each epoch\'s end only)', positiveNumber)
    .addOption(new Option('--keep <what>', 'what a finished cell keeps: its encoder (to export or evaluate), all (its whole final state), or none').choices([...KEEP_POLICIES]).default('encoder'));
}

function positiveNumber(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a number > 0');
  return n;
}

export /**
 * Runs whose stored rows are damaged were left out of the tables (marked there): one line
 * naming the first, and exit 2, after the rest has rendered.
 */
function reportDamage(tables: { damaged: string[] }[]): void {
  const all = [...new Set(tables.flatMap((t) => t.damaged))];
  if (!all.length) return;
  process.stderr.write(`simsiam: ${all[0]}${all.length > 1 ? ` (and ${all.length - 1} more damaged run(s))` : ''}\n`);
  process.exitCode = 2;
}

function buildProgram(): Command {
  const program = new Command('simsiam')
    .description('Reproduce and extend the SimSiam ablations (Chen & He, CVPR 2021) on TensorFlow.js')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride(); // usage errors come back to main(), which exits 2 like every other user error

  sweepOptions(program.command('run'))
    .description('run an experiment: expand its grid (rows x axes x seeds), run the unfinished cells, print its table')
    .argument('<experiment>', `a built-in (${Object.keys(EXPERIMENTS).join(', ')}) or a spec file (.ts, .js, .json, .yaml)`)
    .addOption(new Option('-p, --preset <name>', 'scale preset (default: the experiment\'s own)').choices(Object.keys(PRESETS)))
    .option('-s, --set <path=value>', 'override a config field for every cell, repeatable (e.g. --set epochs=5)', collect, [])
    .option('--seeds <list>', 'seeds, comma-separated (default: the experiment\'s)', seedList)
    .addHelpText('after', `
Examples:
  simsiam run stopgrad                          # Sec. 4.1 at the small preset, then its table
  simsiam run predictor --seeds 0,1,2           # Table 1 with three seeds
  simsiam run baseline --set similarity.kind=cross-entropy
  simsiam run my-ablation.yaml --preset tiny    # your own spec
Re-running the same command resumes: finished cells are skipped.`)
    .action(async (name: string, opts: RunOpts) => {
      const spec = await loadExperiment(name);
      const runOpts = { ...opts, sets: opts.set };
      if (opts.dryRun) return dryRun([{ spec, grid: prepareGrids([spec], runOpts)[0] }], opts);
      const { tables, failed } = await runExperiments([spec], runOpts);
      process.stdout.write(`\n${renderTables(tables, 'md')}`);
      if (failed) process.exitCode = 1;
      reportDamage(tables);
    });

  sweepOptions(program.command('reproduce'))
    .description('run every built-in experiment (resumable; shared cells run once), then print the paper\'s tables with a verdict per finding')
    .addOption(new Option('-p, --preset <name>', 'scale preset of every experiment').choices(Object.keys(PRESETS)).default('small'))
    .option('--seeds <list>', 'seeds of every cell, comma-separated; a comparison needs 3 (docs/findings.md); committed reports use 1000 and up', seedList, [0, 1, 2])
    .option('--plan <file>', 'run a registered plan (written by `simsiam plan`, committed): its preset, rows, seeds and backend; refused if the rules or a row changed since')
    .option('--uncommitted', 'with --plan: run a plan that is not committed (the report then says so)')
    .addHelpText('after', `
Experiments, in order: ${REPRODUCED.join(', ')}.
Re-running the same command resumes; \`simsiam report\` writes the results up as one document.
A registered report: simsiam plan --out plans/p.json, commit it, then simsiam reproduce --plan plans/p.json (docs/plans.md).`)
    .action(async (opts: Omit<RunOpts, 'set'> & { preset: PresetName; seeds: number[]; plan?: string; uncommitted?: boolean }, cmd: Command) => {
      let specs = REPRODUCED.map((n) => EXPERIMENTS[n]);
      let planned: ReturnType<typeof preparePlan> | null = null;
      if (opts.plan) {
        for (const o of ['preset', 'seeds']) if (cmd.getOptionValueSource(o) === 'cli') throw new SpecError(`--${o}: a plan fixes its ${o}; run it as written`);
        planned = preparePlan(opts.plan, opts.db, { allowUncommitted: opts.uncommitted, backend: cmd.getOptionValueSource('backend') === 'cli' ? opts.backend : undefined });
        const p = planned.plan;
        Object.assign(opts, { preset: p.preset, seeds: p.seeds, backend: p.backend.replace(/ \(.*$/, '') });
        process.stdout.write(`plan ${planned.hash} (${opts.plan}): preset '${p.preset}', seeds ${p.seeds[0]}–${p.seeds.at(-1)}, backend ${p.backend}\n`);
        specs = specs.filter((s) => p.experiments.some((e) => e.name === s.name));
      }
      const rowsOf = planned ? (s: { name: string }) => planned!.plan.experiments.find((e) => e.name === s.name)?.rows.map((r) => r.label) ?? [] : undefined;
      if (opts.dryRun) {
        const grids = prepareGrids(specs, { ...opts, sets: [], rowsOf });
        return dryRun(specs.map((spec, i) => ({ spec, grid: grids[i] })), opts);
      }
      if (planned) {
        const store = openStore(opts.db);
        try {
          store.savePlan({ hash: planned.hash, json: planned.text, path: path.relative(process.cwd(), path.resolve(opts.plan!)) });
        } finally {
          store.close();
        }
      }
      const run = await runExperiments(specs, { ...opts, sets: [], rowsOf, planHash: planned?.hash ?? null });
      // One correction over all the experiments' comparisons, as the report makes.
      const tables = decideTogether(run.tables);
      process.stdout.write(`\n${renderTables(tables, 'md', { findings: false })}\n${renderFindingsSummary(tables)}`);
      const { failed } = run;
      if (failed) process.exitCode = 1;
      reportDamage(tables);
    });

  sweepOptions(program.command('plan'))
    .description('write a registered plan: run calibration cells, estimate each finding\'s spread and rates, choose the seeds by exact power (or a budget), and declare what stays underpowered, before any confirmation cell runs')
    .addOption(new Option('-p, --preset <name>', 'the test bed').choices(Object.keys(PRESETS)).default('fashion-small'))
    .option('--calibration-seeds <list>', 'calibration seeds (100–999), never used for confirmation', seedList, [110, 111, 112])
    .option('--budget <duration>', 'wall time the confirmation may take here (e.g. 8h, 90m): the most seeds it allows, and what it leaves underpowered')
    .option('--seeds <n>', 'a fixed number of confirmation seeds instead of choosing one', integer(3))
    .option('--seeds-from <seed>', 'the first confirmation seed (1000 and up; a new plan takes seeds no earlier one used)', integer(1000), 1000)
    .option('--untestable', 'also run the findings the preset cannot test (by their budgets)')
    .option('-e, --experiments <list>', 'only these experiments, comma-separated', (v: string) => v.split(',').map((x) => x.trim()).filter(Boolean))
    .option('-o, --out <file>', 'the plan file to write', 'plan.json')
    .addHelpText('after', `
--db is the calibration database (default results.db): keep it apart from the confirmation's.
Examples:
  simsiam plan --db calibration.db --out plans/fashion.json          # seeds for 80% power on every finding
  simsiam plan --db calibration.db --budget 8h --out plans/fashion.json
  git add plans/fashion.json && git commit -m "plan" && simsiam reproduce --plan plans/fashion.json --db confirmation.db
The rules (docs/plans.md): a plan fixes rows, seeds, tests and the judging code by hash before its cells run.`)
    .action(async (opts: Omit<RunOpts, 'set' | 'seeds'> & { preset: PresetName; calibrationSeeds: number[]; budget?: string; seeds?: number; seedsFrom: number; untestable?: boolean; out: string; experiments?: string[] }) => {
      const { out, ...rest } = opts;
      await planCommand({ ...rest, file: out, sets: [] } as Parameters<typeof planCommand>[0]);
    });

  program.command('tables')
    .description('regenerate the paper tables from the database, our numbers beside the paper\'s')
    .argument('[experiment...]', 'experiments to render (default: every one in the database)')
    .addOption(new Option('-f, --format <fmt>', 'output format').choices(TABLE_FORMATS).default('md'))
    .addOption(dbOption())
    .addOption(new Option('-p, --preset <name>', 'only the runs of this preset (default: a table per preset an experiment ran at)').choices(Object.keys(PRESETS)))
    .action((names: string[], opts: { format: TableFormat; db: string; preset?: PresetName }) => {
      const store = openStore(opts.db, { readonly: true });
      try {
        const known = store.listExperiments();
        const chosen = names.length ? names : known.map((e) => e.name);
        const tables = chosen.flatMap((n) => {
          const e = known.find((k) => k.name === n);
          if (!e) throw new SetupError(`no experiment '${n}' in ${opts.db}; it has: ${known.map((k) => k.name).join(', ') || 'none (run one with `simsiam run`)'}`);
          return tablesByPreset(store, e.spec as Parameters<typeof buildTable>[1], opts.preset);
        });
        process.stdout.write(renderTables(tables, opts.format));
        reportDamage(tables);
      } finally {
        store.close();
      }
    });

  program.command('report')
    .description('write the reproduction up as one self-contained document: findings with verdicts, every table, Fig. 2 curves, environment, compute')
    .addOption(dbOption())
    .addOption(new Option('-p, --preset <name>', 'the preset whose runs to report (default: the one most runs used)').choices(Object.keys(PRESETS)))
    .addOption(new Option('-f, --format <fmt>', 'output format').choices(REPORT_FORMATS).default('md'))
    .option('-o, --out <file>', 'write it to a file instead of standard output')
    .option('-e, --experiments <list>', 'only these experiments, comma-separated (their findings are corrected together, as one report\'s are)', (v: string) => v.split(',').map((x) => x.trim()).filter(Boolean))
    .addHelpText('after', `
Examples:
  simsiam reproduce --seeds 0,1,2 && simsiam report --format html --out report.html
  simsiam report --experiments stopgrad,predictor --preset medium
  simsiam report --format json | jq '.findings[] | [.id, .verdict]'`)
    .action((opts: { db: string; preset?: PresetName; format: ReportFormat; out?: string; experiments?: string[] }) => {
      const store = openStore(opts.db, { readonly: true });
      try {
        const preset = opts.preset ?? commonestPreset(store);
        if (!preset) throw new SetupError(`${opts.db} holds no runs yet: run \`simsiam reproduce\` first`);
        const report = buildReport(store, preset, opts.experiments);
        const text = renderReport(report, opts.format);
        reportDamage(report.tables);
        if (opts.out) {
          fs.writeFileSync(opts.out, text);
          process.stderr.write(`report for preset ${preset} written to ${opts.out}\n`);
        } else process.stdout.write(text);
      } finally {
        store.close();
      }
    });

  program.command('worker')
    .description('run cells from a BullMQ queue on this machine (start one per machine; see --executor bullmq)')
    .requiredOption('--redis <url>', 'redis://host:6379 or unix:///path/redis.sock')
    .option('--queue <name>', 'queue name', DEFAULT_QUEUE)
    .option('-c, --concurrency <n>', 'cells at once on this machine', integer(1), 1)
    .addOption(new Option('-b, --backend <name>', 'compute backend of this machine (default: what each job asks)').choices(['auto', ...BACKENDS]))
    .option('--lock-ms <ms>', 'job lock: a worker silent this long has its job taken up by another', integer(1000), 30_000)
    .option('--checkpoint-dir <dir>', 'where this machine\'s cells checkpoint and keep their networks; share it (NFS) so that a worker taking over a stalled job resumes it', 'simsiam-checkpoints')
    .action(async (opts: { redis: string; queue: string; concurrency: number; backend?: BackendChoice; lockMs: number; checkpointDir: string }) => {
      await checkRedis(opts.redis);
      const worker = startWorker({ ...opts });
      onShutdown(() => worker.stop());
      process.stdout.write(`worker on ${opts.redis} queue '${opts.queue}', concurrency ${opts.concurrency}, checkpoints in ${path.resolve(opts.checkpointDir)}; Ctrl-C puts its running cells back in the queue and stops\n`);
    });

  keptCommands(program);

  program.command('dashboard')
    .description('serve the local dashboard: experiments, runs, curves, comparisons and the paper tables')
    .addOption(dbOption())
    .option('--port <n>', 'port', integer(0), 8787)
    .option('--host <addr>', 'address to bind (loopback by default)', '127.0.0.1')
    .action(async (opts: { db: string; port: number; host: string }) => {
      const { serveDashboard } = await import('../dashboard/server.ts');
      const d = await serveDashboard(opts);
      onShutdown(() => d.close());
      process.stdout.write(`dashboard on ${d.url} (database ${opts.db}); Ctrl-C stops it\n`);
    });

  program.command('bench')
    .description('time the training step (images/s, median after warm-up) per model and batch size; --compare times PyTorch beside it')
    .addOption(new Option('-m, --model <name...>', 'models to time').choices(Object.keys(BENCH_MODELS)).default(['resnet18-narrow', 'quick']))
    .option('--batch <n...>', 'batch sizes (default: 64)', (v, acc: number[] | undefined) => [...(acc ?? []), integer(1)(v)])
    .option('--steps <n>', 'timed steps (per round with --compare)', integer(1), 5)
    .option('--warmup <n>', 'untimed steps first', integer(0), 2)
    .option('--compare', 'also time the PyTorch reference (bench/torch_step.py) of the same model and step, alternating, and print the ratio (median of the rounds\' ratios, with their range)')
    .option('--rounds <n>', 'with --compare: alternating rounds, each one untimed step and --steps timed ones', integer(1), 3)
    .option('--processes <n>', 'with --compare on a CPU backend: also time a sweep\'s layout, n processes of ours at once and then n of PyTorch\'s, one thread each, and print images/s per core (default: the number of cores; below 2 skips it)', integer(0))
    .option('--threads <n>', 'wasm threads (default: $SIMSIAM_THREADS or 1; more than 1 loads the threaded SIMD binary, see README)', integer(1))
    .option('--json', 'print JSON (one object per model and batch)')
    .addOption(backendOption())
    .action(async (opts: {
      model: BenchModel[]; batch?: number[]; steps: number; warmup: number; compare?: boolean; rounds: number;
      threads?: number; processes?: number; json?: boolean; backend: BackendChoice;
    }) => {
      if (opts.compare) {
        const missing = torchUnavailable();
        if (missing) throw new SetupError(`--compare: ${missing}`);
      }
      const backend = await useBackend(opts.backend, { threads: opts.threads });
      if (!opts.json) process.stdout.write(`${describeBackend(backend)}\n`);
      const results: (BenchResult | (CompareResult & { sweep?: SweepCompareResult }))[] = [];
      const processes = opts.processes ?? os.cpus().length;
      // Per core means one process a core: more would share cores and understate both sides.
      if (processes > os.cpus().length) throw new SpecError(`--processes ${processes}: this machine has ${os.cpus().length} cores; give at most that`);
      for (const model of opts.model) {
        for (const batch of opts.batch ?? [64]) {
          if (opts.compare) {
            const r = await compareStep(backend, model, batch, opts);
            if (!opts.json) {
              process.stdout.write(`${model} batch ${batch}, one process: ${r.backend} (${r.threads} thread) ${r.images_per_sec.toFixed(2)} images/s, ` +
                `PyTorch ${r.torch_version} (${r.torch_device === 'cpu' ? `${r.torch_threads} thread` : r.torch_device}) ${r.torch_images_per_sec.toFixed(2)} images/s, ` +
                `ratio ${r.ratio_vs_torch.toFixed(3)} (median of ${r.rounds} alternating rounds of ${r.steps_per_round} steps, ` +
                `rounds ${r.ratio_range.map((x) => x.toFixed(2)).join('-')}; peak RSS ${r.peak_rss_mb.toFixed(0)} MB)\n`);
            }
            // A sweep's layout, one single-threaded cell per core: on the CPU only.
            const sweep = processes >= 2 && torchDeviceFor(backend) === 'cpu'
              ? await compareSweep(backend.name, model, batch, { processes, rounds: opts.rounds, steps: opts.steps, warmup: opts.warmup })
              : undefined;
            if (sweep && !opts.json) {
              process.stdout.write(`${model} batch ${batch}, ${sweep.processes} processes at once (1 thread each): ${r.backend} ${sweep.images_per_sec_per_core.toFixed(2)} images/s per core, ` +
                `PyTorch ${sweep.torch_images_per_sec_per_core.toFixed(2)} images/s per core, ratio ${sweep.ratio_vs_torch.toFixed(3)} ` +
                `(median of ${sweep.rounds} alternating rounds of ${sweep.steps_per_round} steps, rounds ${sweep.ratio_range.map((x) => x.toFixed(2)).join('-')})\n`);
            }
            results.push(sweep ? { ...r, sweep } : r);
            continue;
          }
          const r = await benchStep(backend, model, batch, opts.steps, opts.warmup);
          results.push(r);
          if (!opts.json) {
            process.stdout.write(`${r.backend} (${r.threads} thread) ${r.model} batch ${r.batch}: ${r.images_per_sec.toFixed(2)} images/s` +
              ` (${r.step_ms_median.toFixed(0)} ms/step, tensors ${r.tensors_after_first} -> ${r.tensors_after_last}, peak RSS ${r.peak_rss_mb.toFixed(0)} MB;` +
              ` augmentation ${r.augment_ms.toFixed(1)} ms/batch, ${(100 * r.augment_share_if_inline).toFixed(1)}% of a step if inline)\n`);
          }
        }
      }
      if (opts.json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
    });

  return program;
}

export async function main(argv: string[]): Promise<void> {
  installShutdown(); // SIGINT/SIGTERM stop every command within seconds, its children with it
  try {
    try {
      envThreads(); // checked before anything runs, not when a cell process loads its backend
    } catch (err) {
      throw new SpecError(`${(err as Error).message}; unset it for one wasm thread`);
    }
    await buildProgram().parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode === 0 ? 0 : 2; // commander has printed the message (or the help)
      return;
    }
    // A user's mistake (a spec, a path, a port) gets one line and exit 2; a bug keeps its stack.
    const user = describeUserError(err);
    process.stderr.write(`simsiam: ${user ?? (err instanceof Error ? (err.stack ?? err.message) : String(err))}\n`);
    process.exitCode = user == null ? 1 : err instanceof UserError ? err.exitCode : 2;
  } finally {
    releaseBackend(); // a GPU backend would keep the process alive
  }
}
