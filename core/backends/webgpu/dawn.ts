import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

/** What a WebGPU adapter says of itself; recorded with each run that trains on it. */
export interface GpuAdapter {
  vendor: string;
  architecture: string;
  description: string;
  /** A CPU implementation (llvmpipe, SwiftShader, WARP): correct, but slower than the CPU backends. */
  software: boolean;
}

interface DawnAdapter {
  info: { vendor?: string; architecture?: string; device?: string; description?: string; isFallbackAdapter?: boolean };
  isFallbackAdapter?: boolean;
}
interface DawnGpu {
  requestAdapter(o: { powerPreference: 'high-performance' }): Promise<DawnAdapter | null>;
}

const require = createRequire(import.meta.url);

export function adapterOf(a: DawnAdapter): GpuAdapter {
  const { vendor = '', architecture = '', device = '', description = '' } = a.info;
  const software = Boolean(a.info.isFallbackAdapter ?? a.isFallbackAdapter) || architecture === 'software' ||
    /llvmpipe|lavapipe|swiftshader|microsoft basic render/i.test(`${device} ${description}`);
  return { vendor, architecture, description: description || device, software };
}

/** One line for logs and the run record, e.g. `nvidia hopper: NVIDIA H200`. */
export function describeAdapter(a: GpuAdapter): string {
  const who = [a.vendor, a.architecture].filter(Boolean).join(' ') || 'unknown vendor';
  return `${who}: ${a.description || 'no description'}${a.software && a.architecture !== 'software' ? ' (software)' : ''}`;
}

/** What to install for an adapter, on this OS. */
export function adapterHint(platform: NodeJS.Platform = process.platform): string {
  switch (platform) {
    case 'darwin':
      return 'On macOS, Metal needs nothing installed: a Mac from 2016 on with macOS 11 or later has an adapter.';
    case 'win32':
      return 'On Windows, install or update the GPU vendor\'s driver (D3D12, Windows 10 or later).';
    default:
      return 'On Linux, install the GPU vendor\'s Vulkan driver (NVIDIA: its driver\'s Vulkan ICD with libvulkan1; AMD and Intel: ' +
        '`apt-get install mesa-vulkan-drivers`); a software adapter for tests: `apt-get install -t bookworm-backports mesa-vulkan-drivers` ' +
        '(Debian bookworm; Mesa 25 or later elsewhere).';
  }
}

/**
 * The adapter Dawn offers, probed in a child process: a broken GPU driver can crash the
 * process that loads it, and on a software adapter Dawn prints limit warnings that `auto`,
 * which will not take it, should not show.
 */
export function probeAdapter(timeoutMs = 30_000): Promise<GpuAdapter | null> {
  const url = pathToFileURL(require.resolve('webgpu')).href; // throws MODULE_NOT_FOUND where not installed
  const script = `const { create } = await import(${JSON.stringify(url)});
const a = await create([]).requestAdapter({ powerPreference: 'high-performance' });
const i = a?.info ?? {};
process.stdout.write(JSON.stringify(a && { info: { vendor: i.vendor, architecture: i.architecture, device: i.device,
  description: i.description, isFallbackAdapter: i.isFallbackAdapter ?? a.isFallbackAdapter } }));
process.exit(0);`;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--input-type=module', '-e', script], { timeout: timeoutMs, encoding: 'utf8' }, (err, stdout) => {
      if (err) return reject(new Error(`the adapter probe failed (${err.killed ? 'timed out' : (err.signal ?? `exit ${err.code}`)})`));
      const a = JSON.parse(stdout || 'null') as DawnAdapter | null;
      resolve(a && adapterOf(a));
    });
  });
}

let gpu: DawnGpu | null = null;

/**
 * Give this process `navigator.gpu` from Dawn (the `webgpu` package) and register tfjs's
 * WebGPU backend, which looks for `navigator.gpu` when it is imported. Returns the adapter
 * the backend will take (the same request as its own).
 */
export async function startDawn(): Promise<GpuAdapter> {
  const { create, globals } = await import('webgpu');
  gpu ??= create([]) as unknown as DawnGpu;
  const a = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!a) throw new Error('no WebGPU adapter');
  Object.assign(globalThis, globals);
  // Node 21+ defines a getter-only `navigator`; replace it rather than assign into it.
  Object.defineProperty(globalThis, 'navigator', { value: { ...(globalThis as { navigator?: object }).navigator, gpu }, configurable: true, writable: true });
  await import('@tensorflow/tfjs-backend-webgpu');
  return adapterOf(a);
}

/** Drop this process's reference to Dawn, which otherwise keeps Node from exiting. */
export function stopDawn(): void {
  if (!gpu) return;
  gpu = null;
  const nav = (globalThis as { navigator?: { gpu?: unknown } }).navigator;
  if (nav) delete nav.gpu;
}
