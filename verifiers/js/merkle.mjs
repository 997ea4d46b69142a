// RFC 6962 Merkle hashing and verification of verifiable's multiproofs, written from
// docs/PROTOCOL.md alone with nothing but Node.js's standard library.

import { DecodeError, HASH_SIZE, Reader, VerifyError, concat, equalBytes, sha256, u32, u64 } from "./bytes.mjs";

export { DecodeError, HASH_SIZE, VerifyError, equalBytes, sha256 };

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

export const MAX_MULTIPROOF_INDICES = 1 << 20;
export const MAX_PATH = 64;

// b"VFMP" | version u8 = 1 | tree_size u64 | k u32 | k * index u64 | count u32 | count * hash
export function decodeMultiProof(bytes) {
  const r = new Reader(bytes, "MultiProof");
  const magic = r.take(4);
  if (Buffer.from(magic).toString("latin1") !== "VFMP") r.fail("wrong magic");
  const version = r.u8();
  if (version !== 1) r.fail(`unknown version ${version}`);
  const treeSize = r.u64();
  const k = r.count(r.u32(), 8, MAX_MULTIPROOF_INDICES, "index");
  const indices = [];
  for (let i = 0; i < k; i++) indices.push(r.u64());
  const count = r.count(r.u32(), HASH_SIZE, Math.max(1, k) * MAX_PATH, "sibling");
  const siblings = [];
  for (let i = 0; i < count; i++) siblings.push(r.take(HASH_SIZE));
  r.finish();
  return { treeSize, indices, siblings };
}

export function encodeMultiProof({ treeSize, indices, siblings }) {
  const parts = [Buffer.from("VFMP", "latin1"), Uint8Array.of(1), u64(treeSize), u32(indices.length)];
  for (const i of indices) parts.push(u64(i));
  parts.push(u32(siblings.length), ...siblings);
  return concat(...parts);
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
