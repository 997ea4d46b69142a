// Re-checks the protocol's golden vectors (tests/vectors/protocol/*.json, format in its
// README.md): every verdict, error class and fraud proof is computed here from the messages'
// bytes and then compared with what the vector expects.
import { DecodeError, UsageError, VerifyError, equalBytes, fromHex, hex, sha256 } from "./bytes.mjs";
import { identityFromSeed, verifySignature } from "./identity.mjs";
import { DECODERS, DOMAINS, decodeVerdict, parseArray } from "./messages.mjs";
import { Unsupported, verifyEquivocation, verifyFraudProof, verifyRound } from "./protocol.mjs";
import { describe } from "./soundness.mjs";

const json = (v) => (typeof v === "bigint" ? (v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString()) : v);

export function closeEnough(a, b) {
  return a === b || Math.abs(a - b) <= 1e-12 * Math.max(Math.abs(a), Math.abs(b));
}

// A vector's `inputs` ({name: {kind, hex}}) as the Map the checks take.
export function inputsOf(spec) {
  const inputs = new Map();
  for (const [name, item] of Object.entries(spec ?? {})) {
    if (item.kind !== "bytes" && item.kind !== "array") throw new UsageError(`input '${name}': unknown kind ${item.kind}`);
    const data = fromHex(item.hex, `input '${name}'`);
    if (item.kind === "array") parseArray(data);
    inputs.set(name, { kind: item.kind, data });
  }
  return inputs;
}

// The verifier of a round: its seed (it can sign) or only its public key.
export function verifierOf(verify) {
  if (verify.verifier_seed) return identityFromSeed(fromHex(verify.verifier_seed, "verifier_seed"));
  if (verify.verifier_key) return { publicKey: fromHex(verify.verifier_key, "verifier_key") };
  throw new UsageError("verify needs verifier_seed or verifier_key");
}

export function runRound(v) {
  const m = v.messages;
  return verifyRound({
    jobBytes: fromHex(m.job, "job"), commitment: fromHex(m.commitment, "commitment"),
    challenge: fromHex(m.challenge, "challenge"), proof: fromHex(m.proof, "proof"), inputs: inputsOf(v.inputs),
    verifier: verifierOf(v.verify), badFraction: v.verify.bad_fraction,
  });
}

function checkRound(v, problems) {
  const e = v.expected;
  const r = runRound(v);
  const got = {
    accepted: r.accepted, failure: r.failure, fraud_index: json(r.fraudIndex), detection_probability: r.detectionProbability,
    reasons: r.reasons,
  };
  if (r.accepted !== e.accepted) problems.push(`accepted ${r.accepted}, expected ${e.accepted}`);
  if (r.failure !== e.failure) problems.push(`failure ${r.failure}, expected ${e.failure}`);
  if (got.fraud_index !== e.fraud_index) problems.push(`fraud index ${got.fraud_index}, expected ${e.fraud_index}`);
  if (!closeEnough(r.detectionProbability, e.detection_probability)) {
    problems.push(`detection probability ${r.detectionProbability}, expected ${e.detection_probability}`);
  }
  got.probability_bits_identical = Object.is(r.detectionProbability, e.detection_probability);
  // the fraud proof is deterministic: the four messages as received, the index, the inputs
  const fraud = r.fraudProof === null ? null : hex(r.fraudProof);
  if (fraud !== e.fraud_proof) problems.push("fraud proof bytes differ from the expected ones");
  if (r.fraudProof !== null) {
    const finding = verifyFraudProof(r.fraudProof);
    if (finding.index !== r.fraudIndex) problems.push("our own fraud proof does not convict the failing chunk");
  }
  // the expected verdict: signed by this verifier, about these messages, saying what we say
  const verifier = verifierOf(v.verify);
  const verdict = decodeVerdict(fromHex(e.verdict, "verdict"));
  const m = v.messages;
  try {
    verifySignature(verifier.publicKey, DOMAINS.Verdict, verdict.body, verdict.signature);
  } catch (err) {
    if (!(err instanceof VerifyError)) throw err;
    problems.push("the expected verdict is not signed by the verifier");
  }
  const digests = [
    ["job id", verdict.jobId, sha256(fromHex(m.job))],
    ["commitment digest", verdict.commitmentDigest, sha256(fromHex(m.commitment))],
    ["challenge digest", verdict.challengeDigest, sha256(fromHex(m.challenge))],
    ["proof digest", verdict.proofDigest, sha256(fromHex(m.proof))],
    ["verifier key", verdict.verifierKey, verifier.publicKey],
  ];
  for (const [what, a, b] of digests) if (!equalBytes(a, b)) problems.push(`the expected verdict's ${what} differs`);
  if (verdict.accepted !== r.accepted) problems.push("the expected verdict's accepted flag differs from ours");
  if (verdict.badFraction !== v.verify.bad_fraction) problems.push("the expected verdict's bad_fraction differs");
  if (!closeEnough(verdict.detectionProbability, r.detectionProbability)) problems.push("the verdict's probability differs");
  got.words_identical = describe(verdict.detectionProbability) === verdict.soundness;
  if (!got.words_identical) problems.push(`words '${describe(verdict.detectionProbability)}', expected '${verdict.soundness}'`);
  got.verdict_identical = r.verdict !== null && hex(r.verdict) === e.verdict;
  // reasons are each implementation's own words; an accepted verdict has none, so it is
  // reproduced byte for byte whenever the probability is
  if (r.accepted && got.probability_bits_identical && !got.verdict_identical) problems.push("verdict bytes differ");
  return got;
}

function errorClass(err) {
  if (err instanceof DecodeError) return "DecodeError";
  if (err instanceof Unsupported) return "Unsupported";
  if (err instanceof VerifyError) return "VerificationError";
  throw err;
}

export function decodeCase(type, bytes) {
  const decode = DECODERS[type];
  if (!decode) throw new UsageError(`unknown message type ${type}`);
  try {
    return { error: null, digest: hex(decode(bytes).digest) };
  } catch (err) {
    return { error: errorClass(err), message: err.message };
  }
}

function checkDecode(v, problems) {
  const got = decodeCase(v.message_type, fromHex(v.bytes));
  if (got.error !== v.expected.error) problems.push(`error ${got.error}, expected ${v.expected.error}`);
  if (got.error === null && got.digest !== v.expected.digest) problems.push("digest differs");
  return got;
}

function checkVerdictSignature(v, problems) {
  const verdict = decodeVerdict(fromHex(v.verdict));
  let valid = true;
  try {
    verifySignature(verdict.verifierKey, DOMAINS.Verdict, verdict.body, verdict.signature);
  } catch (err) {
    if (!(err instanceof VerifyError)) throw err;
    valid = false;
  }
  if (valid !== v.expected.valid) problems.push(`signature valid: ${valid}, expected ${v.expected.valid}`);
  return { valid };
}

export function fraudCase(bytes) {
  try {
    const f = verifyFraudProof(bytes);
    return { convicts: true, index: json(f.index), provider_key: hex(f.providerKey), reason: f.reason };
  } catch (err) {
    return { convicts: errorClass(err) === "Unsupported" ? null : false, error: errorClass(err), message: err.message };
  }
}

function checkFraud(v, problems) {
  const got = fraudCase(fromHex(v.fraud_proof));
  const e = v.expected;
  if (got.convicts !== e.convicts) problems.push(`convicts ${got.convicts}, expected ${e.convicts}`);
  if (e.convicts && (got.index !== e.index || got.provider_key !== e.provider_key)) problems.push("convicts another chunk or key");
  if (!e.convicts && got.error !== e.error) problems.push(`error ${got.error}, expected ${e.error}`);
  return got;
}

export function equivocationCase(bytes) {
  try {
    return { convicts: true, provider_key: hex(verifyEquivocation(bytes)) };
  } catch (err) {
    return { convicts: false, error: errorClass(err), message: err.message };
  }
}

function checkEquivocation(v, problems) {
  const got = equivocationCase(fromHex(v.equivocation_proof));
  const e = v.expected;
  if (got.convicts !== e.convicts) problems.push(`convicts ${got.convicts}, expected ${e.convicts}`);
  if (e.convicts && got.provider_key !== e.provider_key) problems.push("convicts another key");
  if (!e.convicts && got.error !== e.error) problems.push(`error ${got.error}, expected ${e.error}`);
  return got;
}

const CHECKS = {
  round: checkRound,
  decode: checkDecode,
  verdict_signature: checkVerdictSignature,
  fraud_proof: checkFraud,
  equivocation: checkEquivocation,
};

// {name, kind, ok, got, problems}: `got` is what this verifier computed, `problems` where it
// disagrees with the vector's expectations.
export function checkVector(v) {
  const check = CHECKS[v.kind];
  if (!check) throw new UsageError(`${v.name}: unknown vector kind ${v.kind}`);
  const problems = [];
  const got = check(v, problems);
  return { name: v.name, kind: v.kind, ok: problems.length === 0, got, problems };
}
