import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/**
 * Write `parts` to `file` so that the file is always either its old contents or all of the
 * new: a temp file beside it, written and fsynced, then renamed over it, and the directory
 * fsynced so that the rename survives a power cut. On any failure (a full disk, an I/O
 * error) the temp file is removed and the old file is untouched.
 */
export async function writeAtomic(file: string, parts: Uint8Array[]): Promise<void> {
  const tmp = `${file}.${process.pid}.${randomBytes(3).toString('hex')}.tmp`;
  const fh = await fs.promises.open(tmp, 'w');
  try {
    for (const p of parts) {
      for (let done = 0; done < p.length;) done += (await fh.write(p, done, p.length - done)).bytesWritten;
    }
    await fh.sync();
    await fh.close();
  } catch (err) {
    await fh.close().catch(() => {});
    await fs.promises.rm(tmp, { force: true });
    throw err;
  }
  try {
    await fs.promises.rename(tmp, file);
  } catch (err) {
    await fs.promises.rm(tmp, { force: true });
    throw err;
  }
  const dir = await fs.promises.open(path.dirname(file), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

/** Temp files a killed writer left beside `file`. */
export function strayTemps(file: string): string[] {
  const dir = path.dirname(file), base = path.basename(file);
  try {
    return fs.readdirSync(dir).filter((f) => f.startsWith(`${base}.`) && f.endsWith('.tmp')).map((f) => path.join(dir, f));
  } catch {
    return [];
  }
}
