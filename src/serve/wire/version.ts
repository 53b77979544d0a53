/**
 * Serve-protocol versions and version-dependent grammar.
 *
 * ```text
 * version = u64  (2 << 8) | minor        e.g. 2.7 = 0x0207 (Nix 2.8 speaks 2.7)
 * ```
 *
 * The serve protocol (`nix-store --serve`, what `ssh://` stores speak) numbers its versions as
 * the worker protocol does, with major 2. Both sides announce a version; fields then depend on
 * the smaller one. {@link serveSince} says from which minor version on a field exists.
 *
 * @module
 */
import type { Codec } from "../../codecs/codec.js";
import {
  formatProtocolVersion,
  type ProtocolVersion,
  protocolMajor,
  protocolVersion,
  sinceVersion,
} from "../../daemon/wire/version.js";

/** The major version of every serve-protocol version. */
export const SERVE_PROTOCOL_MAJOR = 2;

/** The version Nix 2.8's `nix-store --serve` speaks (2.7). */
export const NIX_2_8_SERVE_VERSION: ProtocolVersion = protocolVersion(2, 7);
/** The oldest version this library's client speaks (2.4: path infos carry their NAR hash). */
export const MIN_SERVE_VERSION: ProtocolVersion = protocolVersion(2, 4);
/**
 * The newest version this library's client announces (2.7). Version 2.8 (newer Nix: derivation
 * outputs and realisations as structures) is declared for data, not spoken on a connection.
 */
export const MAX_SERVE_VERSION: ProtocolVersion = protocolVersion(2, 7);

/** Builds the serve-protocol version `2.minor`. */
export function serveVersion(minor: number): ProtocolVersion {
  return protocolVersion(SERVE_PROTOCOL_MAJOR, minor);
}

/** True if `v` is a serve-protocol version (major 2) of at least `2.minor`. */
export function hasServeMinor(v: ProtocolVersion, minor: number): boolean {
  return protocolMajor(v) === SERVE_PROTOCOL_MAJOR && v >= serveVersion(minor);
}

/** A field present only from serve protocol `2.minor` on (else absent, decoded as `absent`). */
export function serveSince<T>(
  v: ProtocolVersion,
  minor: number,
  codec: Codec<T>,
  absent: T,
): Codec<T> {
  return sinceVersion(v, serveVersion(minor), codec, absent);
}

/** Prints a serve version (`2.7`). */
export const formatServeVersion: (v: ProtocolVersion) => string = formatProtocolVersion;
