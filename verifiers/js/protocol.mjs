// The checks of docs/PROTOCOL.md section 5: one spot check (a verifier's verdict), a fraud proof
// and an equivocation proof, each re-checked from the bytes alone.
import { DecodeError, UsageError, VerifyError, equalBytes, sha256 } from "./bytes.mjs";
import { beaconSeed, deriveIndices, probeSeed } from "./challenge.mjs";
import { verifySignature } from "./identity.mjs";
import { leafHash, verifyMultiproof } from "./merkle.mjs";
import {
  DOMAINS,
  LIMITS,
  decodeChallenge,
  decodeCommitment,
  decodeEquivocationProof,
  decodeFraudProof,
  decodeJob,
  decodeSpotCheckProof,
  encodeFraudProof,
  encodeVerdictBody,
} from "./messages.mjs";
import { badChunkCount, describe, detectionProbability } from "./soundness.mjs";
import { WorkloadError, getWorkload } from "./workloads.mjs";

// A failed check, with the category of the step that failed (the vectors' `failure`):
// decode, signature, binding, multiproof, chunk.
export class CheckFailed extends VerifyError {
  constructor(category, message) {
    super(message);
    this.category = category;
  }
}

// A workload this verifier does not implement: it can say nothing about the chunks.
export class Unsupported extends Error {}

function signature(publicKey, type, msg) {
  try {
    verifySignature(publicKey, DOMAINS[type], msg.body, msg.signature);
  } catch (e) {
    if (e instanceof VerifyError) throw new CheckFailed("signature", `${type}: ${e.message}`);
    throw e;
  }
}

const binding = (ok, message) => {
  if (!ok) throw new CheckFailed("binding", message);
};

// Steps 2 to 4 of section 5.1: signatures, bindings, the multiproof. `verifierKey`, when given,
// is the key the challenge must carry (the verifier's own). Returns [{index, output, seed}].
export function verifyExchange(job, com, ch, pr, verifierKey = null) {
  if (verifierKey !== null && !equalBytes(ch.verifierKey, verifierKey)) {
    throw new CheckFailed("signature", "the challenge was not issued by this verifier");
  }
  signature(com.providerKey, "Commitment", com);
  signature(ch.verifierKey, "Challenge", ch);
  signature(com.providerKey, "SpotCheckProof", pr);

  binding(equalBytes(com.jobId, job.digest), "the commitment is for another job");
  binding(com.nChunks === job.nChunks, "the commitment's chunk count is not the job's");
  binding(equalBytes(ch.jobId, com.jobId), "the challenge is for another job");
  binding(equalBytes(ch.commitmentDigest, com.digest), "the challenge names another commitment");
  binding(ch.nChunks === com.nChunks, "the challenge's chunk count is not the commitment's");
  if (ch.method === "beacon") {
    binding(equalBytes(ch.seed, beaconSeed(ch.beacon, ch.commitmentDigest)), "the seed is not the beacon seed");
  }
  const derived = deriveIndices(ch.seed, ch.nChunks, ch.indices.length);
  binding(derived.every((v, i) => v === ch.indices[i]), "the indices are not derived from the seed");
  binding(ch.indices.every((v, i) => equalBytes(probeSeed(ch.seed, v), ch.checkSeeds[i])),
    "the check seeds are not derived from the seed");
  binding(equalBytes(pr.challengeDigest, ch.digest), "the proof answers another challenge");

  const mp = pr.multiproof;
  if (mp.treeSize !== com.nChunks) throw new CheckFailed("multiproof", "the multiproof's tree size is not the commitment's");
  if (mp.indices.length !== ch.indices.length || mp.indices.some((v, i) => v !== ch.indices[i])) {
    throw new CheckFailed("multiproof", "the proof opens other chunks than the challenge asked for");
  }
  try {
    verifyMultiproof({
      treeSize: mp.treeSize, trustedSize: com.nChunks, indices: mp.indices, leafHashes: pr.outputs.map((o) => leafHash(o)),
      siblings: mp.siblings, root: com.root,
    });
  } catch (e) {
    if (e instanceof VerifyError) throw new CheckFailed("multiproof", `the opened chunks do not match the root (${e.message})`);
    throw e;
  }
  return ch.indices.map((index, k) => ({ index, output: pr.outputs[k], seed: ch.checkSeeds[k] }));
}

function inputsMatch(job, inputs) {
  const names = [...inputs.keys()].sort();
  const want = [...job.inputDigests.keys()].sort();
  if (names.length !== want.length || names.some((n, i) => n !== want[i])) {
    return `inputs [${names}] are not the job's inputs [${want}]`;
  }
  for (const [name, digest] of job.inputDigests) {
    if (!equalBytes(sha256(inputs.get(name).data), digest)) return `input '${name}' does not match the job's digest`;
  }
  return null;
}

function workloadOf(job) {
  try {
    return getWorkload(job.workload);
  } catch (e) {
    if (e instanceof WorkloadError) throw new Unsupported(e.message);
    throw e;
  }
}

// null when the job's parameters are the workload's canonical ones, else why not
function nonCanonical(workload, job) {
  try {
    workload.canonical(job.params);
    return null;
  } catch (e) {
    if (e instanceof WorkloadError) return `the job's parameters are not canonical: ${e.message}`;
    throw e;
  }
}

function decoded(decode, bytes, name, reasons) {
  try {
    return decode(bytes);
  } catch (e) {
    if (!(e instanceof DecodeError)) throw e;
    reasons.push({ category: "decode", text: `the ${name} does not decode: ${e.message}` });
    return null;
  }
}

// The verifier's side of one spot check (section 5.1), from the bytes received.
//   jobBytes, commitment, challenge, proof: Uint8Array; inputs: Map name -> {kind, data};
//   verifier: {publicKey, sign?(domain, body)}; badFraction: the fraction the verdict is for.
// Returns {accepted, failure, reasons, detectionProbability, fraudIndex, fraudProof, verdict}:
// `failure` is the category of the first failed check, `verdict` the signed verdict (when the
// verifier can sign), `fraudProof` the bytes of a fraud proof against the first failing chunk.
export function verifyRound({ jobBytes, commitment, challenge, proof, inputs, verifier, badFraction }) {
  const job = decodeJob(jobBytes);
  const bad = badChunkCount(job.nChunks, badFraction);
  const reasons = [];
  const com = decoded(decodeCommitment, commitment, "commitment", reasons);
  const ch = decoded(decodeChallenge, challenge, "challenge", reasons);
  const pr = decoded(decodeSpotCheckProof, proof, "proof", reasons);
  let worst = 0;
  let fraudIndex = null;
  let fraudProof = null;
  if (reasons.length === 0) {
    let openings = null;
    try {
      openings = verifyExchange(job, com, ch, pr, verifier.publicKey);
    } catch (e) {
      if (!(e instanceof CheckFailed)) throw e;
      reasons.push({ category: e.category, text: e.message });
    }
    if (openings !== null) {
      const workload = workloadOf(job);
      const odd = nonCanonical(workload, job);
      if (odd) throw new UsageError(odd);
      for (const { index, output, seed } of openings) {
        try {
          worst = Math.max(worst, workload.check(job.params, inputs, index, output, seed));
        } catch (e) {
          if (!(e instanceof VerifyError)) throw e;
          if (fraudIndex === null) fraudIndex = index;
          if (reasons.length < LIMITS.reasons) reasons.push({ category: "chunk", text: `chunk ${index} fails its check: ${e.message}` });
        }
      }
      if (fraudIndex !== null) {
        // the inputs are hashed only to build a fraud proof (never on an accepted round)
        const mismatch = inputsMatch(job, inputs);
        if (mismatch) throw new UsageError(`the verifier's inputs are not the job's: ${mismatch}`);
        fraudProof = encodeFraudProof({ index: fraudIndex, job, commitment: com, challenge: ch, proof: pr, inputs });
      }
    }
  }
  const n = job.nChunks;
  const samples = ch === null ? 0n : BigInt(ch.indices.length);
  const p = samples > 0n ? detectionProbability(n, bad, samples < n ? samples : n, worst) : 0;
  const unsigned = {
    accepted: reasons.length === 0, reasons: reasons.map((r) => r.text), badFraction, detectionProbability: p + 0, // no -0
    soundness: describe(p), jobId: job.digest, commitmentDigest: sha256(commitment), challengeDigest: sha256(challenge),
    proofDigest: sha256(proof), verifierKey: verifier.publicKey,
  };
  let verdict = null;
  if (verifier.sign) {
    const body = encodeVerdictBody(unsigned);
    verdict = new Uint8Array([...body, ...verifier.sign(DOMAINS.Verdict, body)]);
  }
  return {
    accepted: unsigned.accepted, failure: reasons.length ? reasons[0].category : null, reasons: unsigned.reasons,
    detectionProbability: p + 0, soundness: unsigned.soundness, fraudIndex, fraudProof, verdict,
  };
}

// Section 5.3. Returns what the fraud proof proves; throws DecodeError, VerifyError (it does not
// convict) or Unsupported (a workload this verifier does not implement).
export function verifyFraudProof(bytes) {
  const fp = decodeFraudProof(bytes);
  let openings;
  try {
    openings = verifyExchange(fp.job, fp.commitment, fp.challenge, fp.proof);
  } catch (e) {
    if (e instanceof CheckFailed) throw new VerifyError(`fraud proof does not convict: ${e.message}`);
    throw e;
  }
  const opened = openings.find((o) => o.index === fp.index);
  if (!opened) throw new VerifyError(`fraud proof does not convict: chunk ${fp.index} was not opened`);
  const workload = workloadOf(fp.job);
  const odd = nonCanonical(workload, fp.job);
  if (odd) throw new VerifyError(`fraud proof does not convict: ${odd}`);
  const mismatch = inputsMatch(fp.job, fp.inputs);
  if (mismatch) throw new VerifyError(`fraud proof does not convict: ${mismatch}`);
  let count;
  try {
    count = workload.chunkCount(fp.job.params, fp.inputs);
  } catch (e) {
    if (e instanceof WorkloadError) throw new VerifyError(`fraud proof does not convict: ${e.message}`);
    throw e;
  }
  if (count !== fp.job.nChunks) throw new VerifyError("fraud proof does not convict: the inputs do not give the job's chunk count");
  try {
    workload.check(fp.job.params, fp.inputs, fp.index, opened.output, opened.seed);
  } catch (e) {
    if (!(e instanceof VerifyError)) throw e;
    return {
      convicts: true, index: fp.index, providerKey: fp.commitment.providerKey, jobId: fp.job.digest,
      commitmentDigest: fp.commitment.digest, challengeDigest: fp.challenge.digest, reason: e.message,
    };
  }
  throw new VerifyError(`fraud proof does not convict: chunk ${fp.index} passes its check`);
}

// Section 5.4. Returns the convicted provider key; throws DecodeError or VerifyError.
export function verifyEquivocation(bytes) {
  const { first: a, second: b } = decodeEquivocationProof(bytes);
  for (const c of [a, b]) verifySignature(c.providerKey, DOMAINS.Commitment, c.body, c.signature);
  if (!equalBytes(a.providerKey, b.providerKey)) throw new VerifyError("not an equivocation: different providers");
  if (!equalBytes(a.jobId, b.jobId)) throw new VerifyError("not an equivocation: different jobs");
  if (equalBytes(a.root, b.root) && a.nChunks === b.nChunks && a.treeMode === b.treeMode) {
    throw new VerifyError("not an equivocation: both commit to the same tree");
  }
  return a.providerKey;
}

