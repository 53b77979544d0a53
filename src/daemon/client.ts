/**
 * A daemon client: a small pool of worker-protocol sessions, so concurrent requests run on
 * separate connections (one request at a time per connection, as the protocol requires).
 * Portable: the caller says how to open a {@link Transport} (`node.ts` opens unix sockets).
 *
 * @module
 */
import type { ByteStreamInput } from "../codecs/byte-reader.js";
import type {
  DaemonEvent,
  NarFromPathOptions,
  RequestOptions,
  SessionOptions,
  Transport,
} from "./session.js";
import { WorkerSession } from "./session.js";
import type { BuildMode, DerivedPath, KeyedBuildResult, PathInfo } from "./wire/types.js";

/** Default number of connections a client opens at most. */
export const DEFAULT_MAX_CONNECTIONS = 4;

/** Options of {@link DaemonClient}. */
export interface DaemonClientOptions extends SessionOptions {
  /** Opens a new connection. */
  readonly connect: () => Promise<Transport>;
  /** Connections open at most (default {@link DEFAULT_MAX_CONNECTIONS}). */
  readonly maxConnections?: number;
}

type Waiter = { resolve: (s: WorkerSession) => void; reject: (e: unknown) => void };

/** A pool of sessions with typed operations. */
export class DaemonClient {
  private readonly idle: WorkerSession[] = [];
  private readonly waiters: Waiter[] = [];
  private readonly transports = new WeakMap<WorkerSession, Transport>();
  private count = 0;
  private closed = false;
  private readonly max: number;

  constructor(private readonly options: DaemonClientOptions) {
    this.max = Math.max(1, options.maxConnections ?? DEFAULT_MAX_CONNECTIONS);
  }

  private async open(): Promise<WorkerSession> {
    const t = await this.options.connect();
    const s = await WorkerSession.open(t, this.options);
    this.transports.set(s, t);
    return s;
  }

  /** Takes a session from the pool (opening one if allowed), waiting when all are busy. */
  async acquire(): Promise<WorkerSession> {
    if (this.closed) throw new Error("the daemon client is closed");
    const s = this.idle.pop();
    if (s !== undefined) {
      (this.transports.get(s) as { ref?: () => void } | undefined)?.ref?.();
      return s;
    }
    if (this.count < this.max) {
      this.count++;
      try {
        return await this.open();
      } catch (err) {
        this.count--;
        throw err;
      }
    }
    return new Promise<WorkerSession>((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** Gives a session back (a broken one is dropped). */
  release(s: WorkerSession): void {
    if (!s.healthy || this.closed) {
      if (s.healthy) s.close();
      this.count--;
      const w = this.waiters.shift();
      if (w !== undefined) {
        this.count++;
        this.open().then(w.resolve, (err) => {
          this.count--;
          w.reject(err);
        });
      }
      return;
    }
    const w = this.waiters.shift();
    if (w !== undefined) {
      w.resolve(s);
      return;
    }
    (this.transports.get(s) as { unref?: () => void } | undefined)?.unref?.();
    this.idle.push(s);
  }

  /** Runs `fn` with a session of the pool. */
  async use<T>(fn: (s: WorkerSession) => Promise<T>): Promise<T> {
    const s = await this.acquire();
    try {
      return await fn(s);
    } finally {
      this.release(s);
    }
  }

  /** The version spoken with the daemon (opens a connection if none is open). */
  protocolVersion(): Promise<number> {
    return this.use(async (s) => s.version);
  }

  /** `IsValidPath`. */
  isValidPath(path: string, options?: RequestOptions): Promise<boolean> {
    return this.use((s) => s.isValidPath(path, options));
  }

  /** `QueryValidPaths`. */
  queryValidPaths(
    paths: readonly string[],
    substitute = false,
    options?: RequestOptions,
  ): Promise<string[]> {
    return this.use((s) => s.queryValidPaths(paths, substitute, options));
  }

  /** `QueryPathInfo` (`undefined` when the path is not valid). */
  queryPathInfo(path: string, options?: RequestOptions): Promise<PathInfo | undefined> {
    return this.use((s) => s.queryPathInfo(path, options));
  }

  /** `QueryPathFromHashPart`. */
  queryPathFromHashPart(hashPart: string, options?: RequestOptions): Promise<string | undefined> {
    return this.use((s) => s.queryPathFromHashPart(hashPart, options));
  }

  /** `QueryReferrers`. */
  queryReferrers(path: string, options?: RequestOptions): Promise<string[]> {
    return this.use((s) => s.queryReferrers(path, options));
  }

  /** `AddTempRoot`. */
  addTempRoot(path: string, options?: RequestOptions): Promise<void> {
    return this.use((s) => s.addTempRoot(path, options));
  }

  /** `AddSignatures`. */
  addSignatures(path: string, sigs: readonly string[], options?: RequestOptions): Promise<void> {
    return this.use((s) => s.addSignatures(path, sigs, options));
  }

  /** `EnsurePath`. */
  ensurePath(path: string, options?: RequestOptions): Promise<void> {
    return this.use((s) => s.ensurePath(path, options));
  }

  /** `BuildPaths`. */
  buildPaths(
    paths: readonly DerivedPath[],
    mode: BuildMode = "normal",
    options?: RequestOptions,
  ): Promise<void> {
    return this.use((s) => s.buildPaths(paths, mode, options));
  }

  /** `BuildPathsWithResults` (protocol ≥ 1.34). */
  buildPathsWithResults(
    paths: readonly DerivedPath[],
    mode: BuildMode = "normal",
    options?: RequestOptions,
  ): Promise<KeyedBuildResult[]> {
    return this.use((s) => s.buildPathsWithResults(paths, mode, options));
  }

  /** `NarFromPath`, streamed (see {@link WorkerSession.narFromPath}). */
  async *narFromPath(
    path: string,
    options?: NarFromPathOptions,
  ): AsyncGenerator<Uint8Array, void, undefined> {
    const s = await this.acquire();
    try {
      yield* s.narFromPath(path, options);
    } finally {
      this.release(s);
    }
  }

  /** `AddToStoreNar`, streamed. */
  addToStoreNar(
    info: PathInfo,
    nar: ByteStreamInput,
    options?: RequestOptions & { repair?: boolean; dontCheckSigs?: boolean },
  ): Promise<void> {
    return this.use((s) => s.addToStoreNar(info, nar, options));
  }

  /** `AddMultipleToStore` (protocol ≥ 1.32), streamed. */
  addMultipleToStore(
    items: Iterable<{ info: PathInfo; nar: ByteStreamInput }>,
    options?: RequestOptions & { repair?: boolean; dontCheckSigs?: boolean },
  ): Promise<void> {
    return this.use((s) => s.addMultipleToStore(items, options));
  }

  /** Closes every connection; pending waiters are refused. */
  close(): void {
    this.closed = true;
    for (const s of this.idle.splice(0)) s.close();
    for (const w of this.waiters.splice(0)) w.reject(new Error("the daemon client is closed"));
  }
}

export type { DaemonEvent };
