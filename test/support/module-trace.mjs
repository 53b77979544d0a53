// A module-resolution hook for tests: registered with `node --import`, it prints every module
// URL the process resolves to stderr, one per line, prefixed with "module-trace ".
import { register } from "node:module";

const hook = `export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  process.stderr.write("module-trace " + r.url + "\\n");
  return r;
}`;
register(`data:text/javascript,${encodeURIComponent(hook)}`);
