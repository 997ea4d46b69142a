// Challenge seeds, indices and per-chunk check seeds (docs/SOUNDNESS.md section 2).
import { UsageError, ascii, concat, readU64, sha256, u32, u64 } from "./bytes.mjs";

const CHALLENGE_PREFIX = ascii("verifiable/challenge/v1");
const BEACON_PREFIX = ascii("verifiable/beacon/v1");
const PROBE_PREFIX = ascii("verifiable/probe/v1");
export const MAX_BEACON = 1024;

// SHA-256(b"verifiable/beacon/v1" || u32be(len(beacon)) || beacon || commitment_digest)
export function beaconSeed(beacon, commitmentDigest) {
  if (beacon.length < 1 || beacon.length > MAX_BEACON) throw new UsageError("a beacon is 1 to 1024 bytes");
  if (commitmentDigest.length !== 32) throw new UsageError("a commitment digest is 32 bytes");
  return sha256(BEACON_PREFIX, u32(beacon.length), beacon, commitmentDigest);
}

// SHA-256(b"verifiable/probe/v1" || seed || u64be(index))
export function probeSeed(seed, index) {
  return sha256(PROBE_PREFIX, seed, u64(index));
}

// `s` distinct indices of [0, n), sorted: rejection sampling of the 64-bit big-endian words of
// SHA-256(b"verifiable/challenge/v1" || seed || u64be(n) || u64be(s) || u64be(j)), j = 0, 1, ...
export function deriveIndices(seed, n, s) {
  n = BigInt(n);
  s = BigInt(s);
  if (seed.length !== 32) throw new UsageError("a challenge seed is 32 bytes");
  if (n < 1n || n >= 1n << 64n || s < 1n || s > n) throw new UsageError("need 1 <= samples <= n_chunks < 2^64");
  if (s === n) {
    const all = [];
    for (let i = 0n; i < n; i++) all.push(i);
    return all;
  }
  const limit = ((1n << 64n) / n) * n;
  const prefix = concat(CHALLENGE_PREFIX, seed, u64(n), u64(s));
  const taken = new Set();
  for (let j = 0n; ; j++) {
    const block = sha256(prefix, u64(j));
    for (let w = 0; w < 32; w += 8) {
      const word = readU64(block, w);
      if (word >= limit) continue;
      taken.add(word % n);
      if (BigInt(taken.size) === s) return [...taken].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    }
  }
}
