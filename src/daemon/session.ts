/**
 * One worker-protocol connection seen from the client: the handshake, the stderr loop and the
 * operations, over any {@link Transport} (the Node socket adapter is in `node.ts`). Portable.
 *
 * Requests on one session run one at a time (callers queue); use a pool
 * (`DaemonClient`) for concurrency.
 *
 * @module
 */
import { byteChunks, type ByteStreamInput, type ChunkSource } from "../codecs/byte-reader.js";
import type { Codec } from "../codecs/codec.js";
import { compiled } from "../codecs/compile.js";
import { decodeMessage } from "../codecs/decode-buffered.js";
import { decodeAsync } from "../codecs/decode-stream.js";
import { encode } from "../codecs/encode.js";
import { UsageError } from "../core/errors.js";
import {
  DaemonConnectionError,
  DaemonError,
  DaemonProtocolError,
  DaemonTimeoutError,
} from "./errors.js";
import { framedChunks } from "./wire/framed.js";
import { clientHello, clientOptions, clientVersion, serverHello } from "./wire/handshake.js";
import {
  addMultipleCount,
  addMultipleItem,
  type AddToStoreNarRequest,
  type ClientSettings,
  DEFAULT_CLIENT_SETTINGS,
  OPS,
  type OpSpec,
} from "./wire/ops.js";
import { wireBytes } from "./wire/primitives.js";
import { type StderrMessage, stderrMessage } from "./wire/stderr.js";
import { embeddedNar, EmbeddingReader } from "./wire/embedded-nar.js";
import {
  type BuildMode,
  type ClientHandshakeInfo,
  clientHandshakeInfo,
  type DerivedPath,
  type KeyedBuildResult,
  type PathInfo,
  type UnkeyedPathInfo,
} from "./wire/types.js";
import {
  formatProtocolVersion,
  hasMinor,
  MAX_PROTOCOL_VERSION,
  MIN_PROTOCOL_VERSION,
  type ProtocolVersion,
  protocolMajor,
} from "./wire/version.js";
import { concatBytes } from "../codecs/wire-bytes.js";

/** A byte connection to a peer: what it sends, and a way to send to it. */
export interface Transport {
  /** Bytes from the peer; `next()` should reject with a typed error on timeouts or drops. */
  readonly source: ChunkSource;
  /** Sends bytes (resolves when the peer can take more). */
  write(bytes: Uint8Array): Promise<void> | void;
  /** Closes the connection. */
  close(): void;
}

/** Log lines and activities the daemon reports while it works. */
export type DaemonEvent = Extract<
  StderrMessage,
  { type: "next" | "start-activity" | "stop-activity" | "result" }
>;

/** Receives daemon events. */
export type DaemonEventListener = (event: DaemonEvent) => void;

/**
 * Longest string the client accepts in the daemon's stderr messages (a log line, an error
 * message): 4 MiB, against the wire's own 64 MiB; option `maxMessageLength`. Longer ones fail
 * the request with a `LimitExceededError` (and end the connection).
 */
export const DAEMON_MAX_MESSAGE_LENGTH = 4 << 20;

/** Options of a session. */
export interface SessionOptions {
  /**
   * Milliseconds a request (or the handshake) may take in all, however often the daemon sends
   * something meanwhile (default: no deadline; the transport's idle timeout still applies).
   * Past it the request fails with a `DaemonTimeoutError` (code `daemon.deadline`) and the
   * connection is closed.
   */
  readonly deadlineMs?: number;
  /** {@link DAEMON_MAX_MESSAGE_LENGTH} */
  readonly maxMessageLength?: number;
  /** The version the client announces (default {@link MAX_PROTOCOL_VERSION}). */
  readonly clientVersion?: ProtocolVersion;
  /** Settings sent with `SetOptions` after the handshake (`false`: do not send). */
  readonly settings?: Partial<ClientSettings> | false;
  /** Receives log lines and activities of every request. */
  readonly onEvent?: DaemonEventListener;
}

/** Per-request options. */
export interface RequestOptions {
  /** This request's deadline in milliseconds (default: the session's `deadlineMs`). */
  readonly deadlineMs?: number;
  /** Receives log lines and activities of this request. */
  readonly onEvent?: DaemonEventListener;
}

/** Options of `narFromPath`. */
export interface NarFromPathOptions extends RequestOptions {
  /**
   * Promise to be done with each chunk before asking for the next (no keeping views, no
   * asynchronous writes of them): the transport may then read into their memory again, which
   * saves the page faults of fresh memory on large NARs. Default false: chunks stay valid.
   */
  readonly reuseBuffers?: boolean;
  /**
   * Yield bytes only once at least this many are read (and at the end): few chunks for a NAR
   * of many small files (see `EmbeddedNarOptions.coalesceBytes`). Default 0.
   */
  readonly coalesceBytes?: number;
}

/**
 * A deadline of `ms` milliseconds (none when undefined): when it passes, `onExpiry` closes the
 * connection, which makes the pending read fail; {@link error} then turns that failure into a
 * `DaemonTimeoutError`.
 */
function startDeadline(
  ms: number | undefined,
  onExpiry: () => void,
): { readonly expired: boolean; error(cause: unknown): DaemonTimeoutError; clear(): void } {
  let expired = false;
  const timer =
    ms === undefined
      ? undefined
      : setTimeout(() => {
          expired = true;
          onExpiry();
        }, ms);
  return {
    get expired() {
      return expired;
    },
    error: (cause) =>
      new DaemonTimeoutError("daemon.deadline", `the request took longer than ${ms} ms`, {
        cause,
      }),
    clear: () => clearTimeout(timer),
  };
}

/** A connected, handshaken worker-protocol session. */
export class WorkerSession {
  /** The version both sides speak. */
  readonly version: ProtocolVersion;
  /** The daemon's announced version. */
  readonly daemonVersion: ProtocolVersion;
  /** What the daemon said about itself. */
  readonly info: ClientHandshakeInfo;
  /** False once the connection failed (it must then be discarded). */
  healthy = true;

  private constructor(
    private readonly transport: Transport,
    private readonly reader: EmbeddingReader,
    version: ProtocolVersion,
    daemonVersion: ProtocolVersion,
    info: ClientHandshakeInfo,
    private readonly onEvent: DaemonEventListener | undefined,
    private readonly options: SessionOptions = {},
  ) {
    this.version = version;
    this.daemonVersion = daemonVersion;
    this.info = info;
  }

  /** Performs the handshake (and `SetOptions`) over `transport`. */
  static async open(transport: Transport, options: SessionOptions = {}): Promise<WorkerSession> {
    const reader = EmbeddingReader.over(transport.source);
    const ours = options.clientVersion ?? MAX_PROTOCOL_VERSION;
    const deadline = startDeadline(options.deadlineMs, () => transport.close());
    try {
      await transport.write(encode(clientHello, undefined));
      const hello = await decodeAsync(serverHello, reader, { allowTrailing: true });
      if (protocolMajor(hello.version) !== 1) {
        throw new DaemonProtocolError(
          "daemon.unsupported-version",
          `the daemon speaks protocol ${formatProtocolVersion(hello.version)}, expected 1.x`,
        );
      }
      const v = Math.min(hello.version, ours);
      if (v < MIN_PROTOCOL_VERSION) {
        throw new DaemonProtocolError(
          "daemon.unsupported-version",
          `the daemon speaks protocol ${formatProtocolVersion(hello.version)}, older than the oldest supported ${formatProtocolVersion(MIN_PROTOCOL_VERSION)}`,
        );
      }
      await transport.write(
        concatBytes([
          encode(clientVersion, ours),
          encode(clientOptions(v), { cpuAffinity: undefined, reserveSpace: false }),
        ]),
      );
      const info = await decodeAsync(clientHandshakeInfo(v), reader, { allowTrailing: true });
      const session = new WorkerSession(
        transport,
        reader,
        v,
        hello.version,
        info,
        options.onEvent,
        options,
      );
      await session.processStderr();
      if (options.settings !== false) await session.setOptions(options.settings ?? {});
      return session;
    } catch (err) {
      transport.close();
      throw deadline.expired ? deadline.error(err) : err;
    } finally {
      deadline.clear();
    }
  }

  private async read<T>(codec: Codec<T>): Promise<T> {
    return decodeMessage(compiled(codec), this.reader);
  }

  private stderrLimits(): Record<string, number> {
    return { "wire.string": this.options.maxMessageLength ?? DAEMON_MAX_MESSAGE_LENGTH };
  }

  private busy = false;

  private enter(): void {
    if (!this.healthy) {
      throw new DaemonConnectionError(
        "daemon.connection-broken",
        "the connection to the daemon failed earlier",
      );
    }
    if (this.busy) {
      throw new UsageError(
        "daemon.session-busy",
        "a request is already running on this connection: use a DaemonClient pool for concurrency",
      );
    }
    this.busy = true;
  }

  private async guard<T>(fn: () => Promise<T>, deadlineMs?: number): Promise<T> {
    this.enter();
    const deadline = startDeadline(deadlineMs ?? this.options.deadlineMs, () => this.fail());
    try {
      return await fn();
    } catch (err) {
      if (!(err instanceof DaemonError)) this.fail();
      throw deadline.expired ? deadline.error(err) : err;
    } finally {
      deadline.clear();
      this.busy = false;
    }
  }

  private fail(): void {
    if (this.healthy) {
      this.healthy = false;
      this.transport.close();
    }
  }

  /**
   * Reads stderr messages until `last`; events go to the listeners, `read` requests are
   * answered from `source`, `error` becomes a {@link DaemonError}.
   */
  async processStderr(
    onEvent?: DaemonEventListener,
    source?: AsyncIterator<Uint8Array> | Iterator<Uint8Array>,
    sink?: (data: Uint8Array) => void,
  ): Promise<void> {
    const compiledCodec = compiled(stderrMessage(this.version));
    let pending: Uint8Array | undefined;
    const limits = this.stderrLimits();
    for (;;) {
      const m = await decodeMessage(compiledCodec, this.reader, { limits });
      switch (m.type) {
        case "last":
          return;
        case "error":
          throw new DaemonError(m.error);
        case "read": {
          if (source === undefined) {
            throw new DaemonProtocolError(
              "daemon.unexpected-read",
              "the daemon asked for data, but this request sends none",
            );
          }
          if (pending === undefined || pending.length === 0) {
            const r = await source.next();
            pending = r.done ? new Uint8Array(0) : r.value;
          }
          const take = pending.subarray(0, Math.min(m.size, pending.length));
          pending = pending.subarray(take.length);
          await this.transport.write(encode(wireBytes, take));
          break;
        }
        case "write":
          if (sink === undefined) {
            throw new DaemonProtocolError(
              "daemon.unexpected-write",
              "the daemon sent data, but this request expects none",
            );
          }
          sink(m.data);
          break;
        default:
          this.onEvent?.(m);
          onEvent?.(m);
      }
    }
  }

  /** Sends a request, waits for the stderr channel's end, and reads the reply. */
  request<Req, Res>(spec: OpSpec<Req, Res>, args: Req, options: RequestOptions = {}): Promise<Res> {
    return this.guard(async () => {
      await this.transport.write(encode(spec.request(this.version), args));
      await this.processStderr(options.onEvent);
      return this.read(spec.reply(this.version));
    }, options.deadlineMs);
  }

  /** `SetOptions`: sends client settings (missing ones take Nix's defaults). */
  async setOptions(
    settings: Partial<ClientSettings> = {},
    options: RequestOptions = {},
  ): Promise<void> {
    await this.request(OPS.SetOptions, { ...DEFAULT_CLIENT_SETTINGS, ...settings }, options);
  }

  /** `IsValidPath`. */
  isValidPath(path: string, options?: RequestOptions): Promise<boolean> {
    return this.request(OPS.IsValidPath, path, options);
  }

  /** `QueryValidPaths`: the subset of `paths` that is valid. */
  queryValidPaths(
    paths: readonly string[],
    substitute = false,
    options?: RequestOptions,
  ): Promise<string[]> {
    return this.request(OPS.QueryValidPaths, { paths: [...paths], substitute }, options);
  }

  /** `QueryPathInfo`: the path's info, or `undefined` when it is not valid. */
  async queryPathInfo(path: string, options?: RequestOptions): Promise<PathInfo | undefined> {
    let info: UnkeyedPathInfo | undefined;
    try {
      info = await this.request(OPS.QueryPathInfo, path, options);
    } catch (err) {
      // Before 1.17 the daemon reports an invalid path as an error.
      if (
        !hasMinor(this.version, 17) &&
        err instanceof DaemonError &&
        /is not valid/.test(err.detail)
      ) {
        return undefined;
      }
      throw err;
    }
    return info === undefined ? undefined : { path, ...info };
  }

  /** `QueryPathFromHashPart`: the valid path with this hash part, if any. */
  queryPathFromHashPart(hashPart: string, options?: RequestOptions): Promise<string | undefined> {
    return this.request(OPS.QueryPathFromHashPart, hashPart, options);
  }

  /** `QueryReferrers`: valid paths that refer to `path`. */
  queryReferrers(path: string, options?: RequestOptions): Promise<string[]> {
    return this.request(OPS.QueryReferrers, path, options);
  }

  /** `AddTempRoot`. */
  async addTempRoot(path: string, options?: RequestOptions): Promise<void> {
    await this.request(OPS.AddTempRoot, path, options);
  }

  /** `AddSignatures`. */
  async addSignatures(
    path: string,
    sigs: readonly string[],
    options?: RequestOptions,
  ): Promise<void> {
    await this.request(OPS.AddSignatures, { path, sigs: [...sigs] }, options);
  }

  /** `EnsurePath`: make the path valid (substituting it if needed). */
  async ensurePath(path: string, options?: RequestOptions): Promise<void> {
    await this.request(OPS.EnsurePath, path, options);
  }

  /** `BuildPaths`. */
  async buildPaths(
    paths: readonly DerivedPath[],
    mode: BuildMode = "normal",
    options?: RequestOptions,
  ): Promise<void> {
    await this.request(OPS.BuildPaths, { paths: [...paths], mode }, options);
  }

  /** `BuildPathsWithResults` (protocol ≥ 1.34): one result per derived path. */
  buildPathsWithResults(
    paths: readonly DerivedPath[],
    mode: BuildMode = "normal",
    options?: RequestOptions,
  ): Promise<KeyedBuildResult[]> {
    if (!hasMinor(this.version, 34)) {
      return Promise.reject(
        new UsageError(
          "daemon.unsupported-operation",
          `BuildPathsWithResults needs protocol 1.34, the daemon speaks ${formatProtocolVersion(this.version)}`,
        ),
      );
    }
    return this.request(OPS.BuildPathsWithResults, { paths: [...paths], mode }, options);
  }

  /**
   * `NarFromPath`: the path's NAR as a stream of chunks (views of what the transport read, no
   * copies; they stay valid unless `reuseBuffers` is set, then only until the next one is asked
   * for). The NAR is checked by the NAR grammar as it arrives and never buffered whole; stopping
   * early closes the connection.
   */
  narFromPath(
    path: string,
    options: NarFromPathOptions = {},
  ): AsyncGenerator<Uint8Array, void, undefined> {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the generator runs with its own `this`
    const self = this;
    return (async function* () {
      self.enter();
      const deadline = startDeadline(options.deadlineMs ?? self.options.deadlineMs, () =>
        self.fail(),
      );
      let done = false;
      let inNar = false;
      try {
        await self.transport.write(encode(OPS.NarFromPath.request(self.version), path));
        await self.processStderr(options.onEvent);
        inNar = true;
        yield* embeddedNar(self.reader, {
          reuseBuffers: options.reuseBuffers,
          coalesceBytes: options.coalesceBytes,
        });
        done = true;
      } catch (err) {
        if (!(err instanceof DaemonError)) self.fail();
        throw deadline.expired ? deadline.error(err) : err;
      } finally {
        deadline.clear();
        self.busy = false;
        if (inNar && !done && self.healthy) {
          // Stopped early (or a daemon error before the NAR): the NAR may be half read.
          self.fail();
        }
      }
    })();
  }

  /**
   * `AddToStoreNar`: adds a path with its info and its NAR (streamed: framed at protocol
   * ≥ 1.23, on the daemon's read requests before).
   */
  addToStoreNar(
    info: PathInfo,
    nar: ByteStreamInput,
    options: RequestOptions & { repair?: boolean; dontCheckSigs?: boolean } = {},
  ): Promise<void> {
    const req: AddToStoreNarRequest = {
      info,
      repair: options.repair ?? false,
      dontCheckSigs: options.dontCheckSigs ?? false,
    };
    return this.guard(async () => {
      await this.transport.write(encode(OPS.AddToStoreNar.request(this.version), req));
      if (hasMinor(this.version, 23)) {
        await this.sendFramed(framedChunks(byteChunks(nar)), options.onEvent);
        return;
      }
      await this.processStderr(options.onEvent, byteChunks(nar));
    }, options.deadlineMs);
  }

  /**
   * `AddMultipleToStore` (protocol ≥ 1.32): adds paths with their infos and NARs in one framed
   * stream (each NAR streamed; give references before their referrers).
   */
  addMultipleToStore(
    items: Iterable<{ info: PathInfo; nar: ByteStreamInput }>,
    options: RequestOptions & { repair?: boolean; dontCheckSigs?: boolean } = {},
  ): Promise<void> {
    if (!hasMinor(this.version, 32)) {
      return Promise.reject(
        new UsageError(
          "daemon.unsupported-operation",
          `AddMultipleToStore needs protocol 1.32, the daemon speaks ${formatProtocolVersion(this.version)}`,
        ),
      );
    }
    const list = [...items];
    const req = { repair: options.repair ?? false, dontCheckSigs: options.dontCheckSigs ?? false };
    return this.guard(async () => {
      await this.transport.write(encode(OPS.AddMultipleToStore.request(this.version), req));
      async function* body(): AsyncGenerator<Uint8Array> {
        yield encode(addMultipleCount, list.length);
        for (const item of list) {
          yield encode(addMultipleItem, item.info);
          yield* byteChunks(item.nar);
        }
      }
      await this.sendFramed(framedChunks(body()), options.onEvent);
    }, options.deadlineMs);
  }

  /**
   * Writes `frames` while reading the daemon's stderr messages. A source that fails half way
   * closes the connection (the daemon, waiting for the next frame, would wait for ever; it
   * drops the half-sent NAR), and its error is the one thrown, unless the daemon said why.
   */
  private async sendFramed(
    frames: AsyncIterable<Uint8Array>,
    onEvent: DaemonEventListener | undefined,
  ): Promise<void> {
    const writing = (async () => {
      for await (const c of frames) await this.transport.write(c);
    })().catch((err: unknown) => {
      this.fail();
      throw err;
    });
    const stderr = this.processStderr(onEvent);
    const [w, s] = await Promise.allSettled([writing, stderr]);
    if (s.status === "rejected" && (w.status === "fulfilled" || s.reason instanceof DaemonError))
      throw s.reason;
    if (w.status === "rejected") throw w.reason;
  }

  /** Closes the connection. */
  close(): void {
    this.healthy = false;
    this.transport.close();
  }
}
