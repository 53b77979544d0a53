#!/usr/bin/env node
/**
 * Entry point of the `nix-compat` executable.
 *
 * @module
 */
import { dispatch } from "./dispatch.js";

process.exitCode = await dispatch(process.argv.slice(2));
