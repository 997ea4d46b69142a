#!/usr/bin/env node
// verifiable's independent verifier in JavaScript (Node.js 20 standard library only), written
// from docs/PROTOCOL.md and docs/SOUNDNESS.md. See docs/JS-VERIFIER.md.
//
//   node verifiers/js/verify.mjs vectors DIR             check every golden vector in DIR
//   node verifiers/js/verify.mjs round FILE              verdict on one exchange (a round vector's JSON)
//   node verifiers/js/verify.mjs fraud-proof FILE        re-check a fraud proof (binary or hex)
//   node verifiers/js/verify.mjs equivocation FILE       re-check an equivocation proof (binary or hex)
//   node verifiers/js/verify.mjs decode CASES.json       [{type, hex}]: decode each strictly
//   node verifiers/js/verify.mjs multiproofs CASES.json  one verdict per Merkle multiproof case
//   node verifiers/js/verify.mjs derive CASES.json       [{seed, n, s, beacon?}]: indices and check seeds
//   node verifiers/js/verify.mjs soundness CASES.json    [{n, b, s, eps}]: detection probability and words
//   node verifiers/js/verify.mjs signatures CASES.json   [{public_key, domain, message, signature}]: valid?
//   node verifiers/js/verify.mjs selftest -              the known answers of docs/SOUNDNESS.md
//
// Output is one JSON object per line. Exit status: 0 when everything holds (vectors: every
// vector agrees; round: accepted; fraud-proof / equivocation: convicts), 1 when not, 2 on
// unusable input (bad arguments, unreadable files, a workload this verifier does not know).
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { DecodeError, UsageError, VerifyError, fromHex, hex } from "./bytes.mjs";
import { decodeMultiProof, verifyMultiproof } from "./merkle.mjs";
import { beaconSeed, deriveIndices, probeSeed } from "./challenge.mjs";
import { verifySignature } from "./identity.mjs";
import { Unsupported } from "./protocol.mjs";
import { detectionProbability, describe } from "./soundness.mjs";
import { selftest } from "./selftest.mjs";
import { checkVector, decodeCase, equivocationCase, fraudCase, runRound } from "./vectors.mjs";

const print = (obj) => process.stdout.write(JSON.stringify(obj) + "\n");

function multiproofCase(c) {
  try {
    const p = decodeMultiProof(fromHex(c.proof));
    verifyMultiproof({
      treeSize: p.treeSize, trustedSize: BigInt(c.trusted_size), indices: p.indices, leafHashes: c.leaf_hashes.map((h) => fromHex(h)),
      siblings: p.siblings, root: fromHex(c.root), mode: c.mode ?? "rfc6962",
    });
    return { ok: true };
  } catch (e) {
    if (e instanceof VerifyError || e instanceof DecodeError) return { ok: false, error: e.message };
    throw e;
  }
}

// A message file: its raw bytes, or their hex (a message's bytes start with "VFPR", never hex)
function messageFile(path) {
  const raw = readFileSync(path);
  if (raw.subarray(0, 4).toString("latin1") === "VFPR") return new Uint8Array(raw);
  return fromHex(raw.toString("latin1").trim(), path);
}

const COMMANDS = {
  multiproofs(file) {
    for (const c of JSON.parse(readFileSync(file, "utf8"))) print(multiproofCase(c));
    return 0;
  },
  decode(file) {
    for (const c of JSON.parse(readFileSync(file, "utf8"))) print(decodeCase(c.type, fromHex(c.hex)));
    return 0;
  },
  derive(file) {
    for (const c of JSON.parse(readFileSync(file, "utf8"))) {
      const seed = c.beacon === undefined ? fromHex(c.seed) : beaconSeed(fromHex(c.beacon), fromHex(c.commitment_digest));
      const indices = deriveIndices(seed, BigInt(c.n), BigInt(c.s));
      print({ seed: hex(seed), indices: indices.map(String), check_seeds: indices.map((i) => hex(probeSeed(seed, i))) });
    }
    return 0;
  },
  soundness(file) {
    for (const c of JSON.parse(readFileSync(file, "utf8"))) {
      const p = detectionProbability(BigInt(c.n), BigInt(c.b), BigInt(c.s), c.eps ?? 0);
      print({ detection_probability: p, words: describe(p) });
    }
    return 0;
  },
  signatures(file) {
    for (const c of JSON.parse(readFileSync(file, "utf8"))) {
      try {
        verifySignature(fromHex(c.public_key), c.domain, fromHex(c.message), fromHex(c.signature));
        print({ valid: true });
      } catch (e) {
        if (!(e instanceof VerifyError)) throw e;
        print({ valid: false });
      }
    }
    return 0;
  },
  selftest() {
    const failures = selftest();
    for (const f of failures) print({ ok: false, problem: f });
    if (!failures.length) print({ ok: true });
    return failures.length ? 1 : 0;
  },
  vectors(dir) {
    const files = readdirSync(dir).filter((f) => f.endsWith(".json") && f !== "keys.json").sort();
    if (files.length === 0) throw new UsageError(`no vectors in ${dir}`);
    let failed = 0;
    for (const f of files) {
      const result = checkVector(JSON.parse(readFileSync(join(dir, f), "utf8")));
      if (!result.ok) failed++;
      print(result);
    }
    process.stderr.write(`${files.length - failed} of ${files.length} vectors agree\n`);
    return failed ? 1 : 0;
  },
  round(file) {
    const r = runRound(JSON.parse(readFileSync(file, "utf8")));
    print({
      accepted: r.accepted, failure: r.failure, reasons: r.reasons, detection_probability: r.detectionProbability,
      soundness: r.soundness, fraud_index: r.fraudIndex === null ? null : r.fraudIndex.toString(),
      fraud_proof: r.fraudProof && hex(r.fraudProof), verdict: r.verdict && hex(r.verdict),
    });
    return r.accepted ? 0 : 1;
  },
  "fraud-proof"(file) {
    const r = fraudCase(messageFile(file));
    print(r);
    return r.convicts ? 0 : r.convicts === null ? 2 : 1;
  },
  equivocation(file) {
    const r = equivocationCase(messageFile(file));
    print(r);
    return r.convicts ? 0 : 1;
  },
};

const [command, arg, ...rest] = process.argv.slice(2);
if (!COMMANDS[command] || !arg || rest.length) {
  process.stderr.write(`usage: verify.mjs {${Object.keys(COMMANDS).join("|")}} FILE-OR-DIR\n`);
  process.exit(2);
}
try {
  process.exitCode = COMMANDS[command](arg);
} catch (e) {
  if (e instanceof UsageError || e instanceof Unsupported || e instanceof SyntaxError || e.code === "ENOENT") {
    process.stderr.write(`verify.mjs ${command}: ${e.message}\n`);
    process.exit(2);
  }
  throw e;
}
