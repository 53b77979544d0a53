/**
 * The daemon side of the worker protocol: the handshake and an operation dispatcher, so a
 * TypeScript program can answer Nix's own client. Portable: it runs over any
 * {@link Transport}; `node.ts` listens on unix sockets.
 *
 * The program supplies a {@link WorkerStoreHandler}; operations it does not implement are
 * answered with an error the client prints (`operation X is not supported`). A handler that
 * throws makes the client see the error's message; the connection goes on.
 *
 * @module
 */
import type { ChunkSource } from "../codecs/byte-reader.js";
import type { Codec } from "../codecs/codec.js";
import { compiled } from "../codecs/compile.js";
import { decodeMessage } from "../codecs/decode-buffered.js";
import { decodeAsync } from "../codecs/decode-stream.js";
import { encode, encodeChunks } from "../codecs/encode.js";
import { concatBytes } from "../codecs/wire-bytes.js";
import { LimitExceededError } from "../core/errors.js";
import { DaemonConnectionError, DaemonProtocolError } from "./errors.js";
import {
  RequestMeter,
  SERVER_MAX_OVERRIDES,
  SERVER_MAX_SETTING_LENGTH,
  ServerBudget,
  type ServerLimits,
  yieldToEventLoop,
} from "./server-limits.js";
import type { Transport } from "./session.js";
import { embeddedNar, EmbeddingReader } from "./wire/embedded-nar.js";
import { readFramed } from "./wire/framed.js";
import { clientHello, clientOptions, clientVersion, serverHello } from "./wire/handshake.js";
import {
  addMultipleCount,
  addMultipleItem,
  type AddMultipleToStoreRequest,
  type AddToStoreNarRequest,
  type ClientSettings,
  type MissingInfo,
  OP,
  OPS,
  type OpSpec,
  opCode,
  opName,
} from "./wire/ops.js";
import { wireBytes } from "./wire/primitives.js";
import { type StderrMessage, stderrMessage } from "./wire/stderr.js";
import {
  type BuildMode,
  clientHandshakeInfo,
  type DerivedPath,
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

type MaybePromise<T> = T | Promise<T>;

/** Lets a handler report progress to the client while it works on a request. */
export interface ServerContext {
  /** Sends a log line (`STDERR_NEXT`). */
  log(text: string): Promise<void>;
  /** Sends an activity message (`start-activity`, `stop-activity` or `result`). */
  activity(
    message: Extract<StderrMessage, { type: "start-activity" | "stop-activity" | "result" }>,
  ): Promise<void>;
}

/** What a worker-protocol server answers with. Every method is optional. */
export interface WorkerStoreHandler {
  setOptions?(settings: ClientSettings, ctx: ServerContext): MaybePromise<void>;
  isValidPath?(path: string, ctx: ServerContext): MaybePromise<boolean>;
  queryValidPaths?(
    paths: string[],
    substitute: boolean,
    ctx: ServerContext,
  ): MaybePromise<string[]>;
  queryPathInfo?(path: string, ctx: ServerContext): MaybePromise<UnkeyedPathInfo | undefined>;
  queryPathFromHashPart?(hashPart: string, ctx: ServerContext): MaybePromise<string | undefined>;
  queryReferrers?(path: string, ctx: ServerContext): MaybePromise<string[]>;
  /** The path's NAR (throw if the path is not valid). */
  narFromPath?(
    path: string,
    ctx: ServerContext,
  ): MaybePromise<AsyncIterable<Uint8Array> | Iterable<Uint8Array>>;
  /**
   * Adds a path (`AddToStoreNar`, and each path of `AddMultipleToStore`). Whatever of `nar` the
   * handler leaves unread is read (and checked) by the server after it returns.
   */
  addToStoreNar?(
    request: AddToStoreNarRequest,
    nar: AsyncIterable<Uint8Array>,
    ctx: ServerContext,
  ): MaybePromise<void>;
  addTempRoot?(path: string, ctx: ServerContext): MaybePromise<void>;
  addSignatures?(path: string, sigs: string[], ctx: ServerContext): MaybePromise<void>;
  ensurePath?(path: string, ctx: ServerContext): MaybePromise<void>;
  buildPaths?(paths: DerivedPath[], mode: BuildMode, ctx: ServerContext): MaybePromise<void>;
  /** What building `targets` would take (default: invalid opaque paths and all built ones are unknown). */
  queryMissing?(targets: DerivedPath[], ctx: ServerContext): MaybePromise<MissingInfo>;
}

/** Size asked for by each stderr `read` request when a client sends a NAR that way (< 1.23). */
export const TUNNEL_READ_SIZE = 1 << 16;

/** An async iterable over `it` that leaves `it` open when a consumer stops early. */
function unclosable<T>(it: AsyncIterator<T>): AsyncIterable<T> {
  return { [Symbol.asyncIterator]: () => ({ next: () => it.next() }) };
}

/** Bytes of a reply gathered into one write. */
const REPLY_BATCH_BYTES = 64 << 10;

/** A NAR that did not have its announced size (`AddToStoreNar`, `AddMultipleToStore`). */
class NarSizeError extends DaemonProtocolError {
  /** True when the client sent more than announced: the connection cannot go on. */
  readonly over: boolean;
  constructor(path: string, declared: number, got: number, over: boolean) {
    super(
      "daemon.size-mismatch",
      over
        ? `NAR of '${path}' is larger than its announced size ${declared} (${got} bytes so far)`
        : `size mismatch importing path '${path}': specified ${declared}, got ${got}`,
    );
    this.over = over;
  }
}

/**
 * `nar` checked against the size its path info announces as the bytes arrive: it fails as
 * soon as one byte too many came (nothing past the announced size is handed on), and at its
 * end if fewer came.
 */
async function* sizedNar(
  nar: AsyncIterator<Uint8Array>,
  path: string,
  declared: number,
): AsyncGenerator<Uint8Array, void, undefined> {
  let got = 0;
  for (let r = await nar.next(); !r.done; r = await nar.next()) {
    got += r.value.length;
    if (got > declared) throw new NarSizeError(path, declared, got, true);
    yield r.value;
  }
  if (got !== declared) throw new NarSizeError(path, declared, got, false);
}

/** Reads what is left of `it`. */
async function drain(it: AsyncIterator<unknown>): Promise<void> {
  while (!(await it.next()).done) {
    // discard
  }
}

/** Options of {@link serveWorkerProtocol}. */
export interface ServeOptions {
  /** The version announced to clients (default {@link MAX_PROTOCOL_VERSION}). */
  readonly version?: ProtocolVersion;
  /** The Nix version announced to clients of protocol ≥ 1.33 (default `nix-compat`). */
  readonly nixVersion?: string;
  /** Whether the client is told it is trusted (protocol ≥ 1.35; default: not said). */
  readonly trusted?: boolean;
  /** Called with each operation's name as it is received (for logs and tests). */
  readonly onOperation?: (name: string) => void;
  /** Overrides of the per-request limits (see `server-limits.ts`). */
  readonly limits?: ServerLimits;
  /**
   * The budget of request bytes shared by all connections of this server (default: one of
   * its own per connection; `listenWorkerProtocol` shares one between its connections).
   */
  readonly budget?: ServerBudget;
}

class OpError extends Error {}

/**
 * Serves one connection: handshake, then requests until the client closes. Resolves when the
 * connection ends; rejects on protocol violations (after closing the transport).
 */
export async function serveWorkerProtocol(
  transport: Transport,
  handler: WorkerStoreHandler,
  options: ServeOptions = {},
): Promise<void> {
  const meter = new RequestMeter(options.budget ?? new ServerBudget(), options.limits);
  const reader = EmbeddingReader.over(meter.wrap(transport.source));
  const read = <T>(codec: Codec<T>) => decodeMessage(compiled(codec), reader);
  let tellClient: (message: string) => Promise<void> | void = () => {};
  /**
   * Reads a request's arguments, counted against the request and server limits. Past a limit
   * the client is told why (as far as it still listens) and the connection ends.
   */
  const readRequest = async <T>(codec: Codec<T>, limits?: Record<string, number>) => {
    meter.counting = true;
    try {
      return await decodeMessage(compiled(codec), reader, { limits });
    } catch (err) {
      if (err instanceof LimitExceededError)
        await Promise.resolve(tellClient(err.message)).catch(() => {});
      throw err;
    } finally {
      meter.counting = false;
    }
  };
  const settingsLimits = {
    "wire.list": options.limits?.maxOverrides ?? SERVER_MAX_OVERRIDES,
    "wire.string": options.limits?.maxSettingLength ?? SERVER_MAX_SETTING_LENGTH,
  };
  const ours = options.version ?? MAX_PROTOCOL_VERSION;
  try {
    await read(clientHello);
    await transport.write(encode(serverHello, { version: ours }));
    const theirs = await read(clientVersion);
    if (protocolMajor(theirs) !== 1 || theirs < MIN_PROTOCOL_VERSION) {
      throw new DaemonProtocolError(
        "daemon.unsupported-version",
        `the client speaks protocol ${formatProtocolVersion(theirs)}, older than ${formatProtocolVersion(MIN_PROTOCOL_VERSION)}`,
      );
    }
    const v = Math.min(ours, theirs);
    await read(clientOptions(v));
    const stderr = stderrMessage(v);
    const send = (...parts: Uint8Array[]) => transport.write(concatBytes(parts));
    await send(
      encode(clientHandshakeInfo(v), {
        daemonNixVersion: options.nixVersion ?? "nix-compat",
        remoteTrustsUs: options.trusted,
      }),
      encode(stderr, { type: "last" }),
    );
    const last = encode(stderr, { type: "last" });
    const ctx: ServerContext = {
      log: (text) => Promise.resolve(transport.write(encode(stderr, { type: "next", text }))),
      activity: (m) => Promise.resolve(transport.write(encode(stderr, m))),
    };
    const fail = (message: string) =>
      send(
        encode(stderr, {
          type: "error",
          error: { level: 0, name: "Error", message, traces: [], status: 1 },
        } satisfies StderrMessage),
      );
    tellClient = fail;

    /** Sends `last` and the reply in batches, giving the event loop to others between them. */
    const sendReply = async <T>(codec: Codec<T>, value: T): Promise<void> => {
      let batch: Uint8Array[] = [last];
      let size = last.length;
      for (const c of encodeChunks(codec, value)) {
        batch.push(c);
        size += c.length;
        if (size < REPLY_BATCH_BYTES) continue;
        await send(...batch);
        meter.wrote(size);
        batch = [];
        size = 0;
        if (meter.dueForYield()) await yieldToEventLoop();
      }
      if (batch.length > 0) await send(...batch);
    };
    const answer = async <Req, Res>(
      spec: OpSpec<Req, Res>,
      run: (args: Req) => Promise<Res> | Res,
    ): Promise<void> => {
      const args = await readRequest(
        spec.args(v),
        (spec as OpSpec<unknown, unknown>) === OPS.SetOptions ? settingsLimits : undefined,
      );
      let res: Res;
      try {
        res = await run(args);
      } catch (err) {
        await fail(err instanceof Error ? err.message : String(err));
        return;
      }
      await sendReply(spec.reply(v), res);
    };
    const need = <F>(f: F | undefined, name: string): F => {
      if (f === undefined) throw new OpError(`operation '${name}' is not supported by this daemon`);
      return f;
    };

    for (;;) {
      // The previous request is answered: its bytes go back to the budget, the next one's count.
      meter.done();
      meter.counting = true;
      // The client hanging up between requests is the normal end of a connection.
      let ended: boolean;
      try {
        ended = await reader.atEnd();
      } catch (err) {
        if (err instanceof DaemonConnectionError) return;
        throw err;
      }
      if (ended) return;
      const code = await read(opCode);
      const name = opName(code) ?? `#${code}`;
      options.onOperation?.(name);
      switch (code) {
        case OP.SetOptions:
          await answer(OPS.SetOptions, async (s) => {
            await handler.setOptions?.(s, ctx);
            return undefined;
          });
          break;
        case OP.IsValidPath:
          await answer(OPS.IsValidPath, (p) =>
            need(handler.isValidPath, name).call(handler, p, ctx),
          );
          break;
        case OP.QueryValidPaths:
          await answer(OPS.QueryValidPaths, (a) =>
            need(handler.queryValidPaths, name).call(handler, a.paths, a.substitute, ctx),
          );
          break;
        case OP.QueryPathInfo:
          await answer(OPS.QueryPathInfo, async (p) => {
            const info = await need(handler.queryPathInfo, name).call(handler, p, ctx);
            if (info === undefined && !hasMinor(v, 17))
              throw new OpError(`path '${p}' is not valid`);
            return info;
          });
          break;
        case OP.QueryPathFromHashPart:
          await answer(OPS.QueryPathFromHashPart, (h) =>
            need(handler.queryPathFromHashPart, name).call(handler, h, ctx),
          );
          break;
        case OP.QueryReferrers:
          await answer(OPS.QueryReferrers, (p) =>
            need(handler.queryReferrers, name).call(handler, p, ctx),
          );
          break;
        case OP.AddTempRoot:
          await answer(OPS.AddTempRoot, async (p) => {
            await handler.addTempRoot?.(p, ctx);
            return 1;
          });
          break;
        case OP.AddSignatures:
          await answer(OPS.AddSignatures, async (a) => {
            await need(handler.addSignatures, name).call(handler, a.path, a.sigs, ctx);
            return 1;
          });
          break;
        case OP.EnsurePath:
          await answer(OPS.EnsurePath, async (p) => {
            await need(handler.ensurePath, name).call(handler, p, ctx);
            return 1;
          });
          break;
        case OP.BuildPaths:
          await answer(OPS.BuildPaths, async (a) => {
            await need(handler.buildPaths, name).call(handler, a.paths, a.mode, ctx);
            return 1;
          });
          break;
        case OP.QueryMissing:
          await answer(OPS.QueryMissing, async (targets) => {
            if (handler.queryMissing) return handler.queryMissing(targets, ctx);
            const unknown: string[] = [];
            for (const t of targets) {
              const p = t.type === "opaque" ? t.path : t.drvPath;
              if (t.type === "built" || !(await handler.isValidPath?.(p, ctx))) unknown.push(p);
            }
            return { willBuild: [], willSubstitute: [], unknown, downloadSize: 0, narSize: 0 };
          });
          break;
        case OP.NarFromPath: {
          const path = await readRequest(OPS.NarFromPath.args(v));
          let nar: AsyncIterable<Uint8Array> | Iterable<Uint8Array>;
          try {
            nar = await need(handler.narFromPath, name).call(handler, path, ctx);
          } catch (err) {
            await fail(err instanceof Error ? err.message : String(err));
            break;
          }
          await send(last);
          for await (const c of nar) await transport.write(c);
          break;
        }
        case OP.AddToStoreNar: {
          const req = await readRequest(OPS.AddToStoreNar.args(v));
          // The NAR: framed (≥ 1.23), or in the client's replies to our stderr `read` requests
          // (1.21, 1.22), which carry no length: that NAR is parsed to find its end, and we ask
          // for no byte past it. (Inline NARs, before 1.21, are below the supported versions:
          // such clients are refused at the handshake.)
          let nar: AsyncIterator<Uint8Array>;
          let frames: AsyncGenerator<Uint8Array> | undefined;
          if (hasMinor(v, 23)) {
            frames = readFramed(reader);
            nar = frames;
          } else {
            const tunnel: ChunkSource = {
              next: async () => {
                await transport.write(encode(stderr, { type: "read", size: TUNNEL_READ_SIZE }));
                return read(wireBytes);
              },
            };
            nar = embeddedNar(EmbeddingReader.over(tunnel));
          }
          nar = sizedNar(nar, req.info.path, req.info.narSize);
          let error: unknown;
          try {
            await need(handler.addToStoreNar, name).call(handler, req, unclosable(nar), ctx);
            await drain(nar);
          } catch (err) {
            error = err;
          }
          // More than the announced size: nothing more is read, the connection ends.
          if (error instanceof NarSizeError && error.over) {
            await fail(error.message);
            throw error;
          }
          // Framed data is skipped to its end whatever else went wrong; over `read` requests
          // the client sends nothing unasked, so the connection goes on in both cases.
          if (error !== undefined && frames !== undefined) await drain(frames);
          if (error !== undefined)
            await fail(error instanceof Error ? error.message : String(error));
          else await send(last);
          break;
        }
        case OP.AddMultipleToStore: {
          const req: AddMultipleToStoreRequest = await readRequest(OPS.AddMultipleToStore.args(v));
          // Inside the frames: a count, then each path's info and its raw NAR (parsed to find
          // its end), as Nix's Store::addMultipleToStore reads them.
          const frames = readFramed(reader);
          let error: unknown;
          let overLimit = false;
          try {
            const inner = EmbeddingReader.over({
              next: async () => {
                const r = await frames.next();
                return r.done ? undefined : r.value;
              },
            });
            // each path's info counts against the request limits, as a request would
            const readInner = async <T>(codec: Codec<T>) => {
              meter.done();
              meter.counting = true;
              try {
                return await decodeAsync(codec, inner, { allowTrailing: true });
              } catch (err) {
                if (err instanceof LimitExceededError) overLimit = true;
                throw err;
              } finally {
                meter.counting = false;
              }
            };
            const count = await readInner(addMultipleCount);
            const add = need(handler.addToStoreNar, name);
            for (let i = 0; i < count; i++) {
              const info = await readInner(addMultipleItem);
              const nar = sizedNar(embeddedNar(inner), info.path, info.narSize);
              await add.call(
                handler,
                { info: { ...info, ultimate: false }, ...req },
                unclosable(nar),
                ctx,
              );
              await drain(nar);
            }
          } catch (err) {
            error = err;
          }
          if ((error instanceof NarSizeError && error.over) || overLimit) {
            await fail((error as Error).message);
            throw error;
          }
          await drain(frames);
          if (error !== undefined)
            await fail(error instanceof Error ? error.message : String(error));
          else await send(last);
          break;
        }
        default:
          await fail(`invalid operation ${code}`);
          throw new DaemonProtocolError("daemon.unknown-operation", `unknown operation ${code}`);
      }
    }
  } finally {
    meter.done();
    transport.close();
  }
}
