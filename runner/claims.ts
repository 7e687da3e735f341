import type { Cell } from './grid.ts';
import type { SweepProgress } from './progress.ts';
import { isStopping } from './shutdown.ts';
import type { Claimant, ClaimRule, Run, RunStore } from './store/run-store.ts';
import { pidAlive } from './claimant.ts';
import { cellLabel, tally, type SweepSummary } from './sweep-summary.ts';

/** How often a sweep waiting for another process's cells looks again. */
const WAIT_POLL_MS = 1_000;

export interface QueuedCell {
  cell: Cell;
  run: Run;
}

/**
 * Where a cell is claimed: hands out the sweep's pending cells one at a time, each won by
 * an atomic claim in the store, so that sweeps sharing a database never run a cell twice.
 * A cell whose configuration already ran for another experiment is settled by copying
 * that result; cells another live process holds are waited for; cells of a process of
 * this host that died are released to be claimed again.
 */
export class CellClaims {
  private readonly queue: QueuedCell[];
  private waitingShown = false;

  constructor(
    pending: QueuedCell[], private readonly store: RunStore, private readonly me: Claimant, private readonly rule: ClaimRule,
    private readonly experiment: string, private readonly summary: SweepSummary, private readonly progress: SweepProgress,
    /** The sweep's stop on a failed store write: claiming ends once it has halted. */
    private readonly sweep: { halted: unknown; fail(err: unknown): void },
  ) {
    this.queue = [...pending];
  }

  /** The next cell this process wins; null when none is left (or the sweep is stopping). */
  async next(): Promise<QueuedCell | null> {
    try {
      return await this.claimNext();
    } catch (err) {
      this.sweep.fail(err);
      return null;
    }
  }

  private async claimNext(): Promise<QueuedCell | null> {
    while (!isStopping() && !this.sweep.halted) {
      let waiting = 0;
      for (const item of [...this.queue]) {
        if (this.store.claim(item.run.id, this.me, this.rule)) {
          this.drop(item);
          if (!this.reused(item)) return item;
        } else if (this.heldElsewhere(item)) {
          waiting++;
        }
      }
      if (this.queue.length === 0) return null;
      if (!this.waitingShown && waiting) {
        this.waitingShown = true;
        this.progress.log(`waiting for ${waiting} cell(s) held by another process; they are taken over if it dies`);
      }
      await new Promise((r) => setTimeout(r, WAIT_POLL_MS));
    }
    return null;
  }

  private drop(item: QueuedCell): void {
    this.queue.splice(this.queue.indexOf(item), 1);
  }

  /** The same configuration and seed already ran for another experiment: its result serves this one too. */
  private reused(item: QueuedCell): boolean {
    const earlier = this.rule.force ? null : this.store.findResult(item.cell.hash, this.experiment);
    if (!earlier || !this.store.reuse(item.run.id, this.me.owner, earlier)) return false;
    this.summary.reused++;
    tally(this.summary, earlier.status);
    this.progress.finished(item.run.id, `${earlier.status} ${cellLabel(item.cell)}: the result of the same cell in ${earlier.experiment} (run ${earlier.id})`);
    return true;
  }

  /** Whether another process still holds the cell; a cell that ended elsewhere is counted and dropped. */
  private heldElsewhere(item: QueuedCell): boolean {
    const now = this.store.getRun(item.run.id);
    if (now.status === 'running' && now.host === this.me.host && !pidAlive(now.pid)) {
      // Its owner on this host is gone: release it for the next round of claims.
      this.store.finish(now.id, now.owner ?? '', 'interrupted', `process ${now.pid} that ran it is gone`);
      return true;
    }
    if (now.status === 'running') return true;
    // Ended by another process since this sweep began: a result, not work for us.
    this.drop(item);
    this.summary.ranElsewhere++;
    tally(this.summary, now.status);
    this.progress.finished(now.id, `${now.status} ${cellLabel(item.cell)} (run by another process)`);
    return false;
  }
}
