// Times the JavaScript verifier on one round (a round vector's JSON, e.g. made by the command in
// docs/JS-VERIFIER.md): the whole verdict, and the exchange checks alone (decode, three
// signatures, bindings and derivations, multiproof), as docs/PROTOCOL.md section 8 measures ours.
//   node verifiers/js/bench.mjs ROUND.json [REPEATS]
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { fromHex } from "./bytes.mjs";
import { decodeChallenge, decodeCommitment, decodeJob, decodeSpotCheckProof } from "./messages.mjs";
import { verifyExchange, verifyRound } from "./protocol.mjs";
import { inputsOf, verifierOf } from "./vectors.mjs";

const [file, repeats = "50"] = process.argv.slice(2);
const v = JSON.parse(readFileSync(file, "utf8"));
const m = Object.fromEntries(Object.entries(v.messages).map(([k, h]) => [k, fromHex(h)]));
const inputs = inputsOf(v.inputs);
const verifier = verifierOf(v.verify);
const job = decodeJob(m.job);

function time(label, fn) {
  for (let i = 0; i < 10; i++) fn(); // warm-up (the JIT)
  const runs = [];
  for (let i = 0; i < Number(repeats); i++) {
    const t = performance.now();
    fn();
    runs.push(performance.now() - t);
  }
  runs.sort((a, b) => a - b);
  console.log(`${label}: min ${runs[0].toFixed(2)} ms, median ${runs[runs.length >> 1].toFixed(2)} ms`);
}

time("exchange checks", () => {
  verifyExchange(job, decodeCommitment(m.commitment), decodeChallenge(m.challenge), decodeSpotCheckProof(m.proof),
    verifier.publicKey);
});
time("whole verdict (chunks re-checked, signed)", () => {
  verifyRound({ jobBytes: m.job, commitment: m.commitment, challenge: m.challenge, proof: m.proof, inputs, verifier,
    badFraction: v.verify.bad_fraction });
});
