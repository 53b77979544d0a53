/**
 * The serve protocol's wire format (`nix-store --serve`): handshake, values and commands,
 * declared in the codec DSL. Portable (no `node:` imports).
 *
 * @module
 */
export {
  type QueryClosureArgs,
  type QueryValidPathsArgs,
  SERVE_COMMAND,
  SERVE_COMMANDS,
  type ServeCommandName,
  type ServeCommandSpec,
} from "./commands.js";
export {
  SERVE_MAGIC_1,
  SERVE_MAGIC_2,
  serveClientHello,
  type ServeHello,
  serveServerHello,
} from "./handshake.js";
export {
  serveBuildOptions,
  type ServeBuildOptions,
  serveBuildResult,
  serveOptionalHash,
  type ServePathInfo,
  servePathInfosReply,
  serveUnkeyedPathInfo,
  type ServeUnkeyedPathInfo,
} from "./types.js";
export {
  formatServeVersion,
  hasServeMinor,
  MAX_SERVE_VERSION,
  MIN_SERVE_VERSION,
  NIX_2_8_SERVE_VERSION,
  SERVE_PROTOCOL_MAJOR,
  serveSince,
  serveVersion,
} from "./version.js";
