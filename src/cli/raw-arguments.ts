/**
 * Command-line arguments as the bytes the user typed: paths whose names are not UTF-8.
 *
 * @module
 */
import { nodeFs } from "../node/builtins.js";

let cmdline: Buffer[] | undefined;

/**
 * The raw bytes of command-line argument `arg`. Node decodes arguments as UTF-8, turning bytes
 * that are not UTF-8 into U+FFFD; such an argument is taken again from `/proc/self/cmdline`
 * (Linux), so that paths whose names are not UTF-8 can be named.
 */
export function rawArgumentBytes(arg: string): Buffer {
  const bytes = Buffer.from(arg, "utf8");
  if (!arg.includes("\uFFFD")) return bytes;
  try {
    if (cmdline === undefined) {
      const all = nodeFs.readFileSync("/proc/self/cmdline");
      cmdline = [];
      for (let at = 0; at < all.length;) {
        const end = all.indexOf(0, at);
        cmdline.push(all.subarray(at, end < 0 ? all.length : end));
        at = end < 0 ? all.length : end + 1;
      }
    }
  } catch {
    return bytes;
  }
  const argv = process.argv;
  for (let i = argv.length - 1; i >= 0; i--) {
    if (argv[i] !== arg) continue;
    const raw = cmdline[cmdline.length - (argv.length - i)];
    if (raw !== undefined && raw.toString("utf8") === arg) return raw;
  }
  return bytes;
}
