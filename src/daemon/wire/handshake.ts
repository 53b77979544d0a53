/**
 * The worker-protocol handshake.
 *
 * ```text
 * client → daemon   u64 0x6e697863 ("nixc")
 * daemon → client   u64 0x6478696f ("dxio"), version: u64
 * client → daemon   version: u64, then at the smaller version v of the two:
 *                   [v ≥ 1.14] cpu-affinity: opt<u64>   (obsolete, Nix sends 0)
 *                   [v ≥ 1.11] reserve-space: bool      (obsolete)
 * daemon → client   [v ≥ 1.33] nix-version: string, [v ≥ 1.35] trusted: trusted-flag
 * daemon → client   stderr messages until "last"
 * ```
 *
 * @module
 */
import type { Codec } from "../../codecs/codec.js";
import { constU64 } from "../../codecs/primitives.js";
import { record } from "../../codecs/record.js";
import { optional } from "../../codecs/repetition.js";
import { wireBool, wireU64 } from "./primitives.js";
import { type ProtocolVersion, since, versioned } from "./version.js";

/** The client's magic number (`"nixc"`). */
export const WORKER_MAGIC_1 = 0x6e697863;
/** The daemon's magic number (`"dxio"`). */
export const WORKER_MAGIC_2 = 0x6478696f;

/** What the client sends first. */
export const clientHello: Codec<undefined> = constU64(WORKER_MAGIC_1, "wire.handshake.magic");

/** The daemon's answer: its magic and its version. */
export const serverHello: Codec<{ version: ProtocolVersion }> = record("wire.handshake", {
  magic: constU64(WORKER_MAGIC_2, "wire.handshake.magic"),
  version: wireU64,
});

/** The client's version. */
export const clientVersion: Codec<ProtocolVersion> = wireU64;

/** The client's obsolete options after its version, at the agreed version `v`. */
export interface ClientOptions {
  cpuAffinity: number | undefined;
  reserveSpace: boolean;
}

/** The client's obsolete options at the agreed version `v`. */
export const clientOptions: (v: ProtocolVersion) => Codec<ClientOptions> = versioned(
  (v) =>
    record("wire.handshake.options", {
      cpuAffinity: since<number | undefined>(
        v,
        14,
        optional("wire.handshake.cpu-affinity", wireU64),
        undefined,
      ),
      reserveSpace: since(v, 11, wireBool, false),
    }) as Codec<ClientOptions>,
);
