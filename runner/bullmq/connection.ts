import { SetupError } from '../../core/user-error.ts';
import type { ConnectionOptions } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import { SpecError } from '../../experiments/validate.ts';

/** Default queue name for sweeps. */
export const DEFAULT_QUEUE = 'simsiam-cells';

/**
 * ioredis options from a URL: `redis://[:password@]host:port[/db]` or `unix:///path/to/redis.sock`.
 * BullMQ needs maxRetriesPerRequest null on the connections it blocks on.
 */
export function redisOptions(url: string): RedisOptions {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new SpecError(`--redis ${url}: not a URL; use redis://host:6379 or unix:///path/to/redis.sock`);
  }
  const base: RedisOptions = { maxRetriesPerRequest: null };
  if (u.protocol === 'unix:') return { ...base, path: u.pathname };
  if (u.protocol !== 'redis:') throw new SpecError(`--redis ${url}: use redis://host:6379 or unix:///path/to/redis.sock`);
  return {
    ...base, host: u.hostname || '127.0.0.1', port: Number(u.port || 6379),
    password: u.password ? decodeURIComponent(u.password) : undefined, db: u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0,
  };
}

/** The same, typed for BullMQ's queues and workers. */
export function bullConnection(url: string): ConnectionOptions {
  return redisOptions(url) as ConnectionOptions;
}

/** Fail fast, naming the URL, when Redis does not answer a PING within `timeoutMs`. */
export async function checkRedis(url: string, timeoutMs = 3000): Promise<void> {
  const client = new Redis({ ...redisOptions(url), lazyConnect: true, connectTimeout: timeoutMs, retryStrategy: () => null, maxRetriesPerRequest: 0 });
  client.on('error', () => {});
  try {
    await Promise.race([
      client.connect().then(() => client.ping()),
      new Promise((_, reject) => setTimeout(() => reject(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs)),
    ]);
  } catch (err) {
    throw new SetupError(`cannot reach Redis at ${url}: ${(err as Error).message}. Start one (e.g. \`redis-server\`) or fix --redis.`);
  } finally {
    client.disconnect();
  }
}
