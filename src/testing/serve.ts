/**
 * fast-check arbitraries for serve-protocol values: versions, path infos, build options and
 * build results, each as it travels at a given version.
 *
 * @module
 */
import fc from "fast-check";
import type { BuildResult } from "../daemon/wire/types.js";
import { type ProtocolVersion, protocolVersion } from "../daemon/wire/version.js";
import type { ServeBuildOptions, ServePathInfo } from "../serve/wire/types.js";
import { hasServeMinor, MAX_SERVE_VERSION, serveVersion } from "../serve/wire/version.js";
import { arbContentAddress, arbHash } from "./core.js";
import { arbBuildResult, arbStorePathString, arbWireText } from "./wire.js";

/** A serve-protocol version whose grammar is declared (2.0 to 2.8). */
export const arbServeVersion: fc.Arbitrary<ProtocolVersion> = fc
  .integer({ min: 0, max: 8 })
  .map(serveVersion);

const arbU53 = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
const arbSmall = fc.integer({ min: 0, max: 1_000_000 });

/** A path info as it travels at serve protocol `v` (absent fields keep their defaults). */
export function arbServePathInfo(
  v: ProtocolVersion = MAX_SERVE_VERSION,
): fc.Arbitrary<ServePathInfo> {
  const has4 = hasServeMinor(v, 4);
  return fc.record({
    path: arbStorePathString,
    deriver: fc.option(arbStorePathString, { nil: undefined }),
    references: fc.array(arbStorePathString, { maxLength: 4 }),
    downloadSize: arbU53,
    narSize: arbU53,
    narHash: has4
      ? fc.option(fc.oneof(arbHash("sha256"), arbHash()), { nil: undefined })
      : fc.constant(undefined),
    ca: has4 ? fc.option(arbContentAddress, { nil: undefined }) : fc.constant(undefined),
    sigs: has4
      ? fc.array(fc.stringMatching(/^[a-z0-9.-]{1,10}:[A-Za-z0-9+/]{4,12}={0,2}$/), {
          maxLength: 3,
        })
      : fc.constant([]),
  });
}

/** Build options as they travel at serve protocol `v`. */
export function arbServeBuildOptions(
  v: ProtocolVersion = MAX_SERVE_VERSION,
): fc.Arbitrary<ServeBuildOptions> {
  return fc.record({
    maxSilentTime: arbSmall,
    buildTimeout: arbSmall,
    maxLogSize: hasServeMinor(v, 2) ? arbU53 : fc.constant(0),
    nrRepeats: hasServeMinor(v, 3) ? arbSmall : fc.constant(0),
    enforceDeterminism: hasServeMinor(v, 3) ? fc.boolean() : fc.constant(false),
    keepFailed: hasServeMinor(v, 7) ? fc.boolean() : fc.constant(false),
  });
}

/** A build result as it travels at serve protocol `v` (built outputs: 2.8's structured form). */
export function arbServeBuildResult(
  v: ProtocolVersion = MAX_SERVE_VERSION,
): fc.Arbitrary<BuildResult> {
  // The serve protocol's times are the worker protocol's from 1.29; it has no CPU times.
  const times = arbBuildResult(protocolVersion(1, hasServeMinor(v, 3) ? 29 : 28));
  const outputs = hasServeMinor(v, 8)
    ? fc.dictionary(
        fc.stringMatching(/^[a-z][a-z0-9_-]{0,8}$/),
        fc.record({
          outPath: arbStorePathString,
          signatures: fc.array(arbWireText, { maxLength: 2 }),
        }),
        { maxKeys: 3 },
      )
    : fc.constant({});
  return fc.tuple(times, outputs).map(([r, builtOutputs]) => ({ ...r, builtOutputs }));
}
