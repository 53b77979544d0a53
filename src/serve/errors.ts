/**
 * Errors of the serve-protocol client.
 *
 * - {@link ServeRemoteError}: the server (`nix-store --serve`) failed; the serve protocol has
 *   no error message on the wire, so `detail` is what the server wrote on its standard error.
 * - {@link ServeConnectionError}: the server could not be started, or the connection ended
 *   without a word from it.
 * - {@link ServeProtocolError}: the server does not speak the protocol (magic, version).
 * Garbled bytes surface as the wire codecs' own `MalformedInputError`/`TruncatedInputError`.
 *
 * @module
 */
import { MalformedInputError, NixCompatError } from "../core/errors.js";

/** The server failed and said why on its standard error (`detail`, without `error: `). */
export class ServeRemoteError extends NixCompatError {}

/** The server could not be reached, or the connection ended without a reason given. */
export class ServeConnectionError extends NixCompatError {}

/** The peer does not speak the serve protocol as expected (magic, version). */
export class ServeProtocolError extends MalformedInputError {}
