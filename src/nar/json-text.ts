/**
 * JSON text exactly as Nix 2.8 prints it (`nix nar ls --json`): object keys in the order
 * given, no spaces, strings escaped like Nix's `toJSON` (`\"`, `\\`, `\n`, `\r`, `\t`, other
 * control characters as `\u00XX`, everything else as is).
 *
 * @module
 */

/** Escapes a string the way Nix 2.8 does. */
export function nixJsonString(s: string): string {
  let out = '"';
  let last = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let rep: string | undefined;
    if (c === 0x22) rep = '\\"';
    else if (c === 0x5c) rep = "\\\\";
    else if (c === 0x0a) rep = "\\n";
    else if (c === 0x0d) rep = "\\r";
    else if (c === 0x09) rep = "\\t";
    else if (c < 0x20) rep = `\\u${c.toString(16).padStart(4, "0")}`;
    if (rep !== undefined) {
      out += s.slice(last, i) + rep;
      last = i + 1;
    }
  }
  return `${out}${s.slice(last)}"`;
}
