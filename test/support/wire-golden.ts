/**
 * Shared helpers of the golden-file tests of the worker, common and serve protocols: Nix's own
 * `*.bin` files, each holding the values of the `*.json` beside it one after another. {@link check}
 * decodes every value, compares it with the JSON's, and encodes both back to the same bytes.
 */
import { readFileSync } from "node:fs";
import { expect } from "vitest";
import type { AnyCodec, Codec } from "../../src/codecs/codec.js";
import { decodePrefix } from "../../src/codecs/decode.js";
import { encode } from "../../src/codecs/encode.js";
import type { ContentAddress } from "../../src/core/content-address.js";
import { parseHash } from "../../src/core/hash.js";
import {
  wireContentAddress,
  wireList,
  wireOptionalContentAddress,
  wireOptionalStorePath,
  wireStorePath,
  wireString,
  wireStrings,
} from "../../src/daemon/wire/primitives.js";
import { type DerivedPath, drvOutput, realisation } from "../../src/daemon/wire/types.js";
import { fixturePath } from "./fixtures.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- golden JSON documents
export type J = any;
export const SD = "/nix/store/";
export const sp = (s: string) => SD + s;
export const ca = (j: J): ContentAddress => ({ method: j.method, hash: parseHash(j.hash) });
export const dp = (j: J): DerivedPath =>
  typeof j === "string"
    ? { type: "opaque", path: sp(j) }
    : { type: "built", drvPath: sp(j.drvPath), outputs: j.outputs };
export const info = (j: J) => ({
  ...(j.path !== undefined ? { path: sp(j.path) } : {}),
  deriver: j.deriver === null ? undefined : sp(j.deriver),
  narHash: parseHash(j.narHash),
  references: j.references.map(sp),
  registrationTime: j.registrationTime,
  narSize: j.narSize,
  ultimate: j.ultimate,
  sigs: j.signatures.map((s: J) => `${s.keyName}:${s.sig}`),
  ca: j.ca === null ? undefined : ca(j.ca),
});
export const br = (j: J) => ({
  status: j.status,
  errorMsg: j.errorMsg ?? "",
  timesBuilt: j.timesBuilt,
  isNonDeterministic: j.isNonDeterministic ?? false,
  startTime: j.startTime,
  stopTime: j.stopTime,
  cpuUser: j.cpuUser,
  cpuSystem: j.cpuSystem,
  builtOutputs: j.builtOutputs ?? {},
});
export const id = (j: J) => j;
// Realisations in the newer JSON (post-1.37 Nix): signatures as {keyName, sig}, paths as base names.
export const sigs = (j: J[]) => j.map((x) => `${x.keyName}:${x.sig}`);
export const unkeyedReal = (j: J) => ({ outPath: sp(j.outPath), signatures: sigs(j.signatures) });
export const drvOut = (j: J) => ({ drvPath: sp(j.drvPath), outputName: j.outputName });
export const mapOutputs = (j: J, f: (name: string, r: J) => unknown) =>
  Object.fromEntries(Object.entries(j.builtOutputs ?? {}).map(([n, r]) => [n, f(n, r)]));
/** 1.38 with `realisation-with-path-not-hash`: built outputs are unkeyed realisations. */
export const brWithPath = (j: J) => ({
  ...br(j),
  builtOutputs: mapOutputs(j, (_, r) => unkeyedReal(r)),
});
/**
 * Newer Nix writing a 1.29 build result: its JSON no longer has the output's `id` (the
 * derivation hash), so it sends a zero hash, and the realisation JSON only `id` and `outPath`.
 */
export const brCompat = (j: J) => ({
  ...br(j),
  builtOutputs: mapOutputs(j, (n, r) => ({
    id: `sha256:${"0".repeat(64)}!${n}`,
    outPath: r.outPath,
  })),
});

export interface Case {
  file: string;
  codec: AnyCodec;
  convert: (j: J) => unknown;
  /** Expected values when there is no JSON file. */
  values?: unknown[];
}

export const common: Case[] = [
  { file: "string", codec: wireString, convert: id },
  { file: "store-path", codec: wireStorePath, convert: sp },
  { file: "content-address", codec: wireContentAddress, convert: ca },
  { file: "drv-output", codec: drvOutput, convert: id },
  {
    file: "optional-store-path",
    codec: wireOptionalStorePath,
    convert: (j) => (j === null ? undefined : sp(j)),
  },
  {
    file: "optional-content-address",
    codec: wireOptionalContentAddress,
    convert: (j) => (j === null ? undefined : ca(j)),
  },
  { file: "realisation", codec: realisation, convert: id },
  { file: "realisation-with-deps", codec: realisation, convert: id },
];

/** The set and vector files mix lists of strings and lists of lists of strings. */
export const nested: Case[] = ["set", "vector"].map((file) => ({
  file,
  codec: wireStrings,
  convert: id,
}));

export function check(dir: string, c: Case): void {
  const bin = new Uint8Array(
    readFileSync(fixturePath("nix-upstream", "libstore", dir, `${c.file}.bin`)),
  );
  const expected =
    c.values ??
    ((): unknown[] => {
      const doc = JSON.parse(
        readFileSync(fixturePath("nix-upstream", "libstore", dir, `${c.file}.json`), "utf8"),
      ) as J;
      // Most files hold a list of values; the newer realisation files hold one value.
      return (Array.isArray(doc) ? doc : [doc]).map(c.convert);
    })();
  const decoded: unknown[] = [];
  let at = 0;
  const nestedList = wireList(wireStrings);
  for (let i = 0; i < expected.length; i++) {
    // set/vector: the last value is a list of lists.
    const codec =
      Array.isArray(expected[i]) && (expected[i] as unknown[]).some(Array.isArray)
        ? nestedList
        : c.codec;
    const { value, end } = decodePrefix(codec as Codec<unknown>, bin.subarray(at), {
      allowTrailing: true,
    });
    decoded.push(value);
    at += end;
  }
  expect(at).toBe(bin.length);
  expect(decoded).toEqual(expected);
  const parts = decoded.map((d, i) => {
    const codec =
      Array.isArray(expected[i]) && (expected[i] as unknown[]).some(Array.isArray)
        ? nestedList
        : c.codec;
    return encode(codec as Codec<unknown>, d);
  });
  expect(Buffer.concat(parts)).toEqual(Buffer.from(bin));
  // Encoding the expected values (not only the decoded ones) gives the same bytes too.
  const fromJson = expected.map((d, i) =>
    encode(
      (Array.isArray(d) && d.some(Array.isArray) ? nestedList : c.codec) as Codec<unknown>,
      expected[i],
    ),
  );
  expect(Buffer.concat(fromJson)).toEqual(Buffer.from(bin));
}
