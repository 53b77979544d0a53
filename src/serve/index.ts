/**
 * The serve protocol (`nix-store --serve`, what Nix's `ssh://` stores speak): its wire format
 * declared in the codec DSL, and a client session over any transport. Portable; the subprocess
 * adapter (running `nix-store --serve --write` or `ssh HOST nix-store --serve`) is
 * `nix-compat/serve/node`.
 *
 * ```ts
 * import { openServeProcess } from "nix-compat/serve/node";
 * const serve = await openServeProcess({ command: "nix-store --serve --write" });
 * const valid = await serve.queryValidPaths(["/nix/store/...-hello"]);
 * const infos = await serve.queryPathInfos(valid);
 * serve.close();
 * ```
 *
 * @module
 */
export { ServeConnectionError, ServeProtocolError, ServeRemoteError } from "./errors.js";
export { type ByteChunks, ServeSession, type ServeSessionOptions } from "./session.js";
export {
  formatServeVersion,
  hasServeMinor,
  MAX_SERVE_VERSION,
  MIN_SERVE_VERSION,
  NIX_2_8_SERVE_VERSION,
  type QueryClosureArgs,
  type QueryValidPathsArgs,
  SERVE_COMMAND,
  SERVE_COMMANDS,
  SERVE_MAGIC_1,
  SERVE_MAGIC_2,
  SERVE_PROTOCOL_MAJOR,
  serveBuildOptions,
  type ServeBuildOptions,
  serveBuildResult,
  serveClientHello,
  type ServeCommandName,
  type ServeCommandSpec,
  type ServeHello,
  serveOptionalHash,
  type ServePathInfo,
  servePathInfosReply,
  serveServerHello,
  serveSince,
  serveUnkeyedPathInfo,
  type ServeUnkeyedPathInfo,
  serveVersion,
} from "./wire/index.js";
