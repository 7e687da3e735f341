import { Command, InvalidArgumentError, Option } from 'commander';
import { BACKENDS, useBackend, type BackendChoice } from '../core/backend.ts';
import { PRESETS, type PresetName } from '../experiments/presets.ts';
import { applyOverrides, SpecError } from '../experiments/validate.ts';
import { BENCH_MODELS, benchStep, type BenchModel, type BenchResult } from './bench.ts';
import { runOne } from './run-one.ts';

const backendOption = () => new Option('-b, --backend <name>', 'compute backend').choices(['auto', ...BACKENDS]).default('auto');

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

function collect(v: string, acc: string[]): string[] {
  return [...acc, v];
}

export function buildProgram(): Command {
  const program = new Command('simsiam')
    .description('Reproduce and extend the SimSiam ablations (Chen & He, CVPR 2021) on TensorFlow.js')
    .showHelpAfterError('(run with --help for usage)');

  program.command('run')
    .description('train one configuration: a named preset plus --set overrides, printing the monitors per epoch')
    .argument('[preset]', `one of: ${Object.keys(PRESETS).join(', ')}`, 'small')
    .option('-s, --set <path=value>', 'override a config field, repeatable (e.g. --set stopGradient=false)', collect, [])
    .addOption(backendOption())
    .option('--print-config', 'print the resolved configuration and exit')
    .addHelpText('after', `
Examples:
  simsiam run                                   # the default: small preset, embedded data
  simsiam run small --set stopGradient=false    # the collapse of Sec. 4.1
  simsiam run small --set similarity.kind=cross-entropy
  simsiam run small --set 'predictor={"kind":"none"}'
  simsiam run fashion --set epochs=5            # Fashion-MNIST (apt-get install dataset-fashion-mnist)`)
    .action(async (preset: string, opts: { set: string[]; backend: BackendChoice; printConfig?: boolean }) => {
      if (!(preset in PRESETS)) throw new SpecError(`unknown preset '${preset}'; allowed: ${Object.keys(PRESETS).join(', ')}`);
      const cfg = applyOverrides(PRESETS[preset as PresetName], opts.set);
      if (opts.printConfig) {
        process.stdout.write(`${JSON.stringify(cfg, null, 2)}\n`);
        return;
      }
      const backend = await useBackend(opts.backend);
      const result = await runOne(cfg, backend);
      if (result.status === 'diverged') process.exitCode = 3;
    });

  program.command('bench')
    .description('time the training step (images/s, median after warm-up) per model and batch size')
    .addOption(new Option('-m, --model <name...>', 'models to time').choices(Object.keys(BENCH_MODELS)).default(['resnet18-narrow', 'quick']))
    .option('--batch <n...>', 'batch sizes', (v, acc: number[] | undefined) => [...(acc ?? []), positiveInt(v)])
    .option('--steps <n>', 'timed steps', positiveInt, 5)
    .option('--warmup <n>', 'untimed steps first', positiveInt, 2)
    .option('--json', 'print JSON (one object per model and batch)')
    .addOption(backendOption())
    .action(async (opts: { model: BenchModel[]; batch?: number[]; steps: number; warmup: number; json?: boolean; backend: BackendChoice }) => {
      const backend = await useBackend(opts.backend);
      const results: BenchResult[] = [];
      for (const model of opts.model) {
        for (const batch of opts.batch ?? [64]) {
          const r = benchStep(backend, model, batch, opts.steps, opts.warmup);
          results.push(r);
          if (!opts.json) {
            process.stdout.write(`${r.backend} (${r.threads} thread) ${r.model} batch ${r.batch}: ${r.images_per_sec.toFixed(2)} images/s` +
              ` (${r.step_ms_median.toFixed(0)} ms/step, tensors ${r.tensors_after_first} -> ${r.tensors_after_last}, peak RSS ${r.peak_rss_mb.toFixed(0)} MB)\n`);
          }
        }
      }
      if (opts.json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
    });

  return program;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    const msg = err instanceof SpecError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err);
    process.stderr.write(`simsiam: ${msg}\n`);
    process.exitCode = err instanceof SpecError ? 2 : 1;
  }
}
