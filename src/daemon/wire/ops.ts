/**
 * Worker-protocol operations: each request (the op code, then its arguments) and its reply,
 * declared in the codec DSL, per protocol version.
 *
 * ```text
 * request  = u64 op, arguments(op, v)
 * exchange = request, { stderr-msg } , (stderr "last", reply(op, v) | stderr "error")
 *
 * SetOptions (19)       keepFailed: bool, keepGoing: bool, tryFallback: bool, verbosity: u64,
 *                       maxBuildJobs: u64, maxSilentTime: u64, u64 1 (obsolete useBuildHook),
 *                       verboseBuild: u64 (0 = yes, 7 = no), u64 0 (obsolete logType),
 *                       u64 0 (obsolete printBuildTrace), buildCores: u64, useSubstitutes: bool,
 *                       [v ≥ 1.12] overrides: map<string, string>            → ()
 * IsValidPath (1)       path                                                  → bool
 * QueryValidPaths (31)  paths: list<path>, [v ≥ 1.27] substitute: bool        → list<path>
 * QueryPathInfo (26)    path                → [v ≥ 1.17] opt<unkeyed-path-info(v)> | unkeyed-path-info(v)
 * QueryPathFromHashPart (29) hashPart: string                                 → opt-path
 * QueryReferrers (6)    path                                                  → list<path>
 * NarFromPath (38)      path                                                  → a NAR, raw
 * AddToStoreNar (39)    path-info(≥1.16 form), repair: bool, dontCheckSigs: bool,
 *                       then the NAR: [v ≥ 1.23] framed
 *                                   | [1.21 ≤ v < 1.23] in the replies to stderr "read" requests
 *                                   | [v < 1.21] inline, raw (its end found by parsing it)  → ()
 * AddMultipleToStore (44) [v ≥ 1.32] repair: bool, dontCheckSigs: bool,
 *                       then framed( count: u64, count × (path-info(1.16 form), raw NAR) ) → ()
 *                       (older clients send each path with AddToStoreNar instead)
 * AddTempRoot (11)      path                                                  → u64 1
 * AddSignatures (37)    path, sigs: list<string>                              → u64 1
 * EnsurePath (10)       path                                                  → u64 1
 * BuildPaths (9)        paths: list<derived-path(v)>, [v ≥ 1.15] mode: build-mode → u64 1
 * BuildPathsWithResults (46) [v ≥ 1.34] paths: list<derived-path(v)>, mode: build-mode
 *                       → list<keyed-build-result(v)>
 * QueryMissing (40)     targets: list<derived-path(v)>
 *                       → willBuild: list<path>, willSubstitute: list<path>, unknown: list<path>,
 *                         downloadSize: u64, narSize: u64
 * ```
 *
 * @module
 */
import type { Codec } from "../../codecs/codec.js";
import { constant, constU64 } from "../../codecs/primitives.js";
import { preceded, record } from "../../codecs/record.js";
import { map } from "../../codecs/refine.js";
import { optional } from "../../codecs/repetition.js";
import {
  wireBool,
  wireList,
  wireOptionalStorePath,
  wireStorePath,
  wireStorePaths,
  wireString,
  wireStringMap,
  wireStrings,
  wireU64,
} from "./primitives.js";
import {
  type BuildMode,
  buildMode,
  type DerivedPath,
  derivedPath,
  type KeyedBuildResult,
  keyedBuildResult,
  type PathInfo,
  pathInfo,
  type UnkeyedPathInfo,
  unkeyedPathInfo,
} from "./types.js";
import { hasMinor, type ProtocolVersion, since, versioned } from "./version.js";

/** Operation codes (Nix's `WorkerProto::Op`). */
export const OP = {
  IsValidPath: 1,
  QueryReferrers: 6,
  AddToStore: 7,
  BuildPaths: 9,
  EnsurePath: 10,
  AddTempRoot: 11,
  AddIndirectRoot: 12,
  SyncWithGC: 13,
  FindRoots: 14,
  QueryDeriver: 18,
  SetOptions: 19,
  CollectGarbage: 20,
  QuerySubstitutablePathInfo: 21,
  QueryDerivationOutputs: 22,
  QueryAllValidPaths: 23,
  QueryPathInfo: 26,
  ImportPaths: 27,
  QueryDerivationOutputNames: 28,
  QueryPathFromHashPart: 29,
  QuerySubstitutablePathInfos: 30,
  QueryValidPaths: 31,
  QuerySubstitutablePaths: 32,
  QueryValidDerivers: 33,
  OptimiseStore: 34,
  VerifyStore: 35,
  BuildDerivation: 36,
  AddSignatures: 37,
  NarFromPath: 38,
  AddToStoreNar: 39,
  QueryMissing: 40,
  QueryDerivationOutputMap: 41,
  RegisterDrvOutput: 42,
  QueryRealisation: 43,
  AddMultipleToStore: 44,
  AddBuildLog: 45,
  BuildPathsWithResults: 46,
  AddPermRoot: 47,
} as const;

/** An operation name. */
export type OpName = keyof typeof OP;

/** The name of an operation code, if known. */
export function opName(code: number): OpName | undefined {
  for (const [k, v] of Object.entries(OP)) if (v === code) return k as OpName;
  return undefined;
}

/** The operation code that starts every request. */
export const opCode: Codec<number> = wireU64;

/** The settings a client sends with `SetOptions`. */
export interface ClientSettings {
  keepFailed: boolean;
  keepGoing: boolean;
  tryFallback: boolean;
  verbosity: number;
  maxBuildJobs: number;
  maxSilentTime: number;
  verboseBuild: boolean;
  buildCores: number;
  useSubstitutes: boolean;
  /** Other settings by name (protocol ≥ 1.12). */
  overrides: Record<string, string>;
}

/** Settings Nix's own client sends by default. */
export const DEFAULT_CLIENT_SETTINGS: ClientSettings = {
  keepFailed: false,
  keepGoing: false,
  tryFallback: false,
  verbosity: 0,
  maxBuildJobs: 1,
  maxSilentTime: 0,
  verboseBuild: true,
  buildCores: 0,
  useSubstitutes: true,
  overrides: {},
};

/** The arguments of `SetOptions` at protocol `v`. */
export const clientSettings: (v: ProtocolVersion) => Codec<ClientSettings> = versioned((v) =>
  map(
    record("wire.set-options", {
      keepFailed: wireBool,
      keepGoing: wireBool,
      tryFallback: wireBool,
      verbosity: wireU64,
      maxBuildJobs: wireU64,
      maxSilentTime: wireU64,
      useBuildHook: wireU64,
      verboseBuild: wireU64,
      logType: wireU64,
      printBuildTrace: wireU64,
      buildCores: wireU64,
      useSubstitutes: wireBool,
      overrides: since(v, 12, wireStringMap, {} as Record<string, string>),
    }),
    (w): ClientSettings => ({
      keepFailed: w.keepFailed,
      keepGoing: w.keepGoing,
      tryFallback: w.tryFallback,
      verbosity: w.verbosity,
      maxBuildJobs: w.maxBuildJobs,
      maxSilentTime: w.maxSilentTime,
      verboseBuild: w.verboseBuild === 0,
      buildCores: w.buildCores,
      useSubstitutes: w.useSubstitutes,
      overrides: w.overrides,
    }),
    (s) => ({
      ...s,
      useBuildHook: 1,
      verboseBuild: s.verboseBuild ? 0 : 7,
      logType: 0,
      printBuildTrace: 0,
    }),
    "wire.set-options",
  ),
);

/** The arguments of `AddToStoreNar` (the NAR follows separately). */
export interface AddToStoreNarRequest {
  info: PathInfo;
  repair: boolean;
  dontCheckSigs: boolean;
}

/** The arguments of `AddMultipleToStore` (the framed paths follow separately). */
export interface AddMultipleToStoreRequest {
  repair: boolean;
  dontCheckSigs: boolean;
}

/** Inside `AddMultipleToStore`'s framed stream: the number of paths that follow. */
export const addMultipleCount: Codec<number> = wireU64;
/**
 * Inside `AddMultipleToStore`'s framed stream: each path's info (always the 1.16 form, whatever
 * the protocol version), before its raw NAR.
 */
export const addMultipleItem: Codec<PathInfo> = pathInfo(0x110);

/** What `QueryMissing` answers: what building the targets would take. */
export interface MissingInfo {
  willBuild: string[];
  willSubstitute: string[];
  unknown: string[];
  downloadSize: number;
  narSize: number;
}

/** One operation: its code, the codec of its arguments and of its reply, per version. */
export interface OpSpec<Req, Res, N extends string = OpName> {
  readonly name: N;
  readonly code: number;
  /** The arguments alone (what a server reads after the op code). */
  readonly args: (v: ProtocolVersion) => Codec<Req>;
  /** The request: the op code then the arguments. */
  readonly request: (v: ProtocolVersion) => Codec<Req>;
  /** The reply after stderr `last` (`undefined`: none, or raw data that follows). */
  readonly reply: (v: ProtocolVersion) => Codec<Res>;
}

/**
 * Declares an operation of a protocol whose requests are a u64 code then arguments (the worker
 * and the serve protocol); `rule` names it in errors.
 */
export function operation<N extends string, Req, Res>(
  name: N,
  code: number,
  rule: string,
  args: (v: ProtocolVersion) => Codec<Req>,
  reply: (v: ProtocolVersion) => Codec<Res>,
): OpSpec<Req, Res, N> {
  const argsOf = versioned(args);
  return {
    name,
    code,
    args: argsOf,
    request: versioned((v) => preceded(rule, constU64(code, rule), argsOf(v))),
    reply: versioned(reply),
  };
}

function op<Req, Res>(
  name: OpName,
  args: (v: ProtocolVersion) => Codec<Req>,
  reply: (v: ProtocolVersion) => Codec<Res>,
): OpSpec<Req, Res> {
  return operation(name, OP[name], `wire.op.${name}`, args, reply);
}

const none = constant(undefined, "wire.none");
const one = () => wireU64;

/** Every operation this library speaks, with its grammar. */
export const OPS = {
  SetOptions: op<ClientSettings, undefined>("SetOptions", clientSettings, () => none),
  IsValidPath: op<string, boolean>(
    "IsValidPath",
    () => wireStorePath,
    () => wireBool,
  ),
  QueryValidPaths: op<{ paths: string[]; substitute: boolean }, string[]>(
    "QueryValidPaths",
    (v) =>
      record("wire.op.QueryValidPaths", {
        paths: wireStorePaths,
        substitute: since(v, 27, wireBool, false),
      }),
    () => wireStorePaths,
  ),
  QueryPathInfo: op<string, UnkeyedPathInfo | undefined>(
    "QueryPathInfo",
    () => wireStorePath,
    (v) =>
      hasMinor(v, 17)
        ? optional("wire.op.QueryPathInfo", unkeyedPathInfo(v))
        : (unkeyedPathInfo(v) as Codec<UnkeyedPathInfo | undefined>),
  ),
  QueryPathFromHashPart: op<string, string | undefined>(
    "QueryPathFromHashPart",
    () => wireString,
    () => wireOptionalStorePath,
  ),
  QueryReferrers: op<string, string[]>(
    "QueryReferrers",
    () => wireStorePath,
    () => wireStorePaths,
  ),
  NarFromPath: op<string, undefined>(
    "NarFromPath",
    () => wireStorePath,
    () => none,
  ),
  AddToStoreNar: op<AddToStoreNarRequest, undefined>(
    "AddToStoreNar",
    (v) =>
      record("wire.op.AddToStoreNar", {
        info: pathInfo(Math.max(v, 0x110)),
        repair: wireBool,
        dontCheckSigs: wireBool,
      }),
    () => none,
  ),
  AddMultipleToStore: op<AddMultipleToStoreRequest, undefined>(
    "AddMultipleToStore",
    () =>
      record("wire.op.AddMultipleToStore", {
        repair: wireBool,
        dontCheckSigs: wireBool,
      }),
    () => none,
  ),
  AddTempRoot: op<string, number>("AddTempRoot", () => wireStorePath, one),
  AddSignatures: op<{ path: string; sigs: string[] }, number>(
    "AddSignatures",
    () => record("wire.op.AddSignatures", { path: wireStorePath, sigs: wireStrings }),
    one,
  ),
  EnsurePath: op<string, number>("EnsurePath", () => wireStorePath, one),
  BuildPaths: op<{ paths: DerivedPath[]; mode: BuildMode }, number>(
    "BuildPaths",
    (v) =>
      record("wire.op.BuildPaths", {
        paths: wireList(derivedPath(v), "wire.derived-paths"),
        mode: since<BuildMode>(v, 15, buildMode, "normal"),
      }),
    one,
  ),
  QueryMissing: op<DerivedPath[], MissingInfo>(
    "QueryMissing",
    (v) => wireList(derivedPath(v), "wire.derived-paths"),
    () =>
      record("wire.missing", {
        willBuild: wireStorePaths,
        willSubstitute: wireStorePaths,
        unknown: wireStorePaths,
        downloadSize: wireU64,
        narSize: wireU64,
      }),
  ),
  BuildPathsWithResults: op<{ paths: DerivedPath[]; mode: BuildMode }, KeyedBuildResult[]>(
    "BuildPathsWithResults",
    (v) =>
      record("wire.op.BuildPathsWithResults", {
        paths: wireList(derivedPath(v), "wire.derived-paths"),
        mode: buildMode,
      }),
    (v) => wireList(keyedBuildResult(v), "wire.keyed-build-results"),
  ),
} as const;
