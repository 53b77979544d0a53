/**
 * Canonical JSON as Nix prints it with nlohmann::json's `dump()`: no spaces, object keys
 * sorted by the bytes of their UTF-8 encoding (C++ `std::map<std::string, ...>` order). Used
 * for structured attributes (`__json`) and for JSON documents sent over the worker protocol.
 *
 * Keys are written in that order even when JavaScript objects would reorder them (integer-like
 * keys such as `"10"` and `"9"`).
 *
 * @module
 */

/**
 * Compares strings by the bytes of their UTF-8 encoding, which is how Nix (C++ `std::string`)
 * orders env names, output names and paths. Differs from `<` only for characters above U+FFFF.
 */
export function compareUtf8(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x !== y) {
      if (x >= 0xd800 && y >= 0xd800) {
        x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
        y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
      }
      return x - y;
    }
  }
  return a.length - b.length;
}

/** Serialises a JSON value canonically (see the module doc). `undefined` members are dropped. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value))
    return `[${value.map((v) => (v === undefined ? "null" : canonicalJson(v))).join(",")}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort(compareUtf8);
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(",")}}`;
}
