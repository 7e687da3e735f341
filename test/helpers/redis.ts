import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { componentPath } from './system.ts';

/** A throwaway redis-server on a unix socket, persistence off; stop() kills it by pid. */
export async function startRedis(): Promise<{ url: string; stop(): void }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redis-'));
  const sock = path.join(dir, 'redis.sock');
  const child: ChildProcess = spawn(componentPath('redis-server'), ['--port', '0', '--unixsocket', sock, '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
  const deadline = Date.now() + 10_000;
  while (!fs.existsSync(sock)) {
    if (Date.now() > deadline || child.exitCode != null) throw new Error('redis-server did not start (is Debian\'s redis-server installed?)');
    await new Promise((r) => setTimeout(r, 50));
  }
  return { url: `unix://${sock}`, stop: () => child.kill('SIGKILL') };
}
