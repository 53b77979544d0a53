/**
 * Node's built-in modules for the code on the CLI's start-up path (Node only), taken through
 * `require` rather than an ESM `import`.
 *
 * An ESM import of a built-in builds its ESM facade, which reads every export once: for
 * `node:fs` that loads `fs.promises` and the fs streams, for `node:crypto` webcrypto, none of
 * which `nar dump-path`, `nar restore` or `hash path` use (measured on Node 24: `import` of
 * `node:fs` ~10 ms, `require` of it ~0, as Node has already loaded it). `node:crypto` and
 * `node:worker_threads` are loaded on first use only: a dump or restore with no worker
 * threads never loads `node:worker_threads`, a dump never loads `node:crypto`.
 *
 * @module
 */
import { createRequire } from "node:module";

const load = createRequire(import.meta.url);

/** `node:fs`. */
export const nodeFs = load("node:fs") as typeof import("node:fs");

/** `node:crypto`, loaded on the first call. */
export function nodeCrypto(): typeof import("node:crypto") {
  return load("node:crypto") as typeof import("node:crypto");
}

/** `node:worker_threads`, loaded on the first call. */
export function nodeWorkerThreads(): typeof import("node:worker_threads") {
  return load("node:worker_threads") as typeof import("node:worker_threads");
}

/** `node:tty`, loaded on the first call. */
export function nodeTty(): typeof import("node:tty") {
  return load("node:tty") as typeof import("node:tty");
}

/**
 * `node:v8`, loaded on the first call (it loads Node's streams for its heap snapshots: ~40
 * internal modules).
 */
export function nodeV8(): typeof import("node:v8") {
  return load("node:v8") as typeof import("node:v8");
}
