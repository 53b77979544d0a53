/**
 * Properties of the wire format: every value and message round-trips through encoder and
 * decoder at every protocol version; truncated and hostile bytes give typed errors.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ByteReader } from "../../src/codecs/byte-reader.js";
import { decode } from "../../src/codecs/decode.js";
import { encode } from "../../src/codecs/encode.js";
import { u64Bytes, utf8Bytes } from "../../src/codecs/wire-bytes.js";
import { LimitExceededError, MalformedInputError, NixCompatError } from "../../src/core/errors.js";
import { framedChunks, readFramed } from "../../src/daemon/wire/framed.js";
import { clientOptions } from "../../src/daemon/wire/handshake.js";
import { addMultipleItem, OPS } from "../../src/daemon/wire/ops.js";
import { wireString, wireStrings } from "../../src/daemon/wire/primitives.js";
import { STDERR, stderrMessage } from "../../src/daemon/wire/stderr.js";
import {
  buildResult,
  clientHandshakeInfo,
  derivedPath,
  drvOutputWithPath,
  FEATURE_REALISATION_WITH_PATH,
  pathInfo,
  realisationWithPath,
  unkeyedRealisation,
} from "../../src/daemon/wire/types.js";
import { damage, roundTrip, truncations } from "../support/codec-properties.js";
import {
  arbBuildResult,
  arbClientSettings,
  arbDerivedPath,
  arbPathInfo,
  arbProtocolVersion,
  arbStderrMessage,
  arbStorePathString,
  arbWireText,
} from "../../src/testing/wire.js";

const RUNS = { numRuns: 60 };

describe("wire round trips", () => {
  it("path infos at every version", () => {
    fc.assert(
      fc.property(
        arbProtocolVersion.chain((v) => fc.tuple(fc.constant(v), arbPathInfo(v))),
        ([v, info]) => {
          roundTrip(pathInfo(v), info);
          // AddMultipleToStore items always carry the 1.16 form.
          if (v >= 0x110) roundTrip(addMultipleItem, info);
        },
      ),
      RUNS,
    );
  });

  it("stderr messages at every version", () => {
    fc.assert(
      fc.property(
        arbProtocolVersion.chain((v) => fc.tuple(fc.constant(v), arbStderrMessage(v))),
        ([v, m]) => {
          roundTrip(stderrMessage(v), m);
        },
      ),
      RUNS,
    );
  });

  it("build results and derived paths", () => {
    fc.assert(
      fc.property(
        arbProtocolVersion.chain((v) => fc.tuple(fc.constant(v), arbBuildResult(v))),
        arbDerivedPath,
        ([v, r], p) => {
          roundTrip(buildResult(v), r);
          roundTrip(derivedPath(0x11e), p);
        },
      ),
      RUNS,
    );
  });

  it("structured realisations (1.38 with realisation-with-path-not-hash)", () => {
    const arbUnkeyed = fc.record({
      outPath: arbStorePathString,
      signatures: fc.array(arbWireText, { maxLength: 3 }),
    });
    const arbKey = fc.record({ drvPath: arbStorePathString, outputName: arbWireText });
    const withPath = new Set([FEATURE_REALISATION_WITH_PATH]);
    fc.assert(
      fc.property(
        arbKey,
        arbUnkeyed,
        arbBuildResult(0x126),
        fc.dictionary(arbWireText, arbUnkeyed, { maxKeys: 3 }),
        (key, value, r, outputs) => {
          roundTrip(drvOutputWithPath, key);
          roundTrip(unkeyedRealisation, value);
          roundTrip(realisationWithPath, { key, value });
          roundTrip(buildResult(0x126, withPath), { ...r, builtOutputs: outputs });
          // Without the feature, 1.38 keeps the text forms.
          expect(buildResult(0x126)).toBe(buildResult(0x126, new Set()));
          expect(buildResult(0x126, withPath)).not.toBe(buildResult(0x126));
        },
      ),
      RUNS,
    );
  });

  it("requests of every operation", () => {
    fc.assert(
      fc.property(
        arbProtocolVersion,
        arbStorePathString,
        fc.array(arbStorePathString, { maxLength: 3 }),
        arbClientSettings,
        fc.array(arbDerivedPath, { maxLength: 3 }),
        (v, path, paths, settings, derived) => {
          roundTrip(OPS.IsValidPath.request(v), path);
          roundTrip(OPS.QueryPathInfo.request(v), path);
          roundTrip(OPS.NarFromPath.request(v), path);
          roundTrip(OPS.QueryValidPaths.request(v), { paths, substitute: v >= 0x11b });
          roundTrip(OPS.AddSignatures.request(v), { path, sigs: ["k:AAAA"] });
          roundTrip(OPS.SetOptions.request(v), settings);
          const d = v >= 0x11e ? derived : derived.filter((x) => x.type === "built");
          roundTrip(OPS.BuildPaths.request(v), { paths: d, mode: "check" as const });
          roundTrip(OPS.AddMultipleToStore.request(v), { repair: false, dontCheckSigs: true });
        },
      ),
      RUNS,
    );
  });

  it("handshake pieces", () => {
    fc.assert(
      fc.property(
        arbProtocolVersion,
        arbWireText,
        fc.option(fc.boolean(), { nil: undefined }),
        (v, nixv, t) => {
          roundTrip(clientHandshakeInfo(v), {
            daemonNixVersion: v >= 0x121 ? nixv : undefined,
            remoteTrustsUs: v >= 0x123 ? t : undefined,
          });
          roundTrip(clientOptions(v), { cpuAffinity: undefined, reserveSpace: false });
        },
      ),
      RUNS,
    );
  });

  it("framed streams", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.uint8Array({ maxLength: 200_000 }), { maxLength: 4 }),
        async (chunks) => {
          const parts: Uint8Array[] = [];
          for await (const c of framedChunks(chunks)) parts.push(c.slice());
          const got: Uint8Array[] = [];
          for await (const c of readFramed(new ByteReader({ next: () => parts.shift() })))
            got.push(c.slice());
          expect(Buffer.concat(got)).toEqual(Buffer.concat(chunks));
        },
      ),
      { numRuns: 30 },
    );
  });
});

describe("wire decoders on bad bytes", () => {
  it("truncated values are TruncatedInputErrors", () => {
    fc.assert(
      fc.property(
        arbProtocolVersion.chain((v) =>
          fc.tuple(fc.constant(v), arbPathInfo(v), arbStderrMessage(v)),
        ),
        ([v, info, m]) => {
          truncations(pathInfo(v), encode(pathInfo(v), info));
          truncations(stderrMessage(v), encode(stderrMessage(v), m));
        },
      ),
      { numRuns: 30 },
    );
  });

  it("damaged values give library errors only", () => {
    fc.assert(
      fc.property(
        arbProtocolVersion.chain((v) =>
          fc.tuple(fc.constant(v), arbPathInfo(v), arbStderrMessage(v)),
        ),
        fc.nat(),
        fc.integer({ min: 0, max: 255 }),
        ([v, info, m], at, byte) => {
          damage(pathInfo(v), encode(pathInfo(v), info), at, byte);
          damage(stderrMessage(v), encode(stderrMessage(v), m), at, byte);
        },
      ),
      { numRuns: 80 },
    );
  });

  it("huge lengths and counts are refused before allocating", () => {
    const huge = u64Bytes(0xffff_ffff_ffff_ff00n);
    expect(() => decode(wireString, huge)).toThrow(LimitExceededError);
    expect(() => decode(wireStrings, huge)).toThrow(LimitExceededError);
    const big = u64Bytes(1 << 30);
    expect(() => decode(wireString, big)).toThrow(LimitExceededError);
    expect(() => decode(wireStrings, big)).toThrow(LimitExceededError);
  });

  it("unknown stderr codes and bad tags are malformed", () => {
    const bad = u64Bytes(0x12345678);
    expect(() => decode(stderrMessage(0x122), bad)).toThrow(MalformedInputError);
    try {
      decode(stderrMessage(0x122), bad);
    } catch (err) {
      expect((err as NixCompatError).code).toBe("wire.unknown-tag");
    }
    // Activities do not exist before 1.20.
    expect(() => decode(stderrMessage(0x113), u64Bytes(STDERR.START_ACTIVITY))).toThrow(
      MalformedInputError,
    );
    // A boolean other than 0 or 1, an optional flag of 2.
    expect(() => decode(OPS.IsValidPath.reply(0x122), u64Bytes(2))).toThrow(MalformedInputError);
    expect(() => decode(OPS.QueryPathInfo.reply(0x122), u64Bytes(2))).toThrow(MalformedInputError);
  });

  it("invalid store paths are refused", () => {
    expect(() =>
      decode(OPS.IsValidPath.args(0x122), encode(wireString, "/nix/store/not-a-path")),
    ).toThrow(MalformedInputError);
  });
});

describe("utf8Bytes", () => {
  it("gives TextEncoder's bytes for any text, short ASCII ones encoded by its own loop", () => {
    const encoder = new TextEncoder();
    const text = fc.oneof(
      fc.string({ maxLength: 80 }),
      fc.string({ unit: "grapheme", maxLength: 70 }),
      // lone surrogates and characters just past ASCII
      fc.string({
        unit: fc.constantFrom("a", "\x7f", "\x80", "é", "\ud800", "\udc00"),
        maxLength: 70,
      }),
    );
    fc.assert(
      fc.property(text, (s) => {
        expect(utf8Bytes(s)).toEqual(encoder.encode(s));
      }),
      RUNS,
    );
  });
});
