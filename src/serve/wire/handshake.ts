/**
 * The serve-protocol handshake (Nix's `opServe`).
 *
 * ```text
 * client → server   u64 0x390c9deb (SERVE_MAGIC_1), version: u64
 * server → client   u64 0x5452eecb (SERVE_MAGIC_2), version: u64
 * ```
 *
 * The client may send its version before reading the server's (Nix's own client does). Both
 * then speak the smaller version; there is no stderr channel: the server reports a failure on
 * its standard error and exits.
 *
 * @module
 */
import type { Codec } from "../../codecs/codec.js";
import { constU64 } from "../../codecs/primitives.js";
import { record } from "../../codecs/record.js";
import { wireU64 } from "../../daemon/wire/primitives.js";
import type { ProtocolVersion } from "../../daemon/wire/version.js";

/** The client's magic number. */
export const SERVE_MAGIC_1 = 0x390c9deb;
/** The server's magic number. */
export const SERVE_MAGIC_2 = 0x5452eecb;

/** A side's greeting: its magic number and its version. */
export interface ServeHello {
  version: ProtocolVersion;
}

/** What the client sends first: its magic and its version. */
export const serveClientHello: Codec<ServeHello> = record("serve.handshake", {
  magic: constU64(SERVE_MAGIC_1, "serve.handshake.magic"),
  version: wireU64,
});

/** The server's answer: its magic and its version. */
export const serveServerHello: Codec<ServeHello> = record("serve.handshake", {
  magic: constU64(SERVE_MAGIC_2, "serve.handshake.magic"),
  version: wireU64,
});
