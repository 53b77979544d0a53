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
export * from "./errors.js";
export * from "./session.js";
export * from "./wire/index.js";
