/**
 * One serve-protocol connection seen from the client (what Nix's `ssh://` store does over
 * `nix-store --serve`): the handshake and the commands, over any {@link Transport} (the
 * subprocess adapter is in `node.ts`). Portable.
 *
 * Commands on one session run one at a time, in the order they were called (later ones wait);
 * a failing command ends the connection (the server exits: the serve protocol has no error
 * replies).
 *
 * @module
 */
import { decodeAsync } from "../codecs/decode-stream.js";
import { encode } from "../codecs/encode.js";
import type { Codec } from "../codecs/codec.js";
import { byteChunks, type ByteStreamInput } from "../core/byte-stream.js";
import { UsageError } from "../core/errors.js";
import type { Transport } from "../daemon/session.js";
import { embeddedNar, EmbeddingReader } from "../daemon/wire/embedded-nar.js";
import type { PathInfo } from "../daemon/wire/types.js";
import type { ProtocolVersion } from "../daemon/wire/version.js";
import { ServeConnectionError, ServeProtocolError } from "./errors.js";
import { SERVE_COMMANDS, type ServeCommandSpec } from "./wire/commands.js";
import { serveClientHello, serveServerHello } from "./wire/handshake.js";
import type { ServePathInfo } from "./wire/types.js";
import {
  formatServeVersion,
  MAX_SERVE_VERSION,
  MIN_SERVE_VERSION,
  SERVE_PROTOCOL_MAJOR,
} from "./wire/version.js";
import { protocolMajor } from "../daemon/wire/version.js";

/** Options of {@link ServeSession.open}. */
export interface ServeSessionOptions {
  /** The version the client announces (default {@link MAX_SERVE_VERSION}). */
  readonly clientVersion?: ProtocolVersion;
}

/**
 * Bytes to send: bytes, chunks (synchronous or not) or a `ReadableStream`, as the NAR readers
 * take them (see `byteChunks`).
 */
export type ByteChunks = ByteStreamInput;

/** A connected, handshaken serve-protocol session. */
export class ServeSession {
  /** False once the connection failed or was closed. */
  healthy = true;
  /** Settles when the last command queued so far is done. */
  private tail: Promise<void> = Promise.resolve();

  private constructor(
    private readonly transport: Transport,
    private readonly reader: EmbeddingReader,
    /** The version both sides speak (the smaller of the two announced). */
    readonly version: ProtocolVersion,
    /** The server's announced version. */
    readonly serverVersion: ProtocolVersion,
  ) {}

  /** Performs the handshake over `transport` (closing it if the handshake fails). */
  static async open(
    transport: Transport,
    options: ServeSessionOptions = {},
  ): Promise<ServeSession> {
    const reader = EmbeddingReader.over(transport.source);
    const ours = options.clientVersion ?? MAX_SERVE_VERSION;
    try {
      await transport.write(encode(serveClientHello, { version: ours }));
      const hello = await decodeAsync(serveServerHello, reader, { allowTrailing: true });
      const v = Math.min(hello.version, ours);
      if (protocolMajor(hello.version) !== SERVE_PROTOCOL_MAJOR || v < MIN_SERVE_VERSION) {
        throw new ServeProtocolError(
          "serve.unsupported-version",
          `the server speaks serve protocol ${formatServeVersion(hello.version)}, expected 2.x from ${formatServeVersion(MIN_SERVE_VERSION)} on`,
        );
      }
      return new ServeSession(transport, reader, v, hello.version);
    } catch (err) {
      transport.close();
      throw err;
    }
  }

  /** Waits for the commands before, then holds the connection until `release` is called. */
  private async acquire(): Promise<() => void> {
    const before = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((resolve) => (release = resolve));
    await before;
    if (!this.healthy) {
      release();
      throw new ServeConnectionError(
        "serve.connection-broken",
        "the serve connection failed or was closed earlier",
      );
    }
    return release;
  }

  /** Runs `fn` once the commands before it are done; any failure ends the connection. */
  private async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const release = await this.acquire();
    try {
      return await fn();
    } catch (err) {
      this.close();
      throw err;
    } finally {
      release();
    }
  }

  private read<T>(codec: Codec<T>): Promise<T> {
    return decodeAsync(codec, this.reader, { allowTrailing: true });
  }

  /** Sends a command's request and reads its reply. */
  private run<Req, Res>(spec: ServeCommandSpec<Req, Res>, args: Req): Promise<Res> {
    return this.exclusive(async () => {
      await this.transport.write(encode(spec.request(this.version), args));
      return this.read(spec.reply(this.version));
    });
  }

  /**
   * `QueryValidPaths`: the subset of `paths` that is valid. With a `--write` server, `lock`
   * adds temporary GC roots and `substitute` substitutes missing paths first.
   */
  queryValidPaths(
    paths: readonly string[],
    options: { lock?: boolean; substitute?: boolean } = {},
  ): Promise<string[]> {
    return this.run(SERVE_COMMANDS.QueryValidPaths, {
      lock: options.lock ?? false,
      substitute: options.substitute ?? false,
      paths: [...paths],
    });
  }

  /** `QueryPathInfos`: the infos of the valid paths among `paths` (invalid ones are left out). */
  queryPathInfos(paths: readonly string[]): Promise<ServePathInfo[]> {
    return this.run(SERVE_COMMANDS.QueryPathInfos, [...paths]);
  }

  /** The info of one path, or `undefined` when it is not valid. */
  async queryPathInfo(path: string): Promise<ServePathInfo | undefined> {
    return (await this.queryPathInfos([path])).find((i) => i.path === path);
  }

  /** `QueryClosure`: `paths` and everything they refer to, recursively. */
  queryClosure(paths: readonly string[], includeOutputs = false): Promise<string[]> {
    return this.run(SERVE_COMMANDS.QueryClosure, { includeOutputs, paths: [...paths] });
  }

  /**
   * `DumpStorePath`: the path's NAR as a stream of chunks (views of what the transport read).
   * The NAR is checked by the NAR grammar as it arrives (its end is where the grammar says) and
   * never held whole. Read it to its end or stop it (`return`): the commands after it wait
   * for it, and stopping early ends the connection. An invalid path makes the server fail:
   * check with {@link queryValidPaths} first.
   */
  dumpStorePath(path: string): AsyncGenerator<Uint8Array, void, undefined> {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the generator runs with its own `this`
    const self = this;
    return (async function* () {
      const release = await self.acquire();
      let done = false;
      try {
        await self.transport.write(
          encode(SERVE_COMMANDS.DumpStorePath.request(self.version), path),
        );
        yield* embeddedNar(self.reader);
        done = true;
      } finally {
        if (!done) self.close();
        release();
      }
    })();
  }

  /**
   * `ImportPaths`: sends an export stream (`nix-store --export`'s format, e.g. from
   * `writeExport` in `nix-compat/export`) and waits for the server's acknowledgement. Needs a
   * `--write` server; Nix imports without checking signatures.
   */
  importPaths(exportStream: ByteChunks): Promise<void> {
    return this.exclusive(async () => {
      const spec = SERVE_COMMANDS.ImportPaths;
      await this.transport.write(encode(spec.request(this.version), undefined));
      for await (const c of byteChunks(exportStream)) await this.transport.write(c);
      await this.read(spec.reply(this.version));
    });
  }

  /**
   * `AddToStoreNar`: adds one path from its info and its NAR (exactly `info.narSize` bytes).
   * Needs a `--write` server; Nix adds it without checking signatures.
   */
  addToStoreNar(info: PathInfo, nar: ByteChunks): Promise<void> {
    return this.exclusive(async () => {
      const spec = SERVE_COMMANDS.AddToStoreNar;
      let sent = 0;
      await this.transport.write(encode(spec.request(this.version), info));
      for await (const c of byteChunks(nar)) {
        sent += c.length;
        if (sent > info.narSize) break;
        await this.transport.write(c);
      }
      if (sent !== info.narSize) {
        throw new UsageError(
          "serve.nar-size",
          `the NAR given for '${info.path}' is not ${info.narSize} bytes long, as its info says`,
        );
      }
      await this.read(spec.reply(this.version));
    });
  }

  /** Ends the session (the server sees the end of its input and exits). */
  close(): void {
    if (this.healthy) {
      this.healthy = false;
      this.transport.close();
    }
  }
}
