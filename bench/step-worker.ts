/**
 * One process of `bench --compare`'s sweep measurement: our training step, timed in blocks
 * on request, as bench/torch_step.py does PyTorch's. Protocol (JSON lines): the first stdin
 * line is {"model", "batch", "backend", "threads"}; it answers {"ready": true, "backend":
 * description}, or {"error": why}. Each further line {"steps": n} runs n steps and answers
 * {"ms": [per-step ms]}. EOF ends it.
 */
import readline from 'node:readline';
import { describeBackend, releaseBackend, useBackend, type BackendChoice } from '../core/backend.ts';
import { openStepTimer, type BenchModel, type StepTimer } from './step.ts';

const say = (o: unknown) => process.stdout.write(`${JSON.stringify(o)}\n`);
let timer: StepTimer | null = null;
try {
  for await (const line of readline.createInterface({ input: process.stdin })) {
    const msg = JSON.parse(line) as { model?: BenchModel; batch?: number; backend?: BackendChoice; threads?: number; steps?: number };
    if (!timer) {
      const backend = await useBackend(msg.backend, { threads: msg.threads });
      timer = openStepTimer(msg.model!, msg.batch!);
      say({ ready: true, backend: describeBackend(backend) });
    } else {
      say({ ms: await timer.time(msg.steps ?? 1) });
    }
  }
} catch (err) {
  say({ error: (err as Error).message.split('\n')[0] });
} finally {
  timer?.dispose();
  releaseBackend();
}
