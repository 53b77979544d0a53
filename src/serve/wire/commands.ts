/**
 * Serve-protocol commands: each request (the command code, then its arguments) and its reply,
 * declared in the codec DSL, per protocol version (Nix 2.8's `opServe`).
 *
 * ```text
 * request = u64 command, arguments(command, v)
 *
 * QueryValidPaths (1)  lock: bool, substitute: bool, paths: list<path>   → list<path>
 * QueryPathInfos (2)   paths: list<path>                                → path-infos-reply(v)
 * DumpStorePath (3)    path                                             → a NAR, raw
 * ImportPaths (4)      then an export stream (see src/export)           → u64 1
 * ExportPaths (5)      u64 0 (obsolete), paths: list<path>              → an export stream
 * QueryClosure (7)     includeOutputs: bool, paths: list<path>          → list<path>
 * AddToStoreNar (9)    path-info (the worker protocol's 1.16 form), then the NAR, raw,
 *                      of narSize bytes                                 → u64 1
 * BuildPaths (6), BuildDerivation (8): not declared here (build options and build results
 *                      are, in types.ts)
 * ```
 *
 * A failing command has no reply: the server writes its error to its standard error and exits.
 *
 * @module
 */
import type { Codec } from "../../codecs/codec.js";
import { constant, constU64 } from "../../codecs/primitives.js";
import { record } from "../../codecs/record.js";
import { map } from "../../codecs/refine.js";
import { operation, type OpSpec } from "../../daemon/wire/ops.js";
import { wireBool, wireStorePath, wireStorePaths } from "../../daemon/wire/primitives.js";
import { type PathInfo, pathInfo } from "../../daemon/wire/types.js";
import { type ProtocolVersion, protocolVersion } from "../../daemon/wire/version.js";
import { type ServePathInfo, servePathInfosReply } from "./types.js";

/** Command codes (Nix's `ServeCommand`). */
export const SERVE_COMMAND = {
  QueryValidPaths: 1,
  QueryPathInfos: 2,
  DumpStorePath: 3,
  ImportPaths: 4,
  ExportPaths: 5,
  BuildPaths: 6,
  QueryClosure: 7,
  BuildDerivation: 8,
  AddToStoreNar: 9,
} as const;

/** A serve command name. */
export type ServeCommandName = keyof typeof SERVE_COMMAND;

/** One serve command: its code, its arguments' codec and its reply's, per version. */
export type ServeCommandSpec<Req, Res> = OpSpec<Req, Res, ServeCommandName>;

/** A command whose arguments and reply are `args` and `reply` (codecs, or per version). */
function command<Req, Res>(
  name: ServeCommandName,
  args: Codec<Req> | ((v: ProtocolVersion) => Codec<Req>),
  reply: Codec<Res> | ((v: ProtocolVersion) => Codec<Res>),
): ServeCommandSpec<Req, Res> {
  const perVersion = <T>(c: Codec<T> | ((v: ProtocolVersion) => Codec<T>)) =>
    typeof c === "function" ? c : () => c;
  return operation(
    name,
    SERVE_COMMAND[name],
    `serve.command.${name}`,
    perVersion(args),
    perVersion(reply),
  );
}

/** Arguments of `QueryValidPaths`. */
export interface QueryValidPathsArgs {
  /** Add temporary GC roots for the paths (only with `--write`). */
  lock: boolean;
  /** Substitute missing paths first (only with `--write`). */
  substitute: boolean;
  paths: string[];
}

/** Arguments of `QueryClosure`. */
export interface QueryClosureArgs {
  /** Include the outputs of derivations in the closure. */
  includeOutputs: boolean;
  paths: string[];
}

const none = constant(undefined, "serve.none");
/** The server's `u64 1` after an import. */
const success: Codec<undefined> = constU64(1, "serve.success");

/** The path info of `AddToStoreNar`: the worker protocol's 1.16 form. */
const addToStoreNarInfo: Codec<PathInfo> = pathInfo(protocolVersion(1, 16));

/** Every serve command this library declares, with its grammar. */
export const SERVE_COMMANDS = {
  QueryValidPaths: command<QueryValidPathsArgs, string[]>(
    "QueryValidPaths",
    record("serve.command.QueryValidPaths", {
      lock: wireBool,
      substitute: wireBool,
      paths: wireStorePaths,
    }),
    wireStorePaths,
  ),
  QueryPathInfos: command<string[], ServePathInfo[]>(
    "QueryPathInfos",
    wireStorePaths,
    servePathInfosReply,
  ),
  /** The reply is the NAR itself, raw: read it with the NAR grammar. */
  DumpStorePath: command<string, undefined>("DumpStorePath", wireStorePath, none),
  /** The export stream follows the request; then the reply. */
  ImportPaths: command<undefined, undefined>("ImportPaths", none, success),
  /** The reply is an export stream. */
  ExportPaths: command<string[], undefined>(
    "ExportPaths",
    map(
      record("serve.command.ExportPaths", {
        obsolete: constU64(0, "serve.command.ExportPaths"),
        paths: wireStorePaths,
      }),
      (w) => w.paths,
      (paths) => ({ paths }) as never,
    ),
    none,
  ),
  QueryClosure: command<QueryClosureArgs, string[]>(
    "QueryClosure",
    record("serve.command.QueryClosure", { includeOutputs: wireBool, paths: wireStorePaths }),
    wireStorePaths,
  ),
  /** The NAR (exactly `narSize` bytes, raw) follows the request; then the reply. */
  AddToStoreNar: command<PathInfo, undefined>("AddToStoreNar", addToStoreNarInfo, success),
} as const;
