#!/usr/bin/env node
// verifiable's independent verifier in JavaScript (Node.js standard library only).
//
//   node verifiers/js/verify.mjs multiproofs CASES.json   one verdict per Merkle multiproof case
//
// Prints one JSON line per case: {"ok": true} or {"ok": false, "error": "..."}; exits 0 when it
// ran (whatever the verdicts), 2 on unusable input.
import { readFileSync } from "node:fs";
import { DecodeError, VerifyError, decodeMultiProof, verifyMultiproof } from "./merkle.mjs";

const hex = (s) => {
  if (typeof s !== "string" || !/^([0-9a-f]{2})*$/.test(s)) throw new DecodeError(`not lowercase hex: ${s}`);
  return new Uint8Array(Buffer.from(s, "hex"));
};

function runCase(c) {
  try {
    const p = decodeMultiProof(hex(c.proof));
    verifyMultiproof({
      treeSize: p.treeSize,
      trustedSize: BigInt(c.trusted_size),
      indices: p.indices,
      leafHashes: c.leaf_hashes.map(hex),
      siblings: p.siblings,
      root: hex(c.root),
      mode: c.mode ?? "rfc6962",
    });
    return { ok: true };
  } catch (e) {
    if (e instanceof VerifyError || e instanceof DecodeError) return { ok: false, error: e.message };
    throw e;
  }
}

const [command, file] = process.argv.slice(2);
if (command === "multiproofs" && file) {
  const cases = JSON.parse(readFileSync(file, "utf8"));
  for (const c of cases) process.stdout.write(JSON.stringify(runCase(c)) + "\n");
} else {
  process.stderr.write("usage: verify.mjs multiproofs CASES.json\n");
  process.exit(2);
}
