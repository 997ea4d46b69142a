// RFC 6962 Merkle hashing and verification of verifiable's multiproofs, written from
// docs/PROTOCOL.md alone with nothing but Node.js's standard library.
import { createHash } from "node:crypto";

export const HASH_SIZE = 32;

export class VerifyError extends Error {}
export class DecodeError extends Error {}

export function sha256(...parts) {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

const LEAF = Uint8Array.of(0x00);
const NODE = Uint8Array.of(0x01);

export function leafHash(data, mode = "rfc6962") {
  return mode === "rfc6962" ? sha256(LEAF, data) : sha256(data);
}

export function nodeHash(left, right, mode = "rfc6962") {
  return mode === "rfc6962" ? sha256(NODE, left, right) : sha256(left, right);
}

// Largest power of two strictly below n (n >= 2), with BigInt sizes up to 2^64 - 1.
export function splitPoint(n) {
  let k = 1n;
  while (k <= (n - 1n) >> 1n) k <<= 1n;
  return k;
}

export function equalBytes(a, b) {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

// A byte reader that refuses to read past the end (every length is checked first).
export class Reader {
  constructor(bytes, what) {
    this.b = bytes;
    this.pos = 0;
    this.what = what;
  }
  need(n) {
    if (n < 0 || this.pos + n > this.b.length) {
      throw new DecodeError(`${this.what}: truncated (needs ${n} more bytes at offset ${this.pos})`);
    }
  }
  bytes(n) {
    this.need(n);
    const out = this.b.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  u8() {
    return this.bytes(1)[0];
  }
  u16() {
    const s = this.bytes(2);
    return (s[0] << 8) | s[1];
  }
  u32() {
    const s = this.bytes(4);
    return ((s[0] << 24) >>> 0) + (s[1] << 16) + (s[2] << 8) + s[3];
  }
  u64() {
    const s = this.bytes(8);
    let v = 0n;
    for (const x of s) v = (v << 8n) | BigInt(x);
    return v;
  }
  magic(tag, version) {
    const m = this.bytes(tag.length);
    if (Buffer.from(m).toString("latin1") !== tag) throw new DecodeError(`${this.what}: bad magic`);
    const v = this.u8();
    if (v !== version) throw new DecodeError(`${this.what}: unknown version ${v}`);
  }
  finish() {
    if (this.pos !== this.b.length) {
      throw new DecodeError(`${this.what}: ${this.b.length - this.pos} trailing bytes`);
    }
  }
}

export const MAX_MULTIPROOF_INDICES = 1 << 20;
export const MAX_PATH = 64;

// b"VFMP" | version u8 = 1 | tree_size u64 | k u32 | k * index u64 | count u32 | count * hash
export function decodeMultiProof(bytes) {
  const r = new Reader(bytes, "MultiProof");
  r.magic("VFMP", 1);
  const treeSize = r.u64();
  const k = r.u32();
  if (k > MAX_MULTIPROOF_INDICES) throw new DecodeError("MultiProof: too many indices");
  r.need(k * 8);
  const indices = [];
  for (let i = 0; i < k; i++) indices.push(r.u64());
  const count = r.u32();
  if (count > Math.max(1, k) * MAX_PATH) throw new DecodeError("MultiProof: too many siblings");
  r.need(count * HASH_SIZE);
  const siblings = [];
  for (let i = 0; i < count; i++) siblings.push(r.bytes(HASH_SIZE));
  r.finish();
  return { treeSize, indices, siblings };
}

// Recompute the root from the opened leaves and the siblings, walking the tree from the root,
// left before right; a subtree without opened leaves takes the next sibling.
export function multiproofRoot(treeSize, indices, leafHashes, siblings, mode = "rfc6962") {
  const n = BigInt(treeSize);
  if (indices.length === 0) throw new VerifyError("multiproof: no indices");
  for (let i = 1; i < indices.length; i++) {
    if (indices[i] <= indices[i - 1]) throw new VerifyError("multiproof: indices not strictly increasing");
  }
  if (n === 0n || indices[indices.length - 1] >= n) throw new VerifyError("multiproof: index outside the tree");
  if (leafHashes.length !== indices.length) throw new VerifyError("multiproof: one leaf hash per index");
  let used = 0;
  const walk = (lo, hi, a, b) => {
    if (hi - lo === 1n) return leafHashes[a];
    const mid = lo + splitPoint(hi - lo);
    let m = a;
    while (m < b && indices[m] < mid) m++;
    const parts = [
      [lo, mid, a, m],
      [mid, hi, m, b],
    ];
    const child = parts.map(([l, h, x, y]) => {
      if (x < y) return walk(l, h, x, y);
      if (used >= siblings.length) throw new VerifyError("multiproof: too few siblings");
      return siblings[used++];
    });
    return nodeHash(child[0], child[1], mode);
  };
  const root = walk(0n, n, 0, indices.length);
  if (used !== siblings.length) throw new VerifyError("multiproof: too many siblings");
  return root;
}

export function verifyMultiproof({ treeSize, trustedSize, indices, leafHashes, siblings, root, mode }) {
  if (BigInt(treeSize) !== BigInt(trustedSize)) throw new VerifyError("multiproof: tree size differs from the trusted one");
  const got = multiproofRoot(treeSize, indices, leafHashes, siblings, mode);
  if (!equalBytes(got, root)) throw new VerifyError("multiproof: root mismatch");
}
