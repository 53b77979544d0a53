/**
 * Worker protocol versions and version-dependent grammar.
 *
 * ```text
 * version = u64  (major << 8) | minor        e.g. 1.34 = 0x0122
 * ```
 *
 * Both sides announce their version in the handshake and then speak the smaller one. Fields
 * that exist only from some minor version on are declared with {@link since}: the grammar for a
 * given version is built by a function of the version ({@link versioned}, cached), so each
 * declaration says in which versions each field exists.
 *
 * @module
 */
import type { Codec } from "../../codecs/codec.js";
import { constant } from "../../codecs/primitives.js";

/** A protocol version as Nix sends it: `(major << 8) | minor`. */
export type ProtocolVersion = number;

/** Builds a version from its parts. */
export function protocolVersion(major: number, minor: number): ProtocolVersion {
  return ((major & 0xff) << 8) | (minor & 0xff);
}

/** The major part (1 for every worker protocol version so far). */
export function protocolMajor(v: ProtocolVersion): number {
  return (v >> 8) & 0xff;
}

/** The minor part. */
export function protocolMinor(v: ProtocolVersion): number {
  return v & 0xff;
}

/** Prints `1.34`. */
export function formatProtocolVersion(v: ProtocolVersion): string {
  return `${protocolMajor(v)}.${protocolMinor(v)}`;
}

/** Parses `1.34`. */
export function parseProtocolVersion(text: string): ProtocolVersion {
  const m = /^(\d+)\.(\d+)$/.exec(text);
  if (!m) throw new RangeError(`not a protocol version: '${text}' (expected MAJOR.MINOR)`);
  return protocolVersion(Number(m[1]), Number(m[2]));
}

/** Compares two versions (negative, zero, positive). */
export function compareProtocolVersions(a: ProtocolVersion, b: ProtocolVersion): number {
  return a - b;
}

/** True if `v` is at least `1.minor` (same major). */
export function hasMinor(v: ProtocolVersion, minor: number): boolean {
  return protocolMajor(v) === 1 && protocolMinor(v) >= minor;
}

/** The version Nix 2.8 speaks. */
export const NIX_2_8_PROTOCOL_VERSION: ProtocolVersion = protocolVersion(1, 34);
/** The oldest version this library speaks as a client or a server. */
export const MIN_PROTOCOL_VERSION: ProtocolVersion = protocolVersion(1, 21);
/** The newest version this library speaks (announced in handshakes by default). */
export const MAX_PROTOCOL_VERSION: ProtocolVersion = protocolVersion(1, 37);

/**
 * A field present only from protocol `1.minor` on: in older versions it is absent from the
 * bytes and decodes to `absent` (and is not written).
 */
export function since<T>(v: ProtocolVersion, minor: number, codec: Codec<T>, absent: T): Codec<T> {
  return sinceVersion(v, protocolVersion(1, minor), codec, absent);
}

/**
 * A field present from version `first` on, within `first`'s major version (the worker protocol
 * is 1.x, the serve protocol 2.x): otherwise absent from the bytes, decoded as `absent`.
 */
export function sinceVersion<T>(
  v: ProtocolVersion,
  first: ProtocolVersion,
  codec: Codec<T>,
  absent: T,
): Codec<T> {
  return protocolMajor(v) === protocolMajor(first) && v >= first
    ? codec
    : constant(absent, codec.rule);
}

/** A grammar that depends on the protocol version, built once per version. */
export function versioned<T>(
  build: (v: ProtocolVersion) => Codec<T>,
): (v: ProtocolVersion) => Codec<T> {
  const cache = new Map<number, Codec<T>>();
  return (v) => {
    let c = cache.get(v);
    if (c === undefined) {
      c = build(v);
      cache.set(v, c);
    }
    return c;
  };
}
