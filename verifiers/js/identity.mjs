// Ed25519 signatures over domain-separated signing inputs (docs/SOUNDNESS.md section 1), as
// strict as libsodium's crypto_sign_verify_detached: S < L, no small-order or non-canonical
// public key, no small-order R. node:crypto (OpenSSL) already refuses S >= L and a
// non-canonical R; the key and R blocklist is checked here.
import { createPrivateKey, createPublicKey, sign, verify } from "node:crypto";
import { UsageError, VerifyError, ascii, concat, hex, sha256 } from "./bytes.mjs";

const SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");
const PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");
const P = (1n << 255n) - 19n;
const L = (1n << 252n) + 27742317777372353535851937790883648493n;

// Encodings of the points of small order (y only; the sign bit is ignored), including the
// non-canonical encodings y = p and y = p + 1: libsodium's blocklist.
const SMALL_ORDER = [
  "0000000000000000000000000000000000000000000000000000000000000000",
  "0100000000000000000000000000000000000000000000000000000000000000",
  "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
  "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
  "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
];

function littleEndian(bytes) {
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]);
  return v;
}

function hasSmallOrder(point) {
  const y = Uint8Array.from(point);
  y[31] &= 0x7f;
  const h = hex(y);
  return SMALL_ORDER.includes(h);
}

function isCanonicalPoint(point) {
  const y = Uint8Array.from(point);
  y[31] &= 0x7f;
  return littleEndian(y) < P;
}

export function checkDomain(domain) {
  if (!/^[\x21-\x7e]{1,64}$/.test(domain)) throw new UsageError(`bad signing domain ${JSON.stringify(domain)}`);
}

// b"verifiable/" || domain || 0x00 || message
export function signingInput(domain, message) {
  checkDomain(domain);
  return concat(ascii("verifiable/"), ascii(domain), Uint8Array.of(0), message);
}

export function fingerprint(publicKey) {
  return hex(sha256(ascii("verifiable/fingerprint/v1"), publicKey)).slice(0, 16);
}

// Throws VerifyError unless `signature` is publicKey's signature of signingInput(domain, message).
export function verifySignature(publicKey, domain, message, signature) {
  if (publicKey.length !== 32 || signature.length !== 64) throw new UsageError("key 32 bytes, signature 64");
  const bad = () => new VerifyError(`bad Ed25519 signature for domain '${domain}' by key ${fingerprint(publicKey)}`);
  const R = signature.subarray(0, 32);
  if (littleEndian(signature.subarray(32)) >= L) throw bad();
  if (hasSmallOrder(R) || hasSmallOrder(publicKey) || !isCanonicalPoint(publicKey)) throw bad();
  let key;
  try {
    key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, publicKey]), format: "der", type: "spki" });
  } catch {
    throw bad(); // not a point on the curve
  }
  if (!verify(null, signingInput(domain, message), key, signature)) throw bad();
}

// A key pair from a 32-byte RFC 8032 secret seed (for re-signing a verdict from the vectors).
export function identityFromSeed(seed) {
  if (seed.length !== 32) throw new UsageError("an Ed25519 seed is 32 bytes");
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: "der", type: "pkcs8" });
  const spki = createPublicKey(privateKey).export({ format: "der", type: "spki" });
  const publicKey = new Uint8Array(spki.subarray(spki.length - 32));
  return {
    publicKey,
    sign: (domain, message) => new Uint8Array(sign(null, signingInput(domain, message), privateKey)),
  };
}
