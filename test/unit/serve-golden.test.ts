/**
 * Nix's own serve-protocol golden files: each `*.bin` holds the values of the `*.json` beside it
 * (or, without one, the values Nix's test writes), one after another, at the serve-protocol
 * version in its name (2.5 when the name has none, as in Nix's test). Every value decodes, and
 * encoding the values gives back the same bytes.
 */
import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseHash } from "../../src/core/hash.js";
import {
  drvOutputWithPath,
  realisationWithPath,
  unkeyedRealisation,
} from "../../src/daemon/wire/types.js";
import { serveServerHello } from "../../src/serve/wire/handshake.js";
import {
  serveBuildOptions,
  serveBuildResult,
  serveUnkeyedPathInfo,
} from "../../src/serve/wire/types.js";
import { hasServeMinor, serveVersion } from "../../src/serve/wire/version.js";
import {
  br,
  brCompat,
  brWithPath,
  type Case,
  ca,
  check,
  common,
  drvOut,
  type J,
  nested,
  sigs,
  sp,
  unkeyedReal,
} from "../support/wire-golden.js";
import { fixturePath } from "../support/fixtures.js";

const v = serveVersion;

/**
 * A path info as the serve protocol carries it: Nix sends the NAR size as the download size;
 * before 2.4 there is no NAR hash (Nix's JSON then shows its all-zero placeholder).
 */
const serveInfo = (minor: number) => (j: J) => ({
  deriver: j.deriver === null ? undefined : sp(j.deriver),
  references: j.references.map(sp),
  downloadSize: j.narSize,
  narSize: j.narSize,
  narHash: hasServeMinor(v(minor), 4) ? parseHash(j.narHash) : undefined,
  ca: j.ca === null ? undefined : ca(j.ca),
  sigs: sigs(j.signatures),
});

const options = (o: Partial<Record<string, unknown>>) => ({
  maxSilentTime: 5,
  buildTimeout: 6,
  maxLogSize: 0,
  nrRepeats: 0,
  enforceDeterminism: false,
  keepFailed: false,
  ...o,
});

const serve: Case[] = [
  ...common,
  ...nested,
  { file: "build-result-2.2", codec: serveBuildResult(v(2)), convert: br },
  { file: "build-result-2.3", codec: serveBuildResult(v(3)), convert: br },
  { file: "build-result-2.6", codec: serveBuildResult(v(6)), convert: br },
  { file: "build-result-2.7-compat", codec: serveBuildResult(v(7)), convert: brCompat },
  { file: "build-result-2.8", codec: serveBuildResult(v(8)), convert: brWithPath },
  { file: "drv-output-2.8", codec: drvOutputWithPath, convert: drvOut },
  { file: "unkeyed-realisation-2.8", codec: unkeyedRealisation, convert: unkeyedReal },
  {
    file: "realisation-2.8",
    codec: realisationWithPath,
    convert: (j) => ({ key: drvOut(j.key), value: unkeyedReal(j.value) }),
  },
  {
    file: "unkeyed-valid-path-info-2.3",
    codec: serveUnkeyedPathInfo(v(3)),
    convert: serveInfo(3),
  },
  {
    file: "unkeyed-valid-path-info-2.4",
    codec: serveUnkeyedPathInfo(v(4)),
    convert: serveInfo(4),
  },
  {
    file: "build-options-2.1",
    codec: serveBuildOptions(v(1)),
    convert: (j) => j,
    values: [options({})],
  },
  {
    file: "build-options-2.2",
    codec: serveBuildOptions(v(2)),
    convert: (j) => j,
    values: [options({ maxLogSize: 7 })],
  },
  {
    file: "build-options-2.3",
    codec: serveBuildOptions(v(3)),
    convert: (j) => j,
    values: [options({ maxLogSize: 7, nrRepeats: 8, enforceDeterminism: true })],
  },
  {
    file: "build-options-2.7",
    codec: serveBuildOptions(v(7)),
    convert: (j) => j,
    values: [options({ maxLogSize: 7, nrRepeats: 8, keepFailed: true })],
  },
  {
    file: "handshake-to-client",
    codec: serveServerHello,
    convert: (j) => j,
    values: [{ version: v(5) }],
  },
];

describe("serve-protocol golden files", () => {
  for (const c of serve) it(`serve-protocol/${c.file}`, () => check("serve-protocol", c));

  it("covers every file of the folder", () => {
    const files = new Set(
      readdirSync(fixturePath("nix-upstream", "libstore", "serve-protocol")).map((f) =>
        f.replace(/\.(bin|json)$/, ""),
      ),
    );
    expect([...files].sort()).toEqual(serve.map((c) => c.file).sort());
  });
});
