/**
 * The `node:crypto` hash backend (Node only).
 *
 * @module
 */
import { createHash } from "node:crypto";
import type { HashAlgorithm } from "../core/hash-algorithm.js";
import { type HashBackend, type Hasher, nobleHashBackend, setHashBackend } from "../core/hasher.js";

/**
 * Hashing with OpenSSL through `node:crypto`: the fastest choice in Node for bulk data.
 * OpenSSL has no BLAKE3, so `blake3` comes from the portable backend.
 */
export const nodeHashBackend: HashBackend = {
  name: "node:crypto",
  create(algorithm: HashAlgorithm): Hasher {
    if (algorithm === "blake3") return nobleHashBackend.create(algorithm);
    const h = createHash(algorithm);
    const hasher: Hasher = {
      update(data) {
        h.update(data);
        return hasher;
      },
      digest: () => new Uint8Array(h.digest()),
    };
    return hasher;
  },
};

/** Makes every hash the library computes in this process use `node:crypto`. */
export function installNodeHashing(): void {
  setHashBackend(nodeHashBackend);
}
