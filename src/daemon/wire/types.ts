/**
 * Worker-protocol value types, declared in the codec DSL on top of the wire primitives.
 *
 * ```text
 * unkeyed-path-info(v) = deriver: opt-path, narHash: nar-hash, references: list<store-path>,
 *                        registrationTime: u64, narSize: u64,
 *                        [v ≥ 1.16] ultimate: bool, sigs: list<string>, ca: opt-ca
 * path-info(v)         = path: store-path, unkeyed-path-info(v)
 * build-mode           = u64  0 normal | 1 repair | 2 check
 * trusted-flag         = u64  0 unknown | 1 trusted | 2 not trusted
 * derived-path(v)      = string  "<path>" | "<drv>!<out>,<out>" | "<drv>!*"
 * drv-output           = string  "<algo>:<base16>!<output>"
 * realisation          = string  (a JSON document, keys sorted, no spaces)
 * build-result(v, f)   = status: u64, errorMsg: string,
 *                        [v ≥ 1.29] timesBuilt: u64, isNonDeterministic: bool, startTime: u64, stopTime: u64,
 *                        [v ≥ 1.37] cpuUser: opt<u64>, cpuSystem: opt<u64>,
 *                        [v ≥ 1.28, without RWP] builtOutputs: map<drv-output, realisation>
 *                        [v ≥ 1.38, with RWP]    builtOutputs: map<output-name: string, unkeyed-realisation>
 * opt<T>               = u64 0 | u64 1, T
 *
 * From 1.38 on, peers also agree on named features (the intersection of what each sends in
 * the handshake). RWP is the feature `realisation-with-path-not-hash`; with it, derivation
 * outputs and realisations are structures instead of text:
 * drv-output-with-path = drvPath: store-path, outputName: string
 * unkeyed-realisation  = outPath: store-path, signatures: list<string>
 * realisation-with-path = key: drv-output-with-path, value: unkeyed-realisation
 * ```
 *
 * The handshake here stops at 1.37 (Nix 2.8 speaks 1.34), so no live connection uses the 1.38
 * forms yet; they are declared for decoding and encoding such data (Nix's golden files).
 *
 * @module
 */

import { u64Union } from "../../codecs/choice.js";
import type { Codec } from "../../codecs/codec.js";
import { constant } from "../../codecs/primitives.js";
import { record } from "../../codecs/record.js";
import { map, refine } from "../../codecs/refine.js";
import { optional } from "../../codecs/repetition.js";
import type { ContentAddress } from "../../core/content-address.js";
import type { Hash } from "../../core/hash.js";
import {
  checkStorePath,
  wireBool,
  wireList,
  wireNarHash,
  wireOptionalContentAddress,
  wireOptionalStorePath,
  wireStorePath,
  wireStorePaths,
  wireString,
  wireStrings,
  wireU64,
} from "./primitives.js";
import { hasMinor, type ProtocolVersion, since, versioned } from "./version.js";
import { canonicalJson } from "../../core/canonical-json.js";

/** What a store knows about a valid path, without the path itself. */
export interface UnkeyedPathInfo {
  /** The derivation that produced it, if known (absolute path). */
  deriver: string | undefined;
  /** SHA-256 of its NAR serialisation. */
  narHash: Hash;
  /** Store paths it refers to (absolute). */
  references: string[];
  /** Seconds since the epoch when it was registered (0 when unknown). */
  registrationTime: number;
  /** Size of its NAR serialisation in bytes. */
  narSize: number;
  /** Built locally (trusted without signatures). Always false before protocol 1.16. */
  ultimate: boolean;
  /** Signatures `keyname:base64`. Always empty before protocol 1.16. */
  sigs: string[];
  /** Its content address, if content-addressed. Always absent before protocol 1.16. */
  ca: ContentAddress | undefined;
}

/** A path with what the store knows about it (Nix's `ValidPathInfo`). */
export interface PathInfo extends UnkeyedPathInfo {
  /** The store path (absolute). */
  path: string;
}

/** The path-info fields after the path, at protocol `v`. */
export const unkeyedPathInfo: (v: ProtocolVersion) => Codec<UnkeyedPathInfo> = versioned((v) =>
  map(
    record("wire.path-info", {
      deriver: wireOptionalStorePath,
      narHash: wireNarHash,
      references: wireStorePaths,
      registrationTime: wireU64,
      narSize: wireU64,
      ultimate: since(v, 16, wireBool, false),
      sigs: since(v, 16, wireStrings, [] as string[]),
      ca: since(v, 16, wireOptionalContentAddress, undefined),
    }),
    (w): UnkeyedPathInfo => ({
      deriver: w.deriver,
      narHash: w.narHash,
      references: w.references,
      registrationTime: w.registrationTime,
      narSize: w.narSize,
      ultimate: w.ultimate,
      sigs: w.sigs,
      ca: w.ca,
    }),
    (i) => i,
    "wire.path-info",
  ),
);

/** A path then its info, at protocol `v`. */
export const pathInfo: (v: ProtocolVersion) => Codec<PathInfo> = versioned((v) =>
  map(
    record("wire.path-info", { path: wireStorePath, info: unkeyedPathInfo(v) }),
    (w): PathInfo => ({ path: w.path, ...w.info }),
    (p) => ({ path: p.path, info: p }),
    "wire.path-info",
  ),
);

/** How to build: normal, repair, or check (rebuild and compare). */
export type BuildMode = "normal" | "repair" | "check";

/** A build mode (u64 0, 1, 2). */
export const buildMode: Codec<BuildMode> = u64Union<BuildMode>(
  "wire.build-mode",
  {
    0: constant("normal" as const),
    1: constant("repair" as const),
    2: constant("check" as const),
  },
  (m) => (m === "normal" ? 0 : m === "repair" ? 1 : 2),
);

/** Whether the daemon trusts the client: `true`, `false`, or `undefined` (not said). */
export const trustedFlag: Codec<boolean | undefined> = u64Union<boolean | undefined>(
  "wire.trusted-flag",
  { 0: constant(undefined), 1: constant(true), 2: constant(false) },
  (t) => (t === undefined ? 0 : t ? 1 : 2),
);

/** A path to realise: a store path as is, or outputs of a derivation. */
export type DerivedPath =
  | { readonly type: "opaque"; readonly path: string }
  /** `outputs` `["*"]` means every output. */
  | { readonly type: "built"; readonly drvPath: string; readonly outputs: readonly string[] };

/** Parses the text form of a derived path. */
export function parseDerivedPath(text: string): DerivedPath {
  const bang = text.indexOf("!");
  if (bang < 0) return { type: "opaque", path: text };
  const outputs = text.slice(bang + 1);
  return { type: "built", drvPath: text.slice(0, bang), outputs: outputs.split(",") };
}

/** Prints the text form of a derived path. */
export function formatDerivedPath(p: DerivedPath): string {
  return p.type === "opaque" ? p.path : `${p.drvPath}!${p.outputs.join(",")}`;
}

function checkDerivedPath(text: string): string | undefined {
  const p = parseDerivedPath(text);
  if (p.type === "opaque") return checkStorePath(p.path);
  if (p.outputs.some((o) => o === "")) return `derived path '${text}' has an empty output name`;
  return checkStorePath(p.drvPath);
}

/**
 * A derived path at protocol `v`. From 1.30 on: `<path>` or `<drv>!<outputs>` (`*` for all).
 * Before 1.30 (Nix's legacy form) all outputs of a derivation are written as the bare `.drv`
 * path, so a bare `.drv` path reads as "all its outputs" and an opaque `.drv` cannot be said.
 */
export const derivedPath: (v: ProtocolVersion) => Codec<DerivedPath> = versioned((v) => {
  const legacy = !hasMinor(v, 30);
  return map(
    refine("wire.derived-path", wireString, checkDerivedPath),
    (text): DerivedPath => {
      const p = parseDerivedPath(text);
      if (legacy && p.type === "opaque" && p.path.endsWith(".drv")) {
        return { type: "built", drvPath: p.path, outputs: ["*"] };
      }
      return p;
    },
    (p) =>
      legacy && p.type === "built" && p.outputs.length === 1 && p.outputs[0] === "*"
        ? p.drvPath
        : formatDerivedPath(p),
    "wire.derived-path",
  );
});

/** A derivation output id, `sha256:<base16>!out` (kept as text). */
export const drvOutput: Codec<string> = refine("wire.drv-output", wireString, (s) =>
  /^[a-z0-9]+:[0-9a-f]+![^!]+$/.test(s) ? undefined : `'${s}' is not a derivation output id`,
);

/** Named protocol features agreed on in the handshake (protocol ≥ 1.38). */
export type ProtocolFeatures = ReadonlySet<string>;
/** The feature that turns derivation outputs and realisations into structures (≥ 1.38). */
export const FEATURE_REALISATION_WITH_PATH = "realisation-with-path-not-hash";
const NO_FEATURES: ProtocolFeatures = new Set();

/** Whether `v` and `features` carry the structured realisations. */
export function hasRealisationWithPath(
  v: ProtocolVersion,
  features: ProtocolFeatures = NO_FEATURES,
): boolean {
  return hasMinor(v, 38) && features.has(FEATURE_REALISATION_WITH_PATH);
}

/** A derivation output named by the derivation's path (protocol ≥ 1.38 with the feature). */
export interface DrvOutputWithPath {
  /** The derivation's store path (absolute). */
  drvPath: string;
  outputName: string;
}

/** A derivation output as a structure (protocol ≥ 1.38 with `realisation-with-path-not-hash`). */
export const drvOutputWithPath: Codec<DrvOutputWithPath> = record("wire.drv-output-with-path", {
  drvPath: wireStorePath,
  outputName: wireString,
});

/** A realisation without its key (protocol ≥ 1.38 with `realisation-with-path-not-hash`). */
export interface UnkeyedRealisation {
  /** The output's store path (absolute). */
  outPath: string;
  /** Signatures `keyname:base64`. */
  signatures: string[];
}

/** An unkeyed realisation as a structure (protocol ≥ 1.38 with the feature). */
export const unkeyedRealisation: Codec<UnkeyedRealisation> = record("wire.unkeyed-realisation", {
  outPath: wireStorePath,
  signatures: wireStrings,
});

/** A realisation with its key, as a structure (protocol ≥ 1.38 with the feature). */
export const realisationWithPath: Codec<{ key: DrvOutputWithPath; value: UnkeyedRealisation }> =
  record("wire.realisation-with-path", { key: drvOutputWithPath, value: unkeyedRealisation });

/** A JSON value. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A realisation of a content-addressed derivation output: a JSON document sent as a string. */
export const realisation: Codec<{ [key: string]: Json }> = map(
  refine("wire.realisation", wireString, (s) => {
    try {
      const v = JSON.parse(s) as unknown;
      return v !== null && typeof v === "object" && !Array.isArray(v)
        ? undefined
        : "a realisation must be a JSON object";
    } catch {
      return "a realisation must be JSON";
    }
  }),
  (s) => JSON.parse(s) as { [key: string]: Json },
  (v) => canonicalJson(v),
  "wire.realisation",
);

/** Every build status, by its number on the wire. */
export const BUILD_STATUSES = [
  "Built",
  "Substituted",
  "AlreadyValid",
  "PermanentFailure",
  "InputRejected",
  "OutputRejected",
  "TransientFailure",
  "CachedFailure",
  "TimedOut",
  "MiscFailure",
  "DependencyFailed",
  "LogLimitExceeded",
  "NotDeterministic",
  "ResolvesToAlreadyValid",
  "NoSubstituters",
] as const;

/** A build status name. */
export type BuildStatus = (typeof BUILD_STATUSES)[number];

/** The outcome of building one derived path. */
export interface BuildResult {
  status: BuildStatus;
  errorMsg: string;
  timesBuilt: number;
  isNonDeterministic: boolean;
  startTime: number;
  stopTime: number;
  /** CPU time in microseconds (protocol ≥ 1.37). */
  cpuUser: number | undefined;
  cpuSystem: number | undefined;
  /**
   * Realisations by output name (protocol ≥ 1.28): the realisation JSON documents (with their
   * `id`, `outPath` a base name); with `realisation-with-path-not-hash` (≥ 1.38), what the wire
   * carries instead: `{ outPath, signatures }`, `outPath` absolute.
   */
  builtOutputs: Record<string, { [key: string]: Json }>;
}

const buildStatus: Codec<BuildStatus> = map(
  refine("wire.build-status", wireU64, (n) =>
    n < BUILD_STATUSES.length
      ? undefined
      : { code: "wire.unknown-tag", detail: `unknown build status ${n}` },
  ),
  (n) => BUILD_STATUSES[n]!,
  (s) => BUILD_STATUSES.indexOf(s),
  "wire.build-status",
);

/** `builtOutputs` before 1.38 (or without the feature): a map from drv-output text to realisation JSON. */
export const builtOutputsText: Codec<Record<string, { [key: string]: Json }>> = map(
  wireList(record("wire.built-output", { id: drvOutput, realisation }), "wire.built-outputs"),
  (w) => Object.fromEntries(w.map((o) => [o.id.slice(o.id.lastIndexOf("!") + 1), o.realisation])),
  (r) =>
    Object.entries(r).map(([name, real]) => ({
      id: typeof real.id === "string" ? real.id : name,
      realisation: real,
    })),
  "wire.built-outputs",
);

/** `builtOutputs` at ≥ 1.38 with the feature: output name → unkeyed realisation. */
export const builtOutputsWithPath: Codec<Record<string, { [key: string]: Json }>> = map(
  wireList(
    record("wire.built-output", { name: wireString, realisation: unkeyedRealisation }),
    "wire.built-outputs",
  ),
  (w): Record<string, { [key: string]: Json }> =>
    Object.fromEntries(
      w.map((o) => [
        o.name,
        { outPath: o.realisation.outPath, signatures: o.realisation.signatures },
      ]),
    ),
  (r) =>
    Object.entries(r).map(([name, real]) => ({
      name,
      realisation: {
        outPath: String(real.outPath),
        signatures: Array.isArray(real.signatures) ? real.signatures.map(String) : [],
      },
    })),
  "wire.built-outputs",
);

/** Which optional parts of a build result a protocol version carries (see {@link buildResultLayout}). */
export interface BuildResultParts {
  /** `timesBuilt`, `isNonDeterministic`, `startTime`, `stopTime` are on the wire. */
  readonly times: boolean;
  /** `cpuUser`, `cpuSystem` are on the wire. */
  readonly cpu: boolean;
  /** The codec of `builtOutputs` (a constant `{}` where they are not on the wire). */
  readonly builtOutputs: Codec<Record<string, { [key: string]: Json }>>;
}

/**
 * A build result as the worker and serve protocols lay it out: status, message, then the
 * parts the version carries, in this order. `rule` names the protocol's rule in errors.
 */
export function buildResultLayout(rule: string, parts: BuildResultParts): Codec<BuildResult> {
  const when = <T>(present: boolean, codec: Codec<T>, absent: T): Codec<T> =>
    present ? codec : constant(absent, codec.rule);
  return map(
    record(rule, {
      status: buildStatus,
      errorMsg: wireString,
      timesBuilt: when(parts.times, wireU64, 0),
      isNonDeterministic: when(parts.times, wireBool, false),
      startTime: when(parts.times, wireU64, 0),
      stopTime: when(parts.times, wireU64, 0),
      cpuUser: when(parts.cpu, optional("wire.cpu-user", wireU64), undefined),
      cpuSystem: when(parts.cpu, optional("wire.cpu-system", wireU64), undefined),
      builtOutputs: parts.builtOutputs,
    }),
    (w): BuildResult => ({
      status: w.status,
      errorMsg: w.errorMsg,
      timesBuilt: w.timesBuilt,
      isNonDeterministic: w.isNonDeterministic,
      startTime: w.startTime,
      stopTime: w.stopTime,
      cpuUser: w.cpuUser,
      cpuSystem: w.cpuSystem,
      builtOutputs: w.builtOutputs,
    }),
    (r) => r,
    rule,
  );
}

const buildResultOf = (v: ProtocolVersion, withPath: boolean): Codec<BuildResult> =>
  buildResultLayout("wire.build-result", {
    times: hasMinor(v, 29),
    cpu: hasMinor(v, 37),
    builtOutputs: withPath
      ? builtOutputsWithPath
      : since(v, 28, builtOutputsText, {} as Record<string, { [key: string]: Json }>),
  });
const buildResultText = versioned((v) => buildResultOf(v, false));
const buildResultWithPath = versioned((v) => buildResultOf(v, true));

/** A build result at protocol `v` (and, from 1.38, the agreed `features`). */
export function buildResult(
  v: ProtocolVersion,
  features: ProtocolFeatures = NO_FEATURES,
): Codec<BuildResult> {
  return hasRealisationWithPath(v, features) ? buildResultWithPath(v) : buildResultText(v);
}

/** A build result with the derived path it is for (protocol ≥ 1.29 `BuildPathsWithResults`). */
export interface KeyedBuildResult extends BuildResult {
  path: DerivedPath;
}

const keyedBuildResultOf = (v: ProtocolVersion, features: ProtocolFeatures) =>
  map(
    record("wire.keyed-build-result", {
      path: derivedPath(v),
      result: buildResult(v, features),
    }),
    (w): KeyedBuildResult => ({ path: w.path, ...w.result }),
    (k) => ({ path: k.path, result: k }),
    "wire.keyed-build-result",
  );
const keyedText = versioned((v) => keyedBuildResultOf(v, NO_FEATURES));
const keyedWithPath = versioned((v) =>
  keyedBuildResultOf(v, new Set([FEATURE_REALISATION_WITH_PATH])),
);

/** A keyed build result at protocol `v` (and, from 1.38, the agreed `features`). */
export function keyedBuildResult(
  v: ProtocolVersion,
  features: ProtocolFeatures = NO_FEATURES,
): Codec<KeyedBuildResult> {
  return hasRealisationWithPath(v, features) ? keyedWithPath(v) : keyedText(v);
}

/** What the client learns in the handshake after the versions (protocol ≥ 1.33, ≥ 1.35). */
export interface ClientHandshakeInfo {
  /** The daemon's Nix version (protocol ≥ 1.33). */
  daemonNixVersion: string | undefined;
  /** Whether the daemon trusts the client (protocol ≥ 1.35). */
  remoteTrustsUs: boolean | undefined;
}

/** The daemon's handshake info at protocol `v`. */
export const clientHandshakeInfo: (v: ProtocolVersion) => Codec<ClientHandshakeInfo> = versioned(
  (v) =>
    map(
      record("wire.handshake-info", {
        daemonNixVersion: hasMinor(v, 33)
          ? (wireString as Codec<string | undefined>)
          : constant<string | undefined>(undefined),
        remoteTrustsUs: since<boolean | undefined>(v, 35, trustedFlag, undefined),
      }),
      (w): ClientHandshakeInfo => ({
        daemonNixVersion: w.daemonNixVersion,
        remoteTrustsUs: w.remoteTrustsUs,
      }),
      (i) => ({ daemonNixVersion: i.daemonNixVersion ?? "", remoteTrustsUs: i.remoteTrustsUs }),
      "wire.handshake-info",
    ),
);
