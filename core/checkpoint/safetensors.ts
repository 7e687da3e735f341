import { createHash } from 'node:crypto';
import type { StateArray, StateArrays } from './snapshot.ts';

/**
 * The safetensors layout (an 8-byte little-endian header length, a JSON header naming each
 * array's dtype, shape and byte range, then the raw bytes), so that a kept file opens in
 * `safetensors.numpy.load_file` or `torch` without this project. Raw float32 is the
 * smallest exact form: trained weights do not compress. One addition: `__metadata__.sha256`
 * covers the header (with that value zeroed) and every byte after it, so a damaged or
 * truncated file is told from a good one.
 */

const DTYPES = { F32: Float32Array, I32: Int32Array, U8: Uint8Array } as const;
type Dtype = keyof typeof DTYPES;
const ZEROS = '0'.repeat(64);

function dtypeOf(a: StateArray): Dtype {
  if (a instanceof Float32Array) return 'F32';
  if (a instanceof Int32Array) return 'I32';
  return 'U8';
}

/** A file that is not a good checkpoint: truncated, altered, or not one at all. */
export class DamagedFileError extends Error {}

export interface Encoded {
  /** The bytes to write, in order: the header, then each array's own buffer (nothing is copied). */
  parts: Uint8Array[];
  bytes: number;
}

/** Encode arrays with string metadata; `shapes` gives an array its shape (default: flat). */
export function encodeSafetensors(arrays: StateArrays, metadata: Record<string, string>, shapes: Record<string, number[]> = {}): Encoded {
  const header: Record<string, unknown> = { __metadata__: { ...metadata, sha256: ZEROS } };
  let offset = 0;
  const body: Uint8Array[] = [];
  for (const [name, a] of Object.entries(arrays)) {
    const bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    header[name] = { dtype: dtypeOf(a), shape: shapes[name] ?? [a.length], data_offsets: [offset, offset + bytes.length] };
    offset += bytes.length;
    body.push(bytes);
  }
  let text = JSON.stringify(header);
  text += ' '.repeat((8 - ((8 + Buffer.byteLength(text)) % 8)) % 8); // data starts 8-aligned, as the format allows
  const head = Buffer.from(text);
  const hash = createHash('sha256').update(head);
  for (const b of body) hash.update(b);
  const sum = hash.digest('hex');
  const at = head.indexOf(`"sha256":"${ZEROS}"`) + 10;
  head.write(sum, at, 'latin1');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(head.length));
  return { parts: [len, head, ...body], bytes: 8 + head.length + offset };
}

export interface Decoded {
  metadata: Record<string, string>;
  arrays: StateArrays;
  shapes: Record<string, number[]>;
}

/** Decode and verify; throws DamagedFileError for anything short of a whole, unaltered file. */
export function decodeSafetensors(buf: Buffer): Decoded {
  if (buf.length < 8) throw new DamagedFileError(`${buf.length} bytes: truncated`);
  const n = Number(buf.readBigUInt64LE(0));
  if (n > buf.length - 8) throw new DamagedFileError(`its header runs past the end (${n} bytes of ${buf.length - 8}): truncated`);
  const head = buf.subarray(8, 8 + n);
  let header: Record<string, { dtype: Dtype; shape: number[]; data_offsets: [number, number] } | Record<string, string>>;
  try {
    header = JSON.parse(head.toString('utf8'));
  } catch {
    throw new DamagedFileError('its header is not JSON');
  }
  const metadata = (header.__metadata__ ?? {}) as Record<string, string>;
  const sum = metadata.sha256;
  if (!/^[0-9a-f]{64}$/.test(sum ?? '')) throw new DamagedFileError('it has no checksum');
  const blank = Buffer.from(head);
  const at = blank.indexOf(`"sha256":"${sum}"`) + 10;
  blank.write(ZEROS, at, 'latin1');
  const actual = createHash('sha256').update(blank).update(buf.subarray(8 + n)).digest('hex');
  if (actual !== sum) throw new DamagedFileError('its checksum does not match its contents');
  const arrays: StateArrays = {};
  const shapes: Record<string, number[]> = {};
  const data = buf.subarray(8 + n);
  for (const [name, spec] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const { dtype, shape, data_offsets: [a, b] } = spec as { dtype: Dtype; shape: number[]; data_offsets: [number, number] };
    const Ctor = DTYPES[dtype];
    if (!Ctor || b > data.length) throw new DamagedFileError(`array ${name} is out of bounds`);
    // A copy into its own aligned buffer: the file's bytes need not be aligned for the type.
    const bytes = new Uint8Array(b - a);
    bytes.set(data.subarray(a, b));
    arrays[name] = new Ctor(bytes.buffer);
    shapes[name] = shape;
  }
  delete metadata.sha256;
  return { metadata, arrays, shapes };
}
