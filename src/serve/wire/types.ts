/**
 * Serve-protocol value types, declared in the codec DSL on top of the wire primitives and the
 * pieces the worker protocol shares with it (store paths, content addresses, build statuses,
 * derivation outputs and realisations).
 *
 * ```text
 * unkeyed-path-info(v) = deriver: opt-path, references: list<store-path>,
 *                        downloadSize: u64 (Nix sends narSize), narSize: u64,
 *                        [v ≥ 2.4] narHash: opt-hash, ca: opt-ca, sigs: list<string>
 * opt-hash             = string  "" | "<algo>:<hash>"  (Nix writes sha256 in nix32)
 * path-infos-reply(v)  = { path: store-path, unkeyed-path-info(v) }, ""   (only valid paths)
 * build-options(v)     = maxSilentTime: u64, buildTimeout: u64, [v ≥ 2.2] maxLogSize: u64,
 *                        [v ≥ 2.3] nrRepeats: u64, enforceDeterminism: bool,
 *                        [v ≥ 2.7] keepFailed: bool
 * build-result(v)      = status: u64, errorMsg: string,
 *                        [v ≥ 2.3] timesBuilt: u64, isNonDeterministic: bool,
 *                                  startTime: u64, stopTime: u64,
 *                        [2.6 ≤ v < 2.8] builtOutputs: map<drv-output, realisation>   (text, JSON)
 *                        [v ≥ 2.8]       builtOutputs: map<output-name, unkeyed-realisation>
 * ```
 *
 * From 2.8 on (newer Nix), derivation outputs and realisations are the worker protocol's
 * structured forms (`drvOutputWithPath`, `realisationWithPath`, `unkeyedRealisation`).
 *
 * @module
 */
import type { Codec } from "../../codecs/codec.js";
import { record } from "../../codecs/record.js";
import { map, refine } from "../../codecs/refine.js";
import { repeatUntilHead } from "../../codecs/repetition.js";
import type { ContentAddress } from "../../core/content-address.js";
import { MalformedInputError } from "../../core/errors.js";
import { formatHash, type Hash, parseHash } from "../../core/hash.js";
import {
  wireBool,
  wireOptionalContentAddress,
  wireOptionalStorePath,
  wireStorePaths,
  wireString,
  wireStrings,
  wireU64,
} from "../../daemon/wire/primitives.js";
import {
  type BuildResult,
  buildResultLayout,
  builtOutputsText,
  builtOutputsWithPath,
  type Json,
} from "../../daemon/wire/types.js";
import { type ProtocolVersion, versioned } from "../../daemon/wire/version.js";
import { hasServeMinor, serveSince } from "./version.js";

/** What `nix-store --serve` says about a valid path, without the path itself. */
export interface ServeUnkeyedPathInfo {
  /** The derivation that produced it, if known (absolute path). */
  deriver: string | undefined;
  /** Store paths it refers to (absolute). */
  references: string[];
  /** The size to download (Nix sends the NAR size again). */
  downloadSize: number;
  /** Size of its NAR serialisation in bytes. */
  narSize: number;
  /** Hash of its NAR (protocol ≥ 2.4; `undefined` before, or when sent empty). */
  narHash: Hash | undefined;
  /** Its content address (protocol ≥ 2.4). */
  ca: ContentAddress | undefined;
  /** Signatures `keyname:base64` (protocol ≥ 2.4; empty before). */
  sigs: string[];
}

/** A valid path with what `nix-store --serve` says about it. */
export interface ServePathInfo extends ServeUnkeyedPathInfo {
  /** The store path (absolute). */
  path: string;
}

/** A hash with its algorithm prefix, or nothing (the empty string). */
export const serveOptionalHash: Codec<Hash | undefined> = map(
  refine("serve.nar-hash", wireString, (s) => {
    if (s === "") return undefined;
    if (!/^[a-z0-9]+[:-]/.test(s)) return `hash '${s}' does not say its algorithm`;
    try {
      parseHash(s);
      return undefined;
    } catch (err) {
      return err instanceof MalformedInputError ? err.detail : String(err);
    }
  }),
  (s) => (s === "" ? undefined : parseHash(s)),
  (h) => (h === undefined ? "" : formatHash(h, "nix32")),
  "serve.nar-hash",
);

/** The path-info fields after the path, at serve protocol `v`. */
export const serveUnkeyedPathInfo: (v: ProtocolVersion) => Codec<ServeUnkeyedPathInfo> = versioned(
  (v) =>
    map(
      record("serve.path-info", {
        deriver: wireOptionalStorePath,
        references: wireStorePaths,
        downloadSize: wireU64,
        narSize: wireU64,
        narHash: serveSince(v, 4, serveOptionalHash, undefined),
        ca: serveSince(v, 4, wireOptionalContentAddress, undefined),
        sigs: serveSince(v, 4, wireStrings, [] as string[]),
      }),
      (w): ServeUnkeyedPathInfo => ({
        deriver: w.deriver,
        references: w.references,
        downloadSize: w.downloadSize,
        narSize: w.narSize,
        narHash: w.narHash,
        ca: w.ca,
        sigs: w.sigs,
      }),
      (i) => i as never,
      "serve.path-info",
    ),
);

/**
 * The reply to `QueryPathInfos`: a path and its info for each valid path asked for, then an
 * empty path.
 */
export const servePathInfosReply: (v: ProtocolVersion) => Codec<ServePathInfo[]> = versioned((v) =>
  map(
    repeatUntilHead(
      "serve.path-infos",
      record("serve.path-infos.item", {
        path: wireOptionalStorePath,
        info: serveUnkeyedPathInfo(v),
      }),
      { end: undefined },
    ),
    (items): ServePathInfo[] => items.map((i) => ({ path: i.path!, ...i.info })),
    (infos) => infos.map((i) => ({ path: i.path, info: i })),
    "serve.path-infos",
  ),
);

/** Build settings a client sends with `BuildPaths` and `BuildDerivation`. */
export interface ServeBuildOptions {
  /** Seconds without output before a build is killed (0: no limit). */
  maxSilentTime: number;
  /** Seconds a build may take (0: no limit). */
  buildTimeout: number;
  /** Bytes of log kept (protocol ≥ 2.2; 0: no limit). */
  maxLogSize: number;
  /** Extra builds to check determinism (protocol ≥ 2.3). */
  nrRepeats: number;
  /** Fail when repeated builds differ (protocol ≥ 2.3). */
  enforceDeterminism: boolean;
  /** Keep the build directory of failed builds (protocol ≥ 2.7). */
  keepFailed: boolean;
}

/** Build options at serve protocol `v`. */
export const serveBuildOptions: (v: ProtocolVersion) => Codec<ServeBuildOptions> = versioned(
  (v) =>
    record("serve.build-options", {
      maxSilentTime: wireU64,
      buildTimeout: wireU64,
      maxLogSize: serveSince(v, 2, wireU64, 0),
      nrRepeats: serveSince(v, 3, wireU64, 0),
      enforceDeterminism: serveSince(v, 3, wireBool, false),
      keepFailed: serveSince(v, 7, wireBool, false),
    }) as Codec<ServeBuildOptions>,
);

const noOutputs = {} as Record<string, { [key: string]: Json }>;

/**
 * A build result at serve protocol `v` (the worker protocol's {@link BuildResult} shape; the
 * serve protocol has no CPU times, so `cpuUser` and `cpuSystem` are always `undefined`).
 */
export const serveBuildResult: (v: ProtocolVersion) => Codec<BuildResult> = versioned((v) =>
  buildResultLayout("serve.build-result", {
    times: hasServeMinor(v, 3),
    cpu: false,
    builtOutputs: hasServeMinor(v, 8)
      ? builtOutputsWithPath
      : serveSince(v, 6, builtOutputsText, noOutputs),
  }),
);
