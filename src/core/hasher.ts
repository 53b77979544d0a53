/**
 * One streaming hashing interface for the whole library.
 *
 * Portable code asks {@link createHasher} for a {@link Hasher}; by default the hashes come from
 * `@noble/hashes` (pure JavaScript, runs anywhere). Node programs can switch the process to
 * native hashing with `installNodeHashing()` from `nix-compat/node`, which the CLI does: for
 * bulk data `node:crypto` is several times faster (see `npm run bench`).
 *
 * @module
 */
import { blake3 } from "@noble/hashes/blake3.js";
import { md5, sha1 } from "@noble/hashes/legacy.js";
import { sha256, sha512 } from "@noble/hashes/sha2.js";
import { byteChunks, type ByteStreamInput } from "./byte-stream.js";
import type { HashAlgorithm } from "./hash-algorithm.js";

/** An incremental hash computation. */
export interface Hasher {
  /** Feeds more bytes. Returns the hasher for chaining. */
  update(data: Uint8Array): Hasher;
  /** Finishes and returns the digest. The hasher must not be used afterwards. */
  digest(): Uint8Array;
}

/** A source of hashers: the library ships a portable one and a Node one. */
export interface HashBackend {
  /** Short name for diagnostics and benchmarks, e.g. `noble` or `node:crypto`. */
  readonly name: string;
  /** Creates a fresh hasher for `algorithm`. */
  create(algorithm: HashAlgorithm): Hasher;
  /**
   * Hashes one whole message (text as UTF-8), if the backend has a cheaper way than a hasher:
   * what {@link hashBytes} uses for the many short messages of store path computation.
   */
  hash?(algorithm: HashAlgorithm, data: Uint8Array | string): Uint8Array;
}

const nobleFactories = { md5, sha1, sha256, sha512, blake3 } as const;

/** The portable backend, built on `@noble/hashes`. */
export const nobleHashBackend: HashBackend = {
  name: "noble",
  create(algorithm) {
    const h = nobleFactories[algorithm].create();
    const hasher: Hasher = {
      update(data) {
        h.update(data);
        return hasher;
      },
      digest: () => h.digest(),
    };
    return hasher;
  },
};

let current: HashBackend = nobleHashBackend;

/** Replaces the backend used by {@link createHasher} for the whole process. */
export function setHashBackend(backend: HashBackend): void {
  current = backend;
}

/** The backend {@link createHasher} uses now. */
export function getHashBackend(): HashBackend {
  return current;
}

/** Creates a hasher for `algorithm` from the current backend. */
export function createHasher(algorithm: HashAlgorithm): Hasher {
  return current.create(algorithm);
}

/** Hashes a byte string (or UTF-8 text) in one go. */
export function hashBytes(algorithm: HashAlgorithm, data: Uint8Array | string): Uint8Array {
  if (current.hash !== undefined) return current.hash(algorithm, data);
  const bytes = typeof data === "string" ? utf8.encode(data) : data;
  return createHasher(algorithm).update(bytes).digest();
}

const utf8 = new TextEncoder();

/**
 * Hashes everything a byte stream holds: bytes, an (async) iterable of chunks, or a WHATWG
 * `ReadableStream` such as a `fetch()` body (read with its reader, cancelled if a chunk is
 * not bytes); see {@link byteChunks}.
 */
export async function hashStream(
  algorithm: HashAlgorithm,
  source: ByteStreamInput,
): Promise<Uint8Array> {
  const h = createHasher(algorithm);
  for await (const chunk of byteChunks(source)) h.update(chunk);
  return h.digest();
}
