/**
 * Nix's own worker-protocol and common-protocol golden files: each `*.bin` holds the values of
 * the `*.json` beside it, one after another, at the protocol version in its name (1.10 when the
 * name has none; the `*-realisation-with-path-not-hash` files are 1.38 with that feature).
 * Every value decodes, and encoding the values gives back the same bytes.
 */
import { describe, it } from "vitest";
import { serverHello } from "../../src/daemon/wire/handshake.js";
import {
  buildMode,
  buildResult,
  clientHandshakeInfo,
  derivedPath,
  drvOutputWithPath,
  FEATURE_REALISATION_WITH_PATH,
  keyedBuildResult,
  pathInfo,
  realisationWithPath,
  trustedFlag,
  unkeyedPathInfo,
  unkeyedRealisation,
} from "../../src/daemon/wire/types.js";
import { protocolVersion } from "../../src/daemon/wire/version.js";
import {
  br,
  brCompat,
  brWithPath,
  type Case,
  check,
  common,
  dp,
  drvOut,
  id,
  info,
  nested,
  unkeyedReal,
} from "../support/wire-golden.js";

const WITH_PATH = new Set([FEATURE_REALISATION_WITH_PATH]);
const v = (minor: number) => protocolVersion(1, minor);
const V10 = v(10);

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
