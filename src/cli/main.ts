#!/usr/bin/env node
/**
 * Entry point of the `nix-compat` executable.
 *
 * @module
 */
import nodeModule from "node:module";

// Node 22.1+ caches the compiled code of the modules loaded below (on disk, in Node's own
// cache folder; NODE_DISABLE_COMPILE_CACHE turns it off): a faster start from the second run.
// Older Node has no such function and starts as before.
try {
  (nodeModule as { enableCompileCache?: () => unknown }).enableCompileCache?.();
} catch {
  // a cache that cannot be set up only costs speed
}

// Loaded after the cache is on (a static import would be evaluated before it).
const { dispatch } = await import("./dispatch.js");
process.exitCode = await dispatch(process.argv.slice(2));
