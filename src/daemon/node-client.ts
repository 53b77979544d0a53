/**
 * Node-only adapter of the daemon client: unix sockets through `node:net`, with timeouts, and
 * the store URLs Nix accepts (`daemon`, `unix://PATH`). Apart from the server side
 * (`node-server.ts`) so that a client does not load it; `nix-compat/daemon/node` exports both.
 *
 * @module
 */
import { createConnection, type Socket } from "node:net";
import { UsageError } from "../core/errors.js";
import { DaemonClient, type DaemonClientOptions } from "./client.js";
import { DaemonConnectionError, DaemonTimeoutError } from "./errors.js";
import type { Transport } from "./session.js";
import type { ReleasingChunkSource } from "../codecs/tee-chunk-source.js";

/** Where Nix's daemon listens unless told otherwise. */
export const DEFAULT_DAEMON_SOCKET = "/nix/var/nix/daemon-socket/socket";
/** Default time to wait for bytes from the daemon before giving up: 60 s. */
export const DEFAULT_DAEMON_TIMEOUT_MS = 60_000;

/**
 * The socket path of a store URL: `daemon` (or none) is `$NIX_DAEMON_SOCKET_PATH`, else
 * {@link DEFAULT_DAEMON_SOCKET}; `unix://PATH` is PATH.
 */
export function resolveDaemonSocket(
  store: string | undefined,
  env: Record<string, string | undefined> = process.env,
): string {
  if (store === undefined || store === "daemon" || store === "unix://" || store === "auto") {
    return env.NIX_DAEMON_SOCKET_PATH || DEFAULT_DAEMON_SOCKET;
  }
  if (store.startsWith("unix://")) return store.slice("unix://".length).replace(/\?.*$/, "");
  throw new UsageError(
    "daemon.unsupported-store",
    `store '${store}' is not supported: use 'daemon' or 'unix://PATH'`,
  );
}

/** Bytes buffered from a socket before reading pauses. */
const HIGH_WATER_BYTES = 8 << 20;

/** What {@link slabReader} gives {@link socketTransport}. */
export interface SlabFeed {
  /** Takes a chunk read from the socket; returns false when reading should pause. */
  push: (c: Uint8Array) => boolean;
  /** Says that nobody looks at `c` any more: its memory may be read into again. */
  release?: (c: Uint8Array) => void;
  /** Says that `c`, a read, was merged into the chunk before it (one release for both). */
  merged?: (c: Uint8Array) => void;
}

/** Options of {@link socketTransport}. */
export interface SocketTransportOptions {
  /** Milliseconds to wait for the next bytes before failing (0: forever). */
  readonly timeoutMs?: number;
  /** @internal Set when the socket was created with `onread` (see {@link slabReader}). */
  readonly feed?: SlabFeed;
}

/** Size of the slabs {@link slabReader} reads into. */
export const READ_SLAB_SIZE = 1 << 20;
const MIN_READ = 128 << 10;
/** Released slabs kept for reuse at most. */
const SLAB_POOL_SIZE = 16;

interface Slab {
  readonly bytes: Uint8Array;
  /** Bytes read into it so far. */
  used: number;
  /** Chunks read into it and not released. */
  live: number;
  /** True once reading moved on to another slab. */
  retired: boolean;
}

/**
 * `onread` options for `net.connect`: reads go straight into large slabs (fewer, bigger reads
 * than Node's 64 KiB default), each chunk a view of its own that stays valid — unless it is
 * released (see {@link SlabFeed.release}): a slab whose every chunk was released is read into
 * again, which spares the page faults of fresh memory on long streams. Returns the options and
 * the feed to give {@link socketTransport}.
 */
export function slabReader(): {
  onread: { buffer: () => Uint8Array; callback: (n: number, buf: Uint8Array) => boolean };
  feed: SlabFeed;
} {
  const pool: Slab[] = [];
  const owners = new WeakMap<ArrayBufferLike, Slab>();
  const fresh = (): Slab => {
    const reused = pool.pop();
    if (reused !== undefined) {
      reused.used = 0;
      reused.retired = false;
      return reused;
    }
    const made: Slab = {
      bytes: Buffer.allocUnsafe(READ_SLAB_SIZE),
      used: 0,
      live: 0,
      retired: false,
    };
    owners.set(made.bytes.buffer, made);
    return made;
  };
  const recycle = (s: Slab) => {
    if (s.retired && s.live === 0 && pool.length < SLAB_POOL_SIZE && !pool.includes(s)) {
      pool.push(s);
    }
  };
  let slab = fresh();
  const feed: SlabFeed = {
    push: (_c: Uint8Array) => true,
    release: (c) => {
      const s = owners.get(c.buffer);
      if (s === undefined || s.live === 0) return;
      s.live--;
      recycle(s);
    },
    merged: (c) => {
      const s = owners.get(c.buffer);
      if (s !== undefined && s.live > 0) s.live--;
    },
  };
  return {
    feed,
    onread: {
      buffer: () => {
        if (slab.bytes.length - slab.used < MIN_READ) {
          const full = slab;
          full.retired = true;
          slab = fresh();
          recycle(full);
        }
        return slab.bytes.subarray(slab.used);
      },
      callback: (n, buf) => {
        const chunk = buf.subarray(0, n);
        slab.used += n;
        slab.live++;
        return feed.push(chunk);
      },
    },
  };
}

/** Wraps a connected socket as a {@link Transport}. */
export function socketTransport(
  socket: Socket,
  options: SocketTransportOptions = {},
): Transport & { ref(): void; unref(): void } {
  const timeoutMs = options.timeoutMs ?? DEFAULT_DAEMON_TIMEOUT_MS;
  const queue: Uint8Array[] = [];
  let queued = 0;
  let ended = false;
  let failure: Error | undefined;
  let paused = false;
  let waiter: { resolve: (c: Uint8Array) => void; reject: (e: unknown) => void } | undefined;
  // One timer for all waits (not one per chunk): it fires at most every `timeoutMs` and fails
  // the connection if the wait under way is that old. Unref'd: the socket keeps the process up.
  let timer: NodeJS.Timeout | undefined;
  let waitingSince = 0;
  const onTimer = () => {
    timer = undefined;
    if (waiter === undefined) return;
    const waited = Date.now() - waitingSince;
    if (waited < timeoutMs) {
      timer = setTimeout(onTimer, timeoutMs - waited);
      timer.unref();
      return;
    }
    const w = waiter;
    waiter = undefined;
    failure ??= new DaemonTimeoutError(
      "daemon.timeout",
      `the daemon sent nothing for ${timeoutMs} ms`,
    );
    socket.destroy();
    w.reject(failure);
  };
  const drainWaiters = new Set<{ resolve: () => void; reject: (e: unknown) => void }>();

  const closedError = () =>
    failure ??
    new DaemonConnectionError("daemon.connection-closed", "the daemon closed the connection");

  const wake = () => {
    if (waiter !== undefined) {
      const w = waiter;
      waiter = undefined;
      w.reject(closedError());
    }
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    for (const d of drainWaiters) d.reject(closedError());
    drainWaiters.clear();
  };

  /** Takes a chunk from the socket; returns false when the reader should pause. */
  const push = (c: Uint8Array): boolean => {
    if (waiter !== undefined) {
      const w = waiter;
      waiter = undefined;
      w.resolve(c);
      return true;
    }
    // While the consumer is busy, reads that landed next to each other in the same slab merge
    // into one view (no copy): a consumer that falls behind gets fewer, larger chunks.
    const last = queue.length > 0 ? queue[queue.length - 1]! : undefined;
    if (
      last !== undefined &&
      last.buffer === c.buffer &&
      last.byteOffset + last.length === c.byteOffset
    ) {
      queue[queue.length - 1] = new Uint8Array(c.buffer, last.byteOffset, last.length + c.length);
      options.feed?.merged?.(c);
    } else {
      queue.push(c);
    }
    queued += c.length;
    if (queued >= HIGH_WATER_BYTES && !paused) {
      paused = true;
      socket.pause();
      return false;
    }
    return true;
  };
  if (options.feed !== undefined) options.feed.push = push;
  else socket.on("data", (c: Buffer) => push(c));
  socket.on("end", () => {
    ended = true;
    wake();
  });
  socket.on("close", () => {
    ended = true;
    wake();
  });
  socket.on("error", (err) => {
    failure ??= new DaemonConnectionError(
      "daemon.connection-failed",
      `connection to the daemon failed: ${err.message}`,
      {
        cause: err,
      },
    );
    ended = true;
    wake();
  });
  socket.on("drain", () => {
    for (const d of drainWaiters) d.resolve();
    drainWaiters.clear();
  });

  const source: ReleasingChunkSource = {
    release: options.feed?.release,
    next() {
      const c = queue.shift();
      if (c !== undefined) {
        queued -= c.length;
        if (paused && queued < HIGH_WATER_BYTES / 4) {
          paused = false;
          socket.resume();
        }
        return c;
      }
      if (ended) return Promise.reject(closedError());
      return new Promise<Uint8Array>((resolve, reject) => {
        waiter = { resolve, reject };
        if (timeoutMs > 0) {
          waitingSince = Date.now();
          if (timer === undefined) {
            timer = setTimeout(onTimer, timeoutMs);
            timer.unref();
          }
        }
      });
    },
  };

  return {
    source,
    write(bytes) {
      if (ended || socket.destroyed) return Promise.reject(closedError());
      if (socket.write(bytes)) return;
      return new Promise<void>((resolve, reject) => drainWaiters.add({ resolve, reject }));
    },
    close() {
      socket.destroy();
    },
    ref() {
      socket.ref();
    },
    unref() {
      socket.unref();
    },
  };
}

/** Connects to a unix socket. */
export function connectUnixSocket(
  path: string,
  options: SocketTransportOptions = {},
): Promise<Transport & { ref(): void; unref(): void }> {
  return new Promise((resolve, reject) => {
    const slabs = slabReader();
    const socket = createConnection({ path, onread: slabs.onread } as never);
    const onError = (err: Error) => {
      reject(
        new DaemonConnectionError(
          "daemon.connect-failed",
          `cannot connect to socket at '${path}': ${err.message}`,
          { cause: err },
        ),
      );
    };
    socket.once("error", onError);
    socket.once("connect", () => {
      socket.off("error", onError);
      resolve(socketTransport(socket, { ...options, feed: slabs.feed }));
    });
  });
}

/** Options of {@link openDaemonClient}. */
export interface OpenDaemonOptions extends Omit<DaemonClientOptions, "connect"> {
  /** Store URL: `daemon` (default) or `unix://PATH`. */
  readonly store?: string;
  /** Milliseconds to wait for the daemon's next bytes (default {@link DEFAULT_DAEMON_TIMEOUT_MS}). */
  readonly timeoutMs?: number;
}

/** A pooled client for the daemon of `options.store`. Close it when done. */
export function openDaemonClient(options: OpenDaemonOptions = {}): DaemonClient {
  const path = resolveDaemonSocket(options.store);
  return new DaemonClient({
    ...options,
    connect: () => connectUnixSocket(path, { timeoutMs: options.timeoutMs }),
  });
}
