/**
 * Nix's own worker-protocol and common-protocol golden files: each `*.bin` holds the values of
 * the `*.json` beside it, one after another, at the protocol version in its name (1.10 when the
 * name has none; the `*-realisation-with-path-not-hash` files are 1.38 with that feature).
 * Every value decodes, and encoding the values gives back the same bytes.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { AnyCodec, Codec } from "../../src/codecs/codec.js";
import { decodePrefix } from "../../src/codecs/decode.js";
import { encode } from "../../src/codecs/encode.js";
import type { ContentAddress } from "../../src/core/content-address.js";
import { parseHash } from "../../src/core/hash.js";
import { serverHello } from "../../src/daemon/wire/handshake.js";
import {
  wireContentAddress,
  wireList,
  wireOptionalContentAddress,
  wireOptionalStorePath,
  wireStorePath,
  wireString,
  wireStrings,
} from "../../src/daemon/wire/primitives.js";
import {
  buildMode,
  buildResult,
  clientHandshakeInfo,
  type DerivedPath,
  derivedPath,
  drvOutput,
  drvOutputWithPath,
  FEATURE_REALISATION_WITH_PATH,
  keyedBuildResult,
  pathInfo,
  realisation,
  realisationWithPath,
  trustedFlag,
  unkeyedPathInfo,
  unkeyedRealisation,
} from "../../src/daemon/wire/types.js";
import { protocolVersion } from "../../src/daemon/wire/version.js";
import { fixturePath } from "../support/fixtures.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- golden JSON documents
type J = any;
const SD = "/nix/store/";
const sp = (s: string) => SD + s;
const ca = (j: J): ContentAddress => ({ method: j.method, hash: parseHash(j.hash) });
const dp = (j: J): DerivedPath =>
  typeof j === "string"
    ? { type: "opaque", path: sp(j) }
    : { type: "built", drvPath: sp(j.drvPath), outputs: j.outputs };
const info = (j: J) => ({
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
const br = (j: J) => ({
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
const id = (j: J) => j;
// Realisations in the newer JSON (post-1.37 Nix): signatures as {keyName, sig}, paths as base names.
const sigs = (j: J[]) => j.map((x) => `${x.keyName}:${x.sig}`);
const unkeyedReal = (j: J) => ({ outPath: sp(j.outPath), signatures: sigs(j.signatures) });
const drvOut = (j: J) => ({ drvPath: sp(j.drvPath), outputName: j.outputName });
const mapOutputs = (j: J, f: (name: string, r: J) => unknown) =>
  Object.fromEntries(Object.entries(j.builtOutputs ?? {}).map(([n, r]) => [n, f(n, r)]));
/** 1.38 with `realisation-with-path-not-hash`: built outputs are unkeyed realisations. */
const brWithPath = (j: J) => ({ ...br(j), builtOutputs: mapOutputs(j, (_, r) => unkeyedReal(r)) });
/**
 * Newer Nix writing a 1.29 build result: its JSON no longer has the output's `id` (the
 * derivation hash), so it sends a zero hash, and the realisation JSON only `id` and `outPath`.
 */
const brCompat = (j: J) => ({
  ...br(j),
  builtOutputs: mapOutputs(j, (n, r) => ({
    id: `sha256:${"0".repeat(64)}!${n}`,
    outPath: r.outPath,
  })),
});
const WITH_PATH = new Set([FEATURE_REALISATION_WITH_PATH]);
const v = (minor: number) => protocolVersion(1, minor);
const V10 = v(10);

interface Case {
  file: string;
  codec: AnyCodec;
  convert: (j: J) => unknown;
  /** Expected values when there is no JSON file. */
  values?: unknown[];
}

const common: Case[] = [
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
const nested: Case[] = ["set", "vector"].map((file) => ({
  file,
  codec: wireStrings,
  convert: id,
}));

const worker: Case[] = [
  ...common,
  { file: "derived-path-1.29", codec: derivedPath(v(29)), convert: dp },
  { file: "derived-path-1.30", codec: derivedPath(v(30)), convert: dp },
  { file: "build-result-1.27", codec: buildResult(v(27)), convert: br },
  { file: "build-result-1.28", codec: buildResult(v(28)), convert: br },
  { file: "build-result-1.29", codec: buildResult(v(29)), convert: br },
  { file: "build-result-1.37", codec: buildResult(v(37)), convert: br },
  { file: "build-result-1.29-compat", codec: buildResult(v(29)), convert: brCompat },
  {
    file: "build-result-realisation-with-path-not-hash",
    codec: buildResult(v(38), WITH_PATH),
    convert: brWithPath,
  },
  {
    file: "drv-output-realisation-with-path-not-hash",
    codec: drvOutputWithPath,
    convert: drvOut,
  },
  {
    file: "unkeyed-realisation-realisation-with-path-not-hash",
    codec: unkeyedRealisation,
    convert: unkeyedReal,
  },
  {
    file: "realisation-realisation-with-path-not-hash",
    codec: realisationWithPath,
    convert: (j) => ({ key: drvOut(j.key), value: unkeyedReal(j.value) }),
  },
  {
    file: "keyed-build-result-1.29",
    codec: keyedBuildResult(v(29)),
    convert: (j) => ({ ...br(j), path: dp(j.path) }),
  },
  { file: "unkeyed-valid-path-info-1.15", codec: unkeyedPathInfo(v(15)), convert: info },
  { file: "valid-path-info-1.15", codec: pathInfo(v(15)), convert: info },
  { file: "valid-path-info-1.16", codec: pathInfo(v(16)), convert: info },
  {
    file: "build-mode",
    codec: buildMode,
    convert: (j) => ["normal", "repair", "check"][j],
  },
  {
    file: "optional-trusted-flag",
    codec: trustedFlag,
    convert: (j) => (j === null ? undefined : j),
  },
];

const noJson: Case[] = [
  {
    file: "handshake-to-client",
    codec: serverHello,
    convert: id,
    values: [{ version: V10 }],
  },
  {
    file: "client-handshake-info_1_30",
    codec: clientHandshakeInfo(v(30)),
    convert: id,
    values: [{ daemonNixVersion: undefined, remoteTrustsUs: undefined }],
  },
  {
    file: "client-handshake-info_1_33",
    codec: clientHandshakeInfo(v(33)),
    convert: id,
    values: [
      { daemonNixVersion: "foo", remoteTrustsUs: undefined },
      { daemonNixVersion: "bar", remoteTrustsUs: undefined },
    ],
  },
  {
    file: "client-handshake-info_1_35",
    codec: clientHandshakeInfo(v(35)),
    convert: id,
    values: [
      { daemonNixVersion: "foo", remoteTrustsUs: false },
      { daemonNixVersion: "bar", remoteTrustsUs: true },
    ],
  },
];

function check(dir: string, c: Case): void {
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

describe("worker-protocol golden files", () => {
  for (const c of [...worker, ...nested, ...noJson]) {
    it(`worker-protocol/${c.file}`, () => check("worker-protocol", c));
  }
});

describe("common-protocol golden files", () => {
  for (const c of [...common, ...nested]) {
    it(`common-protocol/${c.file}`, () => check("common-protocol", c));
  }
});
