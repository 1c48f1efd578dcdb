// @ts-check
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';

const brotli = promisify(brotliCompress);
const gzipAsync = promisify(gzip);

/** Text formats worth compressing; images and icons are compressed already or tiny. */
const COMPRESSIBLE = /^(?:text\/|application\/json)/;
/** Below this a compressed body saves less than its headers cost. */
const MIN_BYTES = 1024;

/** @typedef {'br' | 'gzip'} Coding */

/**
 * The coding to answer with: br, else gzip, when the client accepts it (RFC 9110 §12.5.3; q=0
 * refuses), or null for identity.
 * @param {string | undefined} acceptEncoding
 * @returns {Coding | null}
 */
export function chooseCoding(acceptEncoding) {
  if (!acceptEncoding) return null;
  /** @type {Map<string, number>} */
  const q = new Map();
  for (const part of acceptEncoding.split(',')) {
    const [name = '', ...params] = part.trim().toLowerCase().split(';');
    const weight = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const value = weight === undefined ? 1 : Number(weight.slice(2));
    q.set(name.trim(), Number.isFinite(value) ? value : 0);
  }
  const accepts = (/** @type {string} */ coding) => (q.get(coding) ?? (q.get('*') ?? 0)) > 0;
  if (accepts('br')) return 'br';
  if (accepts('gzip')) return 'gzip';
  return null;
}

/** @param {string} contentType */
export function isCompressible(contentType) {
  return COMPRESSIBLE.test(contentType);
}

/**
 * Each file's body, raw and in each coding, computed once and kept while the file is unchanged:
 * the build is a few dozen files, and compressing them on every request would cost CPU for
 * nothing.
 */
export class CompressedBodies {
  /** @type {Map<string, { version: string, raw: Promise<Buffer>, coded: Map<Coding, Promise<Buffer>> }>} */
  #entries = new Map();

  /**
   * @param {string} key the file
   * @param {string} version changes whenever the file does (mtime and size)
   * @param {() => Promise<Buffer>} load reads the body as served without compression
   * @param {Coding | null} wanted
   * @returns {Promise<{ body: Buffer, coding: Coding | null }>}
   */
  async get(key, version, load, wanted) {
    let entry = this.#entries.get(key);
    if (!entry || entry.version !== version) {
      entry = { version, raw: load(), coded: new Map() };
      this.#entries.set(key, entry);
      const failed = entry;
      // A failed read is not kept: the next request tries again.
      entry.raw.catch(() => this.#entries.get(key) === failed && this.#entries.delete(key));
    }
    const raw = await entry.raw;
    if (wanted === null || raw.length < MIN_BYTES) return { body: raw, coding: null };
    let coded = entry.coded.get(wanted);
    if (!coded) {
      coded =
        wanted === 'br'
          ? brotli(raw, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: raw.length } })
          : gzipAsync(raw, { level: 9 });
      entry.coded.set(wanted, coded);
      const owner = entry;
      coded.catch(() => owner.coded.delete(wanted));
    }
    return { body: await coded, coding: wanted };
  }
}
