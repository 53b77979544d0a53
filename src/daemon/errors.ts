/**
 * Errors of the daemon client and server.
 *
 * - {@link DaemonError}: the daemon refused a request; `message`/`detail` is the daemon's own
 *   message, `info` its structured form.
 * - {@link DaemonConnectionError}: the connection could not be opened or was dropped.
 * - {@link DaemonTimeoutError}: the daemon sent nothing for longer than the timeout.
 * - {@link DaemonProtocolError}: the peer broke the protocol (bad magic, unsupported version).
 * Garbled bytes surface as the wire codecs' own `MalformedInputError`/`TruncatedInputError`.
 *
 * @module
 */
import {
  MalformedInputError,
  NixCompatError,
  type NixCompatErrorOptions,
  truncateText,
} from "../core/errors.js";
import type { DaemonErrorInfo } from "./wire/stderr.js";

/**
 * Longest daemon error message a {@link DaemonError} shows (its `message` and `detail`):
 * 16 Ki characters; the whole text stays in `info.message`.
 */
export const DAEMON_MAX_ERROR_MESSAGE = 16 << 10;

/** The daemon answered a request with an error. */
export class DaemonError extends NixCompatError {
  /** The structured error as the daemon sent it. */
  readonly info: DaemonErrorInfo;
  /**
   * From the daemon's error (the usual form), or `(code, detail, options)` as every library
   * error (used by `withContext`; `info` is then copied over).
   */
  constructor(
    info: DaemonErrorInfo | string,
    detail?: string | { cause?: unknown },
    options: NixCompatErrorOptions = {},
  ) {
    if (typeof info === "string") {
      super(info, typeof detail === "string" ? detail : "", options);
      this.info = {
        level: undefined,
        name: undefined,
        message: this.detail,
        traces: [],
        status: undefined,
      };
    } else {
      super(
        "daemon.error",
        truncateText(stripAnsi(info.message), DAEMON_MAX_ERROR_MESSAGE),
        typeof detail === "object" ? detail : {},
      );
      this.info = info;
    }
  }
}

/** Removes the ANSI colour escapes Nix puts in its messages. */
export function stripAnsi(text: string): string {
  return text.replace(/\x1b\[[0-9;]*[A-Za-z]/g, "");
}

/** The connection could not be opened, or was closed while a reply was expected. */
export class DaemonConnectionError extends NixCompatError {}

/** The daemon sent nothing for longer than the configured timeout. */
export class DaemonTimeoutError extends NixCompatError {}

/** The peer does not speak the protocol as expected (magic, version). */
export class DaemonProtocolError extends MalformedInputError {}
