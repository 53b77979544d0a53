/**
 * Nix's ed25519 keys and signatures (`name:base64`): parse, print, generate, sign, verify.
 *
 * @module
 */
export {
  type Ed25519Backend,
  formatPublicKey,
  formatSecretKey,
  formatSignature,
  generateSecretKey,
  getEd25519Backend,
  nobleEd25519Backend,
  parsePublicKey,
  parseSecretKey,
  parseSignature,
  PUBLIC_KEY_SIZE,
  type PublicKey,
  publicKeyOf,
  SECRET_KEY_SIZE,
  type SecretKey,
  setEd25519Backend,
  type Signature,
  SIGNATURE_SIZE,
  signDetached,
  SigningError,
  validateKeyName,
  verifyDetached,
} from "./keys.js";
export { nodeCryptoEd25519Backend, type NodeCryptoModule } from "./node-crypto.js";
