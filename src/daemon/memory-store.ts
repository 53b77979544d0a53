/**
 * An in-memory store answering the worker protocol: paths with their info and NAR, held in a
 * map. For tests and examples of {@link serveWorkerProtocol}; NARs added are checked against
 * their announced hash and size, as Nix does.
 *
 * @module
 */
import { MalformedInputError } from "../core/errors.js";
import { formatHash } from "../core/hash.js";
import { createHasher } from "../core/hasher.js";
import type { WorkerStoreHandler } from "./server.js";
import type { AddToStoreNarRequest } from "./wire/ops.js";
import type { PathInfo, UnkeyedPathInfo } from "./wire/types.js";
import { concatBytes } from "../codecs/wire-bytes.js";

/** A path held by a {@link MemoryStore}. */
export interface MemoryStoreEntry {
  info: PathInfo;
  nar: Uint8Array;
}

/** A worker-protocol handler over paths held in memory. */
export class MemoryStore implements WorkerStoreHandler {
  /** The paths, by absolute path. */
  readonly paths = new Map<string, MemoryStoreEntry>();
  /** Temporary roots added by clients. */
  readonly tempRoots = new Set<string>();

  /** Adds a path directly. */
  add(info: PathInfo, nar: Uint8Array): void {
    this.paths.set(info.path, { info: { ...info }, nar });
  }

  isValidPath(path: string): boolean {
    return this.paths.has(path);
  }

  queryValidPaths(paths: string[]): string[] {
    return paths.filter((p) => this.paths.has(p));
  }

  queryPathInfo(path: string): UnkeyedPathInfo | undefined {
    return this.paths.get(path)?.info;
  }

  queryPathFromHashPart(hashPart: string): string | undefined {
    for (const p of this.paths.keys()) {
      if (p.slice(p.lastIndexOf("/") + 1).startsWith(`${hashPart}-`)) return p;
    }
    return undefined;
  }

  queryReferrers(path: string): string[] {
    return [...this.paths.values()]
      .filter((e) => e.info.references.includes(path))
      .map((e) => e.info.path)
      .sort();
  }

  narFromPath(path: string): Iterable<Uint8Array> {
    const e = this.paths.get(path);
    if (e === undefined) throw new Error(`path '${path}' is not valid`);
    return [e.nar];
  }

  async addToStoreNar(
    request: AddToStoreNarRequest,
    nar: AsyncIterable<Uint8Array>,
  ): Promise<void> {
    const parts: Uint8Array[] = [];
    const h = createHasher("sha256");
    let size = 0;
    for await (const c of nar) {
      parts.push(c.slice());
      h.update(c);
      size += c.length;
    }
    const digest = h.digest();
    const info = request.info;
    const got = formatHash({ algorithm: "sha256", digest }, "nix32");
    if (got !== formatHash(info.narHash, "nix32")) {
      throw new MalformedInputError(
        "daemon.hash-mismatch",
        `hash mismatch importing path '${info.path}';\n  specified: ${formatHash(info.narHash, "nix32")}\n  got:       ${got}`,
      );
    }
    if (size !== info.narSize) {
      throw new MalformedInputError(
        "daemon.size-mismatch",
        `size mismatch importing path '${info.path}': specified ${info.narSize}, got ${size}`,
      );
    }
    const all = concatBytes(parts);
    if (!this.paths.has(info.path) || request.repair) this.add(info, all);
  }

  addTempRoot(path: string): void {
    this.tempRoots.add(path);
  }

  addSignatures(path: string, sigs: string[]): void {
    const e = this.paths.get(path);
    if (e === undefined) throw new Error(`path '${path}' is not valid`);
    for (const s of sigs) if (!e.info.sigs.includes(s)) e.info.sigs.push(s);
  }

  ensurePath(path: string): void {
    if (!this.paths.has(path)) throw new Error(`path '${path}' is not valid`);
  }

  buildPaths(): void {
    throw new Error("this store cannot build");
  }
}
