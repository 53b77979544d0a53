/**
 * The Nix wire format's primitive values, declared in the codec DSL.
 *
 * ```text
 * u64          = 8 bytes little-endian
 * bool         = u64 0 | 1
 * string       = u64 len, len bytes, zero padding to a multiple of 8
 * list<T>      = u64 n, n × T                    (vectors and sets alike; sets are sorted)
 * map<K, V>    = u64 n, n × (K, V)
 * store-path   = string  "/nix/store/<hash>-<name>"  (an absolute path)
 * opt-path     = string  "" | store-path
 * ca           = string  "text:sha256:<nix32>" | "fixed:[r:]<algo>:<nix32>"
 * opt-ca       = string  "" | ca
 * nar-hash     = string  sha256 digest in base16, no prefix
 * ```
 *
 * Store paths stay absolute path strings in values (what the daemon sends and expects); the
 * codec checks that the base name is a valid store path base name.
 *
 * @module
 */
import type { Codec } from "../../codecs/codec.js";
import { bool, u64, u64n } from "../../codecs/primitives.js";
import { record } from "../../codecs/record.js";
import { map, refine } from "../../codecs/refine.js";
import { list } from "../../codecs/repetition.js";
import { bytes, utf8 } from "../../codecs/strings.js";
import {
  type ContentAddress,
  formatContentAddress,
  parseContentAddress,
} from "../../core/content-address.js";
import { MalformedInputError } from "../../core/errors.js";
import { formatDigest, type Hash, parseHash } from "../../core/hash.js";
import { parseStorePathBaseName } from "../../core/store-path.js";

/** Maximum length of a string on the wire (log lines, paths, messages): 64 MiB; limit name `wire.string`. */
export const WIRE_MAX_STRING = 64 << 20;
/** Maximum number of items in a list, set or map on the wire; limit name `wire.list`. */
export const WIRE_MAX_ITEMS = 1 << 22;

/** A u64 as a safe-integer number. */
export const wireU64: Codec<number> = u64n("wire.u64");
/** A u64 as a bigint (for values that may exceed 2^53). */
export const wireU64Big: Codec<bigint> = u64("wire.u64");
/** A boolean (u64 0 or 1). */
export const wireBool: Codec<boolean> = bool("wire.bool");
/** A string as UTF-8 text. */
export const wireString: Codec<string> = utf8("wire.string", {
  max: WIRE_MAX_STRING,
  limitName: "wire.string",
});
/** A string as raw bytes. */
export const wireBytes: Codec<Uint8Array> = bytes("wire.bytes", {
  max: WIRE_MAX_STRING,
  limitName: "wire.string",
});

/** A counted list of `item` (Nix's `std::vector` and `std::set` both encode so). */
export function wireList<T>(item: Codec<T>, rule = "wire.list"): Codec<T[]> {
  return list(rule, item, { max: WIRE_MAX_ITEMS, limitName: "wire.list" }) as Codec<T[]>;
}

/** A list of strings. */
export const wireStrings: Codec<string[]> = wireList(wireString, "wire.strings");

/** A map of strings to values, as pairs; decoded into a plain object in wire order. */
export function wireMap<V>(value: Codec<V>, rule = "wire.map"): Codec<Record<string, V>> {
  const pair = record(rule, { key: wireString, value }) as Codec<{ key: string; value: V }>;
  return map(
    wireList(pair, rule),
    (pairs) => Object.fromEntries(pairs.map((p) => [p.key, p.value])) as Record<string, V>,
    (obj) => Object.entries(obj).map(([key, v]) => ({ key, value: v })),
    rule,
  );
}

/** A map of strings to strings. */
export const wireStringMap: Codec<Record<string, string>> = wireMap(wireString, "wire.string-map");

/** Returns a problem if `path` is not an absolute store path. */
export function checkStorePath(path: string): string | undefined {
  const slash = path.lastIndexOf("/");
  if (!path.startsWith("/") || slash <= 0) return `'${path}' is not an absolute store path`;
  try {
    parseStorePathBaseName(path.slice(slash + 1), { nameRules: "nix-2.4" });
    return undefined;
  } catch (err) {
    return err instanceof MalformedInputError ? err.detail : String(err);
  }
}

/** A store path (absolute path string). */
export const wireStorePath: Codec<string> = refine("wire.store-path", wireString, checkStorePath);

/** A store path or nothing (the empty string). */
export const wireOptionalStorePath: Codec<string | undefined> = map(
  refine("wire.optional-store-path", wireString, (s) => (s === "" ? undefined : checkStorePath(s))),
  (s) => (s === "" ? undefined : s),
  (p) => p ?? "",
  "wire.optional-store-path",
);

/** A list (or set) of store paths. */
export const wireStorePaths: Codec<string[]> = wireList(wireStorePath, "wire.store-paths");

function parseCa(text: string): ContentAddress {
  return parseContentAddress(text);
}

function checkCa(text: string): string | undefined {
  if (text === "") return undefined;
  try {
    parseContentAddress(text);
    return undefined;
  } catch (err) {
    return err instanceof MalformedInputError ? err.detail : String(err);
  }
}

/** A content address (`text:sha256:…`, `fixed:r:sha256:…`). */
export const wireContentAddress: Codec<ContentAddress> = map(
  refine("wire.content-address", wireString, (s) =>
    s === "" ? "empty content address" : checkCa(s),
  ),
  parseCa,
  formatContentAddress,
  "wire.content-address",
);

/** A content address or nothing (the empty string). */
export const wireOptionalContentAddress: Codec<ContentAddress | undefined> = map(
  refine("wire.content-address", wireString, checkCa),
  (s) => (s === "" ? undefined : parseCa(s)),
  (ca) => (ca === undefined ? "" : formatContentAddress(ca)),
  "wire.content-address",
);

/** A NAR hash: a sha256 digest in base16 without prefix (any form Nix accepts is read). */
export const wireNarHash: Codec<Hash> = map(
  refine("wire.nar-hash", wireString, (s) => {
    try {
      parseHash(s, { algorithm: "sha256" });
      return undefined;
    } catch (err) {
      return err instanceof MalformedInputError ? err.detail : String(err);
    }
  }),
  (s) => parseHash(s, { algorithm: "sha256" }),
  (h) => formatDigest(h, "base16"),
  "wire.nar-hash",
);
