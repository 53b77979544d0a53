/**
 * fast-check arbitraries for worker-protocol values: store path strings, path infos, derived
 * paths, build results, client settings, stderr messages, protocol versions, export entries.
 *
 * @module
 */
import fc from "fast-check";
import type { ClientSettings } from "../daemon/wire/ops.js";
import type { LoggerField, StderrMessage } from "../daemon/wire/stderr.js";
import {
  BUILD_STATUSES,
  type BuildResult,
  type DerivedPath,
  type PathInfo,
} from "../daemon/wire/types.js";
import {
  hasMinor,
  MAX_PROTOCOL_VERSION,
  MIN_PROTOCOL_VERSION,
  type ProtocolVersion,
} from "../daemon/wire/version.js";
import type { ExportEntry } from "../export/index.js";
import { arbContentAddress, arbHash, arbStorePath } from "./core.js";
import { arbNarTree } from "./nar.js";

/** A protocol version this library speaks (1.21 to 1.37). */
export const arbProtocolVersion: fc.Arbitrary<ProtocolVersion> = fc.integer({
  min: MIN_PROTOCOL_VERSION,
  max: MAX_PROTOCOL_VERSION,
});

/** An absolute store path string under `/nix/store`. */
export const arbStorePathString: fc.Arbitrary<string> = arbStorePath(20).map(
  (p) => `/nix/store/${p.hash}-${p.name}`,
);

/** Text without NUL (logs, messages). */
export const arbWireText: fc.Arbitrary<string> = fc.string({ maxLength: 40, unit: "grapheme" });

const arbU53 = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
const arbSmall = fc.integer({ min: 0, max: 1_000_000 });

/** A path info as it travels at protocol `v` (fields older versions lack keep their defaults). */
export function arbPathInfo(v: ProtocolVersion = MAX_PROTOCOL_VERSION): fc.Arbitrary<PathInfo> {
  const modern = hasMinor(v, 16);
  return fc.record({
    path: arbStorePathString,
    deriver: fc.option(arbStorePathString, { nil: undefined }),
    narHash: arbHash("sha256"),
    references: fc.array(arbStorePathString, { maxLength: 4 }),
    registrationTime: arbU53,
    narSize: arbU53,
    ultimate: modern ? fc.boolean() : fc.constant(false),
    sigs: modern
      ? fc.array(fc.stringMatching(/^[a-z0-9.-]{1,10}:[A-Za-z0-9+/]{4,12}={0,2}$/), {
          maxLength: 3,
        })
      : fc.constant([]),
    ca: modern ? fc.option(arbContentAddress, { nil: undefined }) : fc.constant(undefined),
  });
}

const arbOutputName = fc.stringMatching(/^[a-z][a-z0-9_-]{0,8}$/);

/** A derived path (at protocol ≥ 1.30 every form is expressible). */
export const arbDerivedPath: fc.Arbitrary<DerivedPath> = fc.oneof(
  arbStorePathString.map((path): DerivedPath => ({ type: "opaque", path })),
  fc
    .record({
      drvPath: arbStorePath(10).map((p) => `/nix/store/${p.hash}-${p.name}.drv`),
      outputs: fc.oneof(
        fc.constant(["*"]),
        fc.uniqueArray(arbOutputName, { minLength: 1, maxLength: 3 }),
      ),
    })
    .map((r): DerivedPath => ({ type: "built", ...r })),
);

/** A build result as it travels at protocol `v`. */
export function arbBuildResult(
  v: ProtocolVersion = MAX_PROTOCOL_VERSION,
): fc.Arbitrary<BuildResult> {
  const has29 = hasMinor(v, 29);
  const has37 = hasMinor(v, 37);
  return fc.record({
    status: fc.constantFrom(...BUILD_STATUSES),
    errorMsg: arbWireText,
    timesBuilt: has29 ? arbSmall : fc.constant(0),
    isNonDeterministic: has29 ? fc.boolean() : fc.constant(false),
    startTime: has29 ? arbSmall : fc.constant(0),
    stopTime: has29 ? arbSmall : fc.constant(0),
    cpuUser: has37 ? fc.option(arbSmall, { nil: undefined }) : fc.constant(undefined),
    cpuSystem: has37 ? fc.option(arbSmall, { nil: undefined }) : fc.constant(undefined),
    builtOutputs: fc.constant({}),
  });
}

/** Client settings (`SetOptions`). */
export const arbClientSettings: fc.Arbitrary<ClientSettings> = fc.record({
  keepFailed: fc.boolean(),
  keepGoing: fc.boolean(),
  tryFallback: fc.boolean(),
  verbosity: fc.integer({ min: 0, max: 7 }),
  maxBuildJobs: arbSmall,
  maxSilentTime: arbSmall,
  verboseBuild: fc.boolean(),
  buildCores: arbSmall,
  useSubstitutes: fc.boolean(),
  overrides: fc.dictionary(fc.stringMatching(/^[a-z][a-z-]{0,10}$/), arbWireText, { maxKeys: 3 }),
});

const arbU64Big = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const arbField: fc.Arbitrary<LoggerField> = fc.oneof(arbU64Big, arbWireText);

/** A stderr message as it travels at protocol `v`. */
export function arbStderrMessage(
  v: ProtocolVersion = MAX_PROTOCOL_VERSION,
): fc.Arbitrary<StderrMessage> {
  const structured = hasMinor(v, 26);
  return fc.oneof(
    arbWireText.map((text): StderrMessage => ({ type: "next", text })),
    arbU53.map((size): StderrMessage => ({ type: "read", size })),
    fc.uint8Array({ maxLength: 40 }).map((data): StderrMessage => ({ type: "write", data })),
    fc.constant<StderrMessage>({ type: "last" }),
    fc
      .record({
        level: fc.integer({ min: 0, max: 7 }),
        message: arbWireText,
        traces: fc.array(arbWireText, { maxLength: 3 }),
        status: fc.integer({ min: 0, max: 255 }),
      })
      .map((e): StderrMessage => ({
        type: "error",
        error: structured
          ? {
              level: e.level,
              name: "Error",
              message: e.message,
              traces: e.traces,
              status: undefined,
            }
          : {
              level: undefined,
              name: undefined,
              message: e.message,
              traces: [],
              status: e.status,
            },
      })),
    fc
      .record({
        id: arbU64Big,
        level: fc.integer({ min: 0, max: 7 }),
        activityType: fc.integer({ min: 0, max: 200 }),
        text: arbWireText,
        fields: fc.array(arbField, { maxLength: 4 }),
        parent: arbU64Big,
      })
      .map((r): StderrMessage => ({ type: "start-activity", ...r })),
    arbU64Big.map((id): StderrMessage => ({ type: "stop-activity", id })),
    fc
      .record({
        id: arbU64Big,
        resultType: fc.integer({ min: 0, max: 200 }),
        fields: fc.array(arbField, { maxLength: 4 }),
      })
      .map((r): StderrMessage => ({ type: "result", ...r })),
  );
}

/** An entry of a `nix-store --export` stream (small NAR trees). */
export const arbExportEntry: fc.Arbitrary<ExportEntry> = fc.record({
  nar: arbNarTree({}),
  path: arbStorePathString,
  references: fc.array(arbStorePathString, { maxLength: 3 }),
  deriver: fc.option(arbStorePathString, { nil: undefined }),
});
