/**
 * The worker protocol: wire format, client sessions and pool, server dispatcher, in-memory
 * store. Portable; the unix-socket adapter is `nix-compat/daemon/node` (`node.ts`).
 *
 * ```ts
 * import { openDaemonClient } from "nix-compat/daemon/node";
 * const client = openDaemonClient({ store: "daemon" });
 * const info = await client.queryPathInfo("/nix/store/...-hello");
 * for await (const chunk of client.narFromPath(info.path)) process.stdout.write(chunk);
 * client.close();
 * ```
 *
 * @module
 */
export * from "./client.js";
export * from "./errors.js";
export * from "./memory-store.js";
export * from "./memory-transport.js";
export * from "./server.js";
export * from "./server-limits.js";
export * from "./session.js";
export * from "./wire/index.js";
