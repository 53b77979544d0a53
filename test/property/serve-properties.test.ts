/**
 * Properties of the serve protocol's wire format: every value and request round-trips through
 * encoder and decoder at every version (2.0 to 2.8), the streaming decoder agrees with the
 * synchronous one, and truncated or damaged bytes give typed errors with their offset.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decode } from "../../src/codecs/decode.js";
import { decodeAsync } from "../../src/codecs/decode-stream.js";
import { encode } from "../../src/codecs/encode.js";
import { u64Bytes } from "../../src/codecs/wire-bytes.js";
import {
  LimitExceededError,
  MalformedInputError,
  TruncatedInputError,
  ValidationError,
} from "../../src/core/errors.js";
import { wireString } from "../../src/daemon/wire/primitives.js";
import { SERVE_COMMANDS } from "../../src/serve/wire/commands.js";
import {
  SERVE_MAGIC_1,
  serveClientHello,
  serveServerHello,
} from "../../src/serve/wire/handshake.js";
import {
  serveBuildOptions,
  serveBuildResult,
  servePathInfosReply,
  serveUnkeyedPathInfo,
} from "../../src/serve/wire/types.js";
import { serveVersion } from "../../src/serve/wire/version.js";
import { arbNarBytes } from "../../src/testing/nar.js";
import {
  arbServeBuildOptions,
  arbServeBuildResult,
  arbServePathInfo,
  arbServeVersion,
} from "../../src/testing/serve.js";
import { arbPathInfo, arbStorePathString } from "../../src/testing/wire.js";
import { damage, roundTrip, truncations } from "../support/codec-properties.js";

const RUNS = { numRuns: 60, seed: 0x5e12e };

const withVersion = <T>(arb: (v: number) => fc.Arbitrary<T>) =>
  arbServeVersion.chain((v) => fc.tuple(fc.constant(v), arb(v)));

/** `bytes` cut into chunks of `size` bytes, as a transport might deliver them. */
function* chunked(bytes: Uint8Array, size: number): Generator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

describe("serve protocol round trips", () => {
  it("path infos, alone and as a QueryPathInfos reply, at every version", async () => {
    await fc.assert(
      fc.asyncProperty(
        arbServeVersion.chain((v) =>
          fc.tuple(fc.constant(v), fc.array(arbServePathInfo(v), { maxLength: 4 })),
        ),
        fc.integer({ min: 1, max: 64 }),
        async ([v, infos], chunk) => {
          for (const { path: _, ...unkeyed } of infos) roundTrip(serveUnkeyedPathInfo(v), unkeyed);
          roundTrip(servePathInfosReply(v), infos);
          const bytes = encode(servePathInfosReply(v), infos);
          const streamed = await decodeAsync(servePathInfosReply(v), chunked(bytes, chunk));
          expect(streamed).toEqual(infos);
        },
      ),
      RUNS,
    );
  });

  it("build options and build results at every version", () => {
    fc.assert(
      fc.property(withVersion(arbServeBuildOptions), withVersion(arbServeBuildResult), (o, r) => {
        roundTrip(serveBuildOptions(o[0]), o[1]);
        roundTrip(serveBuildResult(r[0]), r[1]);
      }),
      RUNS,
    );
  });

  it("handshakes and every command's request", () => {
    fc.assert(
      fc.property(
        arbServeVersion,
        fc.array(arbStorePathString, { maxLength: 4 }),
        fc.boolean(),
        fc.boolean(),
        arbPathInfo(),
        (v, paths, lock, substitute, info) => {
          roundTrip(serveClientHello, { version: v });
          roundTrip(serveServerHello, { version: v });
          roundTrip(SERVE_COMMANDS.QueryValidPaths.request(v), { lock, substitute, paths });
          roundTrip(SERVE_COMMANDS.QueryPathInfos.request(v), paths);
          roundTrip(SERVE_COMMANDS.QueryClosure.request(v), { includeOutputs: lock, paths });
          roundTrip(SERVE_COMMANDS.ExportPaths.request(v), paths);
          roundTrip(SERVE_COMMANDS.ImportPaths.request(v), undefined);
          roundTrip(SERVE_COMMANDS.QueryValidPaths.reply(v), paths);
          // AddToStoreNar carries the worker protocol's 1.16 path info.
          roundTrip(SERVE_COMMANDS.AddToStoreNar.request(v), info);
          for (const p of paths) roundTrip(SERVE_COMMANDS.DumpStorePath.request(v), p);
        },
      ),
      RUNS,
    );
  });
});

describe("serve protocol decoders on bad input", () => {
  it("truncated messages are TruncatedInputError, damaged ones library errors", () => {
    fc.assert(
      fc.property(
        withVersion((v) => fc.array(arbServePathInfo(v), { maxLength: 3 })),
        withVersion(arbServeBuildResult),
        fc.nat(),
        fc.integer({ min: 0, max: 255 }),
        ([v, infos], [bv, result], at, byte) => {
          const reply = encode(servePathInfosReply(v), infos);
          truncations(servePathInfosReply(v), reply);
          damage(servePathInfosReply(v), reply, at, byte);
          const built = encode(serveBuildResult(bv), result);
          truncations(serveBuildResult(bv), built);
          damage(serveBuildResult(bv), built, at, byte);
        },
      ),
      RUNS,
    );
  });

  it("a reply whose path is not a store path is malformed at that path's offset", () => {
    fc.assert(
      fc.property(
        withVersion((v) => fc.array(arbServePathInfo(v), { maxLength: 3 })),
        fc.stringMatching(/^[a-z/]{1,20}$/),
        ([v, infos], junk) => {
          const head = encode(servePathInfosReply(v), infos).slice(0, -8); // without the end
          const bytes = new Uint8Array([...head, ...encode(wireString, junk)]);
          try {
            decode(servePathInfosReply(v), bytes);
            expect.unreachable();
          } catch (err) {
            expect(err).toBeInstanceOf(MalformedInputError);
            expect((err as MalformedInputError).position.offset).toBe(head.length);
          }
        },
      ),
      RUNS,
    );
  });

  it("a wrong magic is malformed; an absurd count is a limit", () => {
    expect(() => decode(serveServerHello, encode(serveClientHello, { version: 0x207 }))).toThrow(
      MalformedInputError,
    );
    expect(
      decode(serveClientHello, new Uint8Array([...u64Bytes(SERVE_MAGIC_1), ...u64Bytes(0x207)])),
    ).toEqual({ version: 0x207 });
    const huge = new Uint8Array([...u64Bytes(5), ...u64Bytes(0xffffffff)]);
    expect(() =>
      decode(SERVE_COMMANDS.QueryValidPaths.reply(serveVersion(7)), huge.subarray(8)),
    ).toThrow(LimitExceededError);
    expect(() =>
      decode(SERVE_COMMANDS.QueryValidPaths.reply(serveVersion(7)), huge.subarray(0, 4)),
    ).toThrow(TruncatedInputError);
  });

  it("an item whose path is the end marker cannot be written", () => {
    expect(() =>
      encode(servePathInfosReply(serveVersion(7)), [
        {
          path: undefined as unknown as string,
          deriver: undefined,
          references: [],
          downloadSize: 0,
          narSize: 0,
          narHash: undefined,
          ca: undefined,
          sigs: [],
        },
      ]),
    ).toThrow(ValidationError);
  });

  it("NAR bytes are not a serve reply", () => {
    fc.assert(
      fc.property(arbNarBytes(), (nar) => {
        expect(() => decode(servePathInfosReply(serveVersion(7)), nar)).toThrow(
          MalformedInputError,
        );
      }),
      { numRuns: 20, seed: 7 },
    );
  });
});
