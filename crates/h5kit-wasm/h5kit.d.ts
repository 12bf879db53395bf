// Types of h5kit.mjs (and h5kit-read.mjs, which has no working Writer).

export type Kind = 'group' | 'dataset' | 'datatype' | 'soft' | 'external' | 'user' | 'error';

export interface Link {
  name: string;
  path: string;
  kind: Kind;
  /** Datasets. */
  shape?: number[];
  /** numpy-style datatype name of datasets: '<f8', '>i4', '|u1', '|S10', 'str', 'compound(...)'... */
  dtype?: string;
  /** Soft links: the path; external links: 'file:path'. */
  target?: string;
  /** kind 'error': why the object could not be opened. */
  error?: string;
}

export interface Info {
  kind: 'group' | 'dataset' | 'datatype';
  path: string;
  address: number;
  shape?: number[];
  /** null = unlimited. */
  maxshape?: (number | null)[];
  dtype?: string;
  /** The typed array `read` returns, or null when the values are not numbers. */
  element?: TypedArrayName | null;
  strings?: boolean;
  layout?: 'compact' | 'contiguous' | 'chunked' | 'other';
  chunks?: number[];
  filters?: string[];
}

export interface Attr {
  name: string;
  dtype: string;
  shape: number[];
  /** Numbers and strings (flat, row-major; scalars unwrapped); null when not representable. */
  value: number | string | (number | string)[] | null;
  error?: string;
}

export type TypedArrayName =
  | 'Int8Array' | 'Uint8Array' | 'Int16Array' | 'Uint16Array' | 'Int32Array' | 'Uint32Array'
  | 'BigInt64Array' | 'BigUint64Array' | 'Float32Array' | 'Float64Array';

export type AnyTypedArray =
  | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array
  | BigInt64Array | BigUint64Array | Float32Array | Float64Array;

export interface Values {
  type: TypedArrayName;
  shape: number[];
  data: AnyTypedArray;
}

export interface CacheStats {
  fetches: number;
  bytesFetched: number;
  hits: number;
  misses: number;
  cachedBlocks: number;
}

export interface RangedOptions {
  name?: string;
  /** Cache block size in bytes (default 65536). */
  blockSize?: number;
  /** Blocks kept between operations (default 256). */
  maxBlocks?: number;
}

export class File {
  list(path?: string): Promise<Link[]>;
  info(path: string): Promise<Info>;
  attrs(path?: string): Promise<Attr[]>;
  read(path: string, selection?: { start: number[]; count: number[] }): Promise<Values>;
  readStrings(path: string): Promise<string[]>;
  stats(): CacheStats | null;
  close(): void;
}

export function ready(source?: string | URL | Response | BufferSource | WebAssembly.Module): Promise<void>;
export function openBytes(bytes: Uint8Array | ArrayBuffer): Promise<File>;
export function openBlob(blob: Blob, options?: RangedOptions): Promise<File>;
export function openUrl(url: string, options?: RangedOptions): Promise<File>;
export function openRanged(length: number, fetchRange: (offset: number, length: number) => Promise<Uint8Array>, options?: RangedOptions): Promise<File>;
export function openSync(length: number, reader: (offset: number, length: number) => Uint8Array, options?: RangedOptions): Promise<File>;

export class Writer {
  constructor(options?: { latest?: boolean });
  createGroup(path: string): void;
  createDataset(path: string, data: AnyTypedArray | string[], options?: { shape?: number[]; chunks?: number[]; gzip?: number; shuffle?: boolean }): void;
  setAttr(path: string, name: string, value: string | number | AnyTypedArray, options?: { shape?: number[] }): void;
  toBytes(): Uint8Array;
  free(): void;
}
