/**
 * The daemon's stderr channel: the messages it sends while it works on a request, until
 * `last` (the reply follows) or `error` (the request failed).
 *
 * ```text
 * stderr-msg(v) = u64 0x6f6c6d67 (next)   text: string                  a log line
 *               | u64 0x64617461 (read)   size: u64                     the daemon wants ≤ size bytes
 *               | u64 0x64617416 (write)  data: string                  data for the client's sink
 *               | u64 0x616c7473 (last)                                 the reply follows
 *               | u64 0x63787470 (error)  error(v)
 *               | u64 0x53545254 (start-activity)  [v ≥ 1.20] id: u64, level: u64, type: u64,
 *                                          text: string, fields, parent: u64
 *               | u64 0x53544f50 (stop-activity)   [v ≥ 1.20] id: u64
 *               | u64 0x52534c54 (result)          [v ≥ 1.20] id: u64, type: u64, fields
 * error(v)      = [v ≥ 1.26] string "Error", level: u64, name: string, message: string,
 *                            u64 0 (no position), traces: list<(u64 0, text: string)>
 *               | [v < 1.26] message: string, status: u64
 * fields        = list<field> ;  field = u64 0, int: u64 | u64 1, text: string
 * ```
 *
 * @module
 */

import { u64Choice, u64Union } from "../../codecs/choice.js";
import type { Codec } from "../../codecs/codec.js";
import { constant, constU64 } from "../../codecs/primitives.js";
import { record } from "../../codecs/record.js";
import { map } from "../../codecs/refine.js";
import { token } from "../../codecs/strings.js";
import { wireBytes, wireList, wireString, wireU64, wireU64Big } from "./primitives.js";
import { hasMinor, type ProtocolVersion, versioned } from "./version.js";

/** The u64 codes that start each stderr message. */
export const STDERR = {
  NEXT: 0x6f6c6d67,
  READ: 0x64617461,
  WRITE: 0x64617416,
  LAST: 0x616c7473,
  ERROR: 0x63787470,
  START_ACTIVITY: 0x53545254,
  STOP_ACTIVITY: 0x53544f50,
  RESULT: 0x52534c54,
} as const;

/** A field of an activity or result: an integer or a string. */
export type LoggerField = bigint | string;

/** An error reported by the daemon. */
export interface DaemonErrorInfo {
  /** Nix's verbosity level of the error (0 = error). Absent before protocol 1.26. */
  level: number | undefined;
  /** The error's class name (always `Error` so far). Absent before protocol 1.26. */
  name: string | undefined;
  /** The message, as Nix prints it (may contain ANSI escapes). */
  message: string;
  /** The error's traces (protocol ≥ 1.26). */
  traces: string[];
  /** The exit status Nix suggests (before protocol 1.26). */
  status: number | undefined;
}

/** One message on the stderr channel. */
export type StderrMessage =
  | { type: "next"; text: string }
  | { type: "read"; size: number }
  | { type: "write"; data: Uint8Array }
  | { type: "last" }
  | { type: "error"; error: DaemonErrorInfo }
  | {
      type: "start-activity";
      id: bigint;
      level: number;
      activityType: number;
      text: string;
      fields: LoggerField[];
      parent: bigint;
    }
  | { type: "stop-activity"; id: bigint }
  | { type: "result"; id: bigint; resultType: number; fields: LoggerField[] };

/** The stderr message of type `K`. */
type StderrOf<K extends StderrMessage["type"]> = Extract<StderrMessage, { type: K }>;

/** A logger field: u64 0 then an integer, or u64 1 then a string. */
export const loggerField: Codec<LoggerField> = map(
  u64Choice("wire.field", { 0: wireU64Big, 1: wireString }),
  (c) => c.value,
  (f) => (typeof f === "bigint" ? { tag: 0 as const, value: f } : { tag: 1 as const, value: f }),
  "wire.field",
);

/** A list of logger fields. */
export const loggerFields: Codec<LoggerField[]> = wireList(loggerField, "wire.fields");

const trace = map(
  record("wire.error.trace", { noPos: constU64(0, "wire.error.trace"), text: wireString }),
  (w) => w.text,
  (text) => ({ text }),
  "wire.error.trace",
);

/** An error at protocol `v`. */
export const daemonError: (v: ProtocolVersion) => Codec<DaemonErrorInfo> = versioned((v) =>
  hasMinor(v, 26)
    ? map(
        record("wire.error", {
          kind: token("Error", "wire.error"),
          level: wireU64,
          name: wireString,
          message: wireString,
          noPos: constU64(0, "wire.error"),
          traces: wireList(trace, "wire.error.traces"),
        }),
        (w): DaemonErrorInfo => ({
          level: w.level,
          name: w.name,
          message: w.message,
          traces: w.traces,
          status: undefined,
        }),
        (e) => ({
          level: e.level ?? 0,
          name: e.name ?? "Error",
          message: e.message,
          traces: e.traces,
        }),
        "wire.error",
      )
    : map(
        record("wire.error", { message: wireString, status: wireU64 }),
        (w): DaemonErrorInfo => ({
          level: undefined,
          name: undefined,
          message: w.message,
          traces: [],
          status: w.status,
        }),
        (e) => ({ message: e.message, status: e.status ?? 1 }),
        "wire.error",
      ),
);

/** A stderr message at protocol `v`. */
export const stderrMessage: (v: ProtocolVersion) => Codec<StderrMessage> = versioned((v) => {
  const activities = hasMinor(v, 20);
  const branches = {
    [STDERR.NEXT]: map(
      record("wire.stderr.next", { text: wireString }),
      (w): StderrOf<"next"> => ({ type: "next", text: w.text }),
      (m) => m,
    ),
    [STDERR.READ]: map(
      record("wire.stderr.read", { size: wireU64 }),
      (w): StderrOf<"read"> => ({ type: "read", size: w.size }),
      (m) => m,
    ),
    [STDERR.WRITE]: map(
      record("wire.stderr.write", { data: wireBytes }),
      (w): StderrOf<"write"> => ({ type: "write", data: w.data }),
      (m) => m,
    ),
    [STDERR.LAST]: constant<StderrMessage>({ type: "last" }, "wire.stderr.last"),
    [STDERR.ERROR]: map(
      daemonError(v),
      (error): StderrMessage => ({ type: "error", error }),
      (m) => (m as { error: DaemonErrorInfo }).error,
    ),
    ...(activities
      ? {
          [STDERR.START_ACTIVITY]: map(
            record("wire.stderr.start-activity", {
              id: wireU64Big,
              level: wireU64,
              activityType: wireU64,
              text: wireString,
              fields: loggerFields,
              parent: wireU64Big,
            }),
            (w): StderrOf<"start-activity"> => ({ type: "start-activity", ...w }),
            (m) => m,
          ),
          [STDERR.STOP_ACTIVITY]: map(
            record("wire.stderr.stop-activity", { id: wireU64Big }),
            (w): StderrOf<"stop-activity"> => ({ type: "stop-activity", id: w.id }),
            (m) => m,
          ),
          [STDERR.RESULT]: map(
            record("wire.stderr.result", {
              id: wireU64Big,
              resultType: wireU64,
              fields: loggerFields,
            }),
            (w): StderrOf<"result"> => ({ type: "result", ...w }),
            (m) => m,
          ),
        }
      : {}),
  };
  const codes: Record<StderrMessage["type"], number> = {
    next: STDERR.NEXT,
    read: STDERR.READ,
    write: STDERR.WRITE,
    last: STDERR.LAST,
    error: STDERR.ERROR,
    "start-activity": STDERR.START_ACTIVITY,
    "stop-activity": STDERR.STOP_ACTIVITY,
    result: STDERR.RESULT,
  };
  return u64Union<StderrMessage>("wire.stderr", branches, (m) => codes[m.type]);
});
