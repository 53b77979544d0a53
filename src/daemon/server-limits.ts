/**
 * What a worker-protocol client can make the server spend: named limits per request and per
 * server, the budget all connections of one server share, and the meter that applies them to
 * the bytes a connection sends.
 *
 * A request's arguments (everything but the NARs, which are streamed and checked against their
 * announced size) are counted as their bytes arrive, before they are decoded whole: a request
 * larger than {@link SERVER_MAX_REQUEST_BYTES}, or one that would take the server's shared
 * {@link ServerBudget} past {@link SERVER_MAX_PENDING_BYTES}, fails with a
 * `LimitExceededError` and the connection is closed. A request's bytes stay counted until its
 * reply is sent. Long requests give the event loop back every {@link SERVER_YIELD_BYTES}, so
 * one connection cannot stall the others. Portable.
 *
 * @module
 */
import type { ChunkSource } from "../codecs/byte-reader.js";
import { LimitExceededError } from "../core/errors.js";
import type { ReleasingChunkSource } from "../codecs/tee-chunk-source.js";

/** Largest request (its arguments, NARs aside) one connection may send: 16 MiB; limit name `daemon.request`. */
export const SERVER_MAX_REQUEST_BYTES = 16 << 20;
/** Bytes of requests all connections of one server may hold at once: 128 MiB; limit name `daemon.pending`. */
export const SERVER_MAX_PENDING_BYTES = 128 << 20;
/** Most settings overrides one `SetOptions` may carry (Nix 2.8 has about 200 settings): 1024. */
export const SERVER_MAX_OVERRIDES = 1024;
/** Longest string in a `SetOptions` request (a setting's name or value): 1 MiB. */
export const SERVER_MAX_SETTING_LENGTH = 1 << 20;
/** Bytes a connection reads or writes between two turns of the event loop given to others: 256 KiB. */
export const SERVER_YIELD_BYTES = 256 << 10;
/** Most connections `listenWorkerProtocol` serves at once (more are refused): 256. */
export const SERVER_MAX_CONNECTIONS = 256;

/** Overrides of the server's limits (each defaults to the constant of the same name). */
export interface ServerLimits {
  /** {@link SERVER_MAX_REQUEST_BYTES} */
  readonly maxRequestBytes?: number;
  /** {@link SERVER_MAX_OVERRIDES} */
  readonly maxOverrides?: number;
  /** {@link SERVER_MAX_SETTING_LENGTH} */
  readonly maxSettingLength?: number;
  /** {@link SERVER_YIELD_BYTES} */
  readonly yieldBytes?: number;
}

/**
 * The request bytes all connections of one server hold, against one maximum
 * ({@link SERVER_MAX_PENDING_BYTES} by default). Share one between the connections of a
 * server (`listenWorkerProtocol` does).
 */
export class ServerBudget {
  /** Bytes held now. */
  used = 0;

  constructor(readonly max: number = SERVER_MAX_PENDING_BYTES) {}

  /** Takes `n` bytes; false (nothing taken) when that would pass the maximum. */
  reserve(n: number): boolean {
    if (this.used + n > this.max) return false;
    this.used += n;
    return true;
  }

  /** Gives `n` bytes back. */
  release(n: number): void {
    this.used = Math.max(0, this.used - n);
  }
}

/** Gives other tasks a turn of the event loop (a macrotask: resolved promises do not). */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * Counts the bytes one connection sends for its current request, against the per-request
 * maximum and the server's budget; yields to the event loop every `yieldBytes`.
 */
export class RequestMeter {
  /** Whether arriving bytes count towards the current request (not while a NAR streams in). */
  counting = false;
  private held = 0;
  private sinceYield = 0;
  private readonly maxRequest: number;
  private readonly yieldBytes: number;

  constructor(
    private readonly budget: ServerBudget,
    limits: ServerLimits = {},
  ) {
    this.maxRequest = limits.maxRequestBytes ?? SERVER_MAX_REQUEST_BYTES;
    this.yieldBytes = limits.yieldBytes ?? SERVER_YIELD_BYTES;
  }

  /** Records `n` bytes arriving; throws when a limit is passed. */
  took(n: number): void {
    this.sinceYield += n;
    if (!this.counting) return;
    if (this.held + n > this.maxRequest) {
      throw new LimitExceededError(
        "daemon.limit-exceeded",
        `request larger than ${this.maxRequest} bytes (limit 'daemon.request')`,
        { rule: "daemon.request" },
      );
    }
    if (!this.budget.reserve(n)) {
      throw new LimitExceededError(
        "daemon.limit-exceeded",
        `the server holds ${this.budget.used} bytes of requests; ${n} more would pass its limit of ${this.budget.max} (limit 'daemon.pending')`,
        { rule: "daemon.pending" },
      );
    }
    this.held += n;
  }

  /** True when the connection should give the event loop to others (and resets the count). */
  dueForYield(): boolean {
    if (this.sinceYield < this.yieldBytes) return false;
    this.sinceYield = 0;
    return true;
  }

  /** Counts `n` bytes written (for {@link dueForYield}). */
  wrote(n: number): void {
    this.sinceYield += n;
  }

  /** The request is answered: its bytes go back to the budget. */
  done(): void {
    this.counting = false;
    this.budget.release(this.held);
    this.held = 0;
  }

  /** `source` with every chunk counted, and a turn of the event loop given every `yieldBytes`. */
  wrap(source: ReleasingChunkSource): ReleasingChunkSource {
    const count = (c: Uint8Array | undefined) => {
      if (c !== undefined) this.took(c.length);
      return c;
    };
    // synchronous when the source is (a queued chunk) and no turn is due: no promise per chunk
    const pull = () => {
      const r = source.next();
      return r instanceof Promise ? r.then(count) : count(r);
    };
    const out: ChunkSource & { release?(c: Uint8Array): void } = {
      next: () => (this.dueForYield() ? yieldToEventLoop().then(pull) : pull()),
    };
    if (source.release !== undefined) out.release = (c) => source.release!(c);
    return out;
  }
}
