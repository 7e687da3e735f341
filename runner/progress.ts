import cliProgress from 'cli-progress';

/** What the display knows of a running cell. */
export interface CellProgress {
  label: string;
  epoch: number;
  epochs: number;
  step: number;
  stepsPerEpoch: number;
  loss: number | null;
  startedMs: number;
  /** Steps a resumed cell had done before this process started it: the ETA counts only steps since. */
  resumedAtStep?: number;
}

export function fmtDuration(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '?';
  const m = Math.floor(s / 60), h = Math.floor(m / 60);
  return h ? `${h}h${String(m % 60).padStart(2, '0')}m` : m ? `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${Math.round(s)}s`;
}

/** Fraction of a cell done, counting steps. */
function fraction(p: CellProgress): number {
  if (!p.stepsPerEpoch) return 0;
  return ((p.epoch - 1) * p.stepsPerEpoch + p.step) / (p.epochs * p.stepsPerEpoch);
}

/**
 * One display for a sweep: a bar for cells done / total, and a line per running cell
 * with its epoch, step, loss and ETA. Off a TTY it prints one line per finished cell.
 */
export class SweepProgress {
  private readonly multi: cliProgress.MultiBar | null;
  private readonly total: cliProgress.SingleBar | null;
  private readonly bars = new Map<number, cliProgress.SingleBar>();
  private done = 0;

  constructor(private readonly cells: number, private readonly out: NodeJS.WriteStream = process.stdout) {
    if (out.isTTY) {
      this.multi = new cliProgress.MultiBar({
        stream: out, hideCursor: true, clearOnComplete: false, format: '{text}', autopadding: true,
      });
      this.total = this.multi.create(cells, 0, { text: this.totalText() });
    } else {
      this.multi = null;
      this.total = null;
    }
  }

  private totalText(): string {
    return `cells ${this.done}/${this.cells} done`;
  }

  update(id: number, p: CellProgress): void {
    if (!this.multi) return;
    const f = fraction(p);
    const elapsed = (Date.now() - p.startedMs) / 1000;
    const total = p.epochs * p.stepsPerEpoch, done = f * total, since = done - (p.resumedAtStep ?? 0);
    const eta = since > 0 ? fmtDuration((elapsed * (total - done)) / since) : '?';
    const width = 20, filled = Math.round(f * width);
    const text = `  ${p.label.padEnd(34).slice(0, 34)} [${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ` +
      `epoch ${p.epoch}/${p.epochs} step ${p.step}/${p.stepsPerEpoch} loss ${p.loss == null ? '-' : p.loss.toFixed(4)} ETA ${eta}`;
    const bar = this.bars.get(id);
    if (bar) bar.update(0, { text });
    else this.bars.set(id, this.multi.create(1, 0, { text }));
  }

  /** A cell ended: drop its line and print the summary once. */
  finished(id: number, line: string): void {
    this.done++;
    const bar = this.bars.get(id);
    if (bar && this.multi) this.multi.remove(bar);
    this.bars.delete(id);
    if (this.multi) {
      this.multi.log(`${line}\n`);
      this.total!.update(this.done, { text: this.totalText() });
    } else {
      this.out.write(`[${this.done}/${this.cells}] ${line}\n`);
    }
  }

  log(line: string): void {
    if (this.multi) this.multi.log(`${line}\n`);
    else this.out.write(`${line}\n`);
  }

  stop(): void {
    this.multi?.stop();
  }
}
