// A module-resolution hook for tests: registered with `node --import`, it prints every module
// URL the process resolves to stderr, one per line, prefixed with "module-trace ".
import { register } from "node:module";

// The hooks run on their own thread (Node 20+): writing to fd 2 synchronously keeps the lines
// from being lost when the process exits first (as happened on Node 24 with process.stderr).
const hook = `import { writeSync } from "node:fs";
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  writeSync(2, "module-trace " + r.url + "\\n");
  return r;
}`;
register(`data:text/javascript,${encodeURIComponent(hook)}`);
