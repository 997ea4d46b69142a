// The protocol's messages (docs/PROTOCOL.md section 2): strict decoders and canonical encoders.
//
// Every decoder refuses (DecodeError) a wrong magic, type or version, a short read, trailing
// bytes, a count or length above its limit (checked against the bytes left before reading), names
// not strictly increasing, non-minimal integers, negative zero, invalid UTF-8, an unknown
// enumeration value and any field outside its range. A decoded message re-encodes to the same
// bytes (checked on every decode), so its digest is SHA-256 of the bytes received.
import {
  DecodeError,
  HASH_SIZE,
  Reader,
  ascii,
  compareBytes,
  concat,
  f64,
  sha256,
  u16,
  u32,
  u64,
  u8,
  utf8,
} from "./bytes.mjs";
import { decodeMultiProof, encodeMultiProof } from "./merkle.mjs";

export const MAGIC = ascii("VFPR");
export const VERSION = 1;
export const SIGNATURE_SIZE = 64;
export const KEY_SIZE = 32;

export const TYPES = {
  Job: 1,
  Commitment: 2,
  Challenge: 3,
  SpotCheckProof: 4,
  Verdict: 5,
  FraudProof: 6,
  EquivocationProof: 7,
};
const TYPE_NAMES = Object.fromEntries(Object.entries(TYPES).map(([k, v]) => [v, k]));

export const DOMAINS = {
  Commitment: "commitment/v1",
  Challenge: "challenge/v1",
  SpotCheckProof: "spot-check-proof/v1",
  Verdict: "verdict/v1",
};

export const LIMITS = {
  name: 255,
  params: 256,
  paramValue: 1 << 16,
  intBytes: 32,
  inputs: 256,
  opened: 1 << 20,
  chunkOutput: 64 * (1 << 20),
  beacon: 1024,
  reasons: 64,
  text: 1024,
  embeddedInput: 2n ** 40n,
  nested: 2n ** 46n,
  ndim: 32,
};

const TREE_MODES = { 1: "rfc6962" };
const METHODS = { 1: "interactive", 2: "beacon" };
const METHOD_CODES = { interactive: 1, beacon: 2 };
const INPUT_KINDS = { 1: "bytes", 2: "array" };
const INPUT_KIND_CODES = { bytes: 1, array: 2 };
const WORKLOAD_NAME = /^[a-z][a-z0-9_.-]{0,63}$/;

function header(type) {
  return concat(MAGIC, u8(TYPES[type]), u8(VERSION));
}

function readHeader(r, type) {
  const magic = r.take(4);
  if (compareBytes(magic, MAGIC) !== 0) r.fail("wrong magic");
  const tag = r.u8();
  if (tag !== TYPES[type]) r.fail(`these bytes encode a ${TYPE_NAMES[tag] ?? `unknown type ${tag}`}, not a ${type}`);
  const version = r.u8();
  if (version !== VERSION) r.fail(`unknown version ${version}`);
}

// Entries whose raw names must be strictly increasing (sorted, no duplicates).
function checkIncreasing(r, rawNames, what) {
  for (let i = 1; i < rawNames.length; i++) {
    if (compareBytes(rawNames[i - 1], rawNames[i]) >= 0) r.fail(`${what} must be strictly increasing`);
  }
}

function decodeWith(type, bytes, body) {
  const r = new Reader(bytes, type);
  readHeader(r, type);
  const msg = body(r);
  r.finish();
  msg.type = type;
  msg.bytes = bytes;
  msg.digest = sha256(bytes);
  if (DOMAINS[type]) msg.body = bytes.subarray(0, bytes.length - SIGNATURE_SIZE);
  const again = ENCODERS[type](msg);
  if (compareBytes(again, bytes) !== 0) throw new Error(`internal: ${type} does not re-encode to its bytes`);
  return msg;
}

// ---- Job ---------------------------------------------------------------------------------

function decodeParam(r, key) {
  const tag = r.u8();
  if (tag === 1 || tag === 2) {
    const n = r.u8();
    if (n > LIMITS.intBytes) r.fail(`parameter '${key}' has a ${n}-byte integer (limit ${LIMITS.intBytes})`);
    const mag = r.take(n);
    if (n > 0 && mag[0] === 0) r.fail(`parameter '${key}' is a non-minimal integer (leading zero byte)`);
    if (tag === 2 && n === 0) r.fail(`parameter '${key}' is a negative zero`);
    let v = 0n;
    for (const x of mag) v = (v << 8n) | BigInt(x);
    return tag === 1 ? v : -v;
  }
  if (tag === 3) return r.text(r.blob(r.u32(), LIMITS.paramValue, "parameter"), `parameter '${key}'`);
  if (tag === 4) return Uint8Array.from(r.blob(r.u32(), LIMITS.paramValue, "parameter"));
  return r.fail(`parameter '${key}' has unknown type tag ${tag}`);
}

function encodeParam(v) {
  if (typeof v === "bigint") {
    let m = v < 0n ? -v : v;
    const mag = [];
    while (m > 0n) {
      mag.unshift(Number(m & 0xffn));
      m >>= 8n;
    }
    return concat(u8(v < 0n ? 2 : 1), u8(mag.length), Uint8Array.from(mag));
  }
  if (typeof v === "string") {
    const raw = utf8(v);
    return concat(u8(3), u32(raw.length), raw);
  }
  return concat(u8(4), u32(v.length), v);
}

export function decodeJob(bytes) {
  return decodeWith("Job", bytes, (r) => {
    const workload = r.text(r.take(r.u8()), "workload name");
    if (!WORKLOAD_NAME.test(workload)) r.fail(`workload name ${JSON.stringify(workload)} is not a valid workload name`);
    const nParams = r.count(r.u16(), 3, LIMITS.params, "parameter");
    const params = new Map();
    const rawKeys = [];
    for (let i = 0; i < nParams; i++) {
      const [key, raw] = r.name("parameter name");
      rawKeys.push(raw);
      checkIncreasing(r, rawKeys, "parameter names");
      params.set(key, decodeParam(r, key));
    }
    const nInputs = r.count(r.u16(), 2 + HASH_SIZE, LIMITS.inputs, "input");
    const inputDigests = new Map();
    const rawNames = [];
    for (let i = 0; i < nInputs; i++) {
      const [name, raw] = r.name("input name");
      rawNames.push(raw);
      checkIncreasing(r, rawNames, "input names");
      inputDigests.set(name, r.take(HASH_SIZE));
    }
    const nChunks = r.u64();
    if (nChunks < 1n) r.fail("n_chunks must be at least 1");
    return { workload, params, inputDigests, nChunks };
  });
}

function encodeJob(m) {
  const name = ascii(m.workload);
  const parts = [header("Job"), u8(name.length), name, u16(m.params.size)];
  for (const [key, value] of m.params) {
    const raw = utf8(key);
    parts.push(u8(raw.length), raw, encodeParam(value));
  }
  parts.push(u16(m.inputDigests.size));
  for (const [key, digest] of m.inputDigests) {
    const raw = utf8(key);
    parts.push(u8(raw.length), raw, digest);
  }
  parts.push(u64(m.nChunks));
  return concat(...parts);
}

// ---- Commitment --------------------------------------------------------------------------

export function decodeCommitment(bytes) {
  return decodeWith("Commitment", bytes, (r) => {
    const jobId = r.take(HASH_SIZE);
    const providerKey = r.take(KEY_SIZE);
    const nChunks = r.u64();
    if (nChunks < 1n) r.fail("n_chunks must be at least 1");
    const treeMode = r.enumeration(TREE_MODES, "tree mode");
    const root = r.take(HASH_SIZE);
    return { jobId, providerKey, nChunks, treeMode, root, signature: r.take(SIGNATURE_SIZE) };
  });
}

function encodeCommitment(m) {
  return concat(header("Commitment"), m.jobId, m.providerKey, u64(m.nChunks), u8(1), m.root, m.signature);
}

// ---- Challenge ---------------------------------------------------------------------------

export function decodeChallenge(bytes) {
  return decodeWith("Challenge", bytes, (r) => {
    const jobId = r.take(HASH_SIZE);
    const commitmentDigest = r.take(HASH_SIZE);
    const nChunks = r.u64();
    if (nChunks < 1n) r.fail("n_chunks must be at least 1");
    const method = r.enumeration(METHODS, "challenge method");
    const beacon = r.blob(r.u16(), LIMITS.beacon, "beacon");
    if (method === "beacon" && beacon.length === 0) r.fail("a beacon challenge needs a beacon of 1-1024 bytes");
    if (method === "interactive" && beacon.length !== 0) r.fail("an interactive challenge has no beacon");
    const seed = r.take(HASH_SIZE);
    const nonce = r.take(HASH_SIZE);
    const verifierKey = r.take(KEY_SIZE);
    const k = r.count(r.u32(), 8 + HASH_SIZE, LIMITS.opened, "index");
    if (k < 1) r.fail("a challenge opens 1-2^20 chunks, got 0");
    const indices = [];
    for (let i = 0; i < k; i++) indices.push(r.u64());
    for (let i = 1; i < k; i++) if (indices[i] <= indices[i - 1]) r.fail("challenge indices must be strictly increasing");
    if (indices[k - 1] >= nChunks) r.fail(`challenge index ${indices[k - 1]} is out of range for ${nChunks} chunks`);
    const checkSeeds = [];
    for (let i = 0; i < k; i++) checkSeeds.push(r.take(HASH_SIZE));
    const signature = r.take(SIGNATURE_SIZE);
    return { jobId, commitmentDigest, nChunks, method, beacon, seed, nonce, verifierKey, indices, checkSeeds, signature };
  });
}

function encodeChallenge(m) {
  return concat(
    header("Challenge"), m.jobId, m.commitmentDigest, u64(m.nChunks), u8(METHOD_CODES[m.method]), u16(m.beacon.length),
    m.beacon, m.seed, m.nonce, m.verifierKey, u32(m.indices.length), ...m.indices.map(u64), ...m.checkSeeds, m.signature,
  );
}

// ---- SpotCheckProof ----------------------------------------------------------------------

// magic, version, tree_size, k, k indices, count, at most 64 siblings per index
const multiproofLimit = (k) => 21 + 8 * k + HASH_SIZE * 64 * Math.max(1, k);

export function decodeSpotCheckProof(bytes) {
  return decodeWith("SpotCheckProof", bytes, (r) => {
    const challengeDigest = r.take(HASH_SIZE);
    const k = r.count(r.u32(), 4, LIMITS.opened, "output");
    if (k < 1) r.fail("a proof opens 1-2^20 chunks, got 0");
    const outputs = [];
    for (let i = 0; i < k; i++) outputs.push(r.blob(r.u32(), LIMITS.chunkOutput, "output"));
    const mpBytes = r.blob(r.u32(), multiproofLimit(k), "multiproof");
    let multiproof;
    try {
      multiproof = decodeMultiProof(mpBytes);
    } catch (e) {
      if (e instanceof DecodeError) r.fail(`multiproof: ${e.message}`);
      throw e;
    }
    if (multiproof.indices.length !== k) {
      r.fail(`the multiproof opens ${multiproof.indices.length} leaves but ${k} outputs are given`);
    }
    return { challengeDigest, outputs, multiproof, multiproofBytes: mpBytes, signature: r.take(SIGNATURE_SIZE) };
  });
}

function encodeSpotCheckProof(m) {
  const mp = encodeMultiProof(m.multiproof);
  const parts = [header("SpotCheckProof"), m.challengeDigest, u32(m.outputs.length)];
  for (const o of m.outputs) parts.push(u32(o.length), o);
  parts.push(u32(mp.length), mp, m.signature);
  return concat(...parts);
}

// ---- Verdict -----------------------------------------------------------------------------

export function decodeVerdict(bytes) {
  return decodeWith("Verdict", bytes, (r) => {
    const accepted = r.boolean("accepted");
    const [jobId, commitmentDigest, challengeDigest, proofDigest] = [0, 1, 2, 3].map(() => r.take(HASH_SIZE));
    const badFraction = r.f64();
    const detectionProbability = r.f64();
    for (const v of [badFraction, detectionProbability]) {
      if (!(v >= 0 && v <= 1) || Object.is(v, -0)) r.fail(`probability ${v} is not in [0, 1] (or is a negative zero)`);
    }
    const soundness = r.text(r.blob(r.u16(), LIMITS.text, "soundness"), "soundness");
    const n = r.count(r.u16(), 2, LIMITS.reasons, "reason");
    const reasons = [];
    for (let i = 0; i < n; i++) reasons.push(r.text(r.blob(r.u16(), LIMITS.text, "reason"), "reason"));
    if (accepted === reasons.length > 0) {
      r.fail("an accepted verdict has no reasons; a rejected one needs at least one");
    }
    const verifierKey = r.take(KEY_SIZE);
    return {
      accepted, jobId, commitmentDigest, challengeDigest, proofDigest, badFraction, detectionProbability, soundness,
      reasons, verifierKey, signature: r.take(SIGNATURE_SIZE),
    };
  });
}

export function encodeVerdictBody(m) {
  const words = utf8(m.soundness);
  const parts = [
    header("Verdict"), u8(m.accepted ? 1 : 0), m.jobId, m.commitmentDigest, m.challengeDigest, m.proofDigest,
    f64(m.badFraction), f64(m.detectionProbability), u16(words.length), words, u16(m.reasons.length),
  ];
  for (const reason of m.reasons) {
    const raw = utf8(reason);
    parts.push(u16(raw.length), raw);
  }
  parts.push(m.verifierKey);
  return concat(...parts);
}

const encodeVerdict = (m) => concat(encodeVerdictBody(m), m.signature);

// ---- embedded inputs (section 6) ---------------------------------------------------------

const ARRAY_MAGIC = concat(ascii("VFAR"), u8(1));
// numpy's type strings of the kinds b, i, u, f, c in little-endian or byte-order-free form.
// <f16 and <c32 (x87 long double) are refused: they exist only on some platforms.
export const ARRAY_DTYPES = new Map([
  ["|b1", 1], ["|i1", 1], ["|u1", 1], ["<i2", 2], ["<u2", 2], ["<i4", 4], ["<u4", 4], ["<i8", 8], ["<u8", 8],
  ["<f2", 2], ["<f4", 4], ["<f8", 8], ["<c8", 8], ["<c16", 16],
]);

// "VFAR" 01 | u8 L dtype | u8 ndim | ndim x u64 shape | data: returns {dtype, shape, data}
export function parseArray(bytes) {
  const r = new Reader(bytes, "embedded array");
  if (compareBytes(r.take(ARRAY_MAGIC.length), ARRAY_MAGIC) !== 0) r.fail("wrong header");
  const code = Buffer.from(r.take(r.u8())).toString("latin1");
  if (!ARRAY_DTYPES.has(code)) r.fail(`dtype ${JSON.stringify(code)} is not a canonical little-endian numeric dtype`);
  const ndim = r.u8();
  if (ndim > LIMITS.ndim) r.fail(`${ndim} dimensions (limit ${LIMITS.ndim})`);
  const shape = [];
  let size = BigInt(ARRAY_DTYPES.get(code));
  for (let i = 0; i < ndim; i++) {
    const d = r.u64();
    shape.push(d);
    size *= d;
  }
  if (size !== BigInt(r.remaining())) r.fail(`shape needs ${size} bytes, ${r.remaining()} present`);
  return { dtype: code, shape, data: r.take(r.remaining()) };
}

// ---- FraudProof --------------------------------------------------------------------------

function nested(r, decode, what) {
  try {
    return decode(r);
  } catch (e) {
    if (e instanceof DecodeError) r.fail(`${what}: ${e.message}`);
    throw e;
  }
}

export function decodeFraudProof(bytes) {
  return decodeWith("FraudProof", bytes, (r) => {
    const index = r.u64();
    const job = nested(r, () => decodeJob(r.blob(r.u32(), LIMITS.nested, "job")), "job");
    const commitment = nested(r, () => decodeCommitment(r.blob(r.u32(), LIMITS.nested, "commitment")), "commitment");
    const challenge = nested(r, () => decodeChallenge(r.blob(r.u32(), LIMITS.nested, "challenge")), "challenge");
    const proof = nested(r, () => decodeSpotCheckProof(r.blob(r.u64(), LIMITS.nested, "proof")), "proof");
    const n = r.count(r.u16(), 11, LIMITS.inputs, "input");
    const inputs = new Map();
    const rawNames = [];
    for (let i = 0; i < n; i++) {
      const [name, raw] = r.name("input name");
      rawNames.push(raw);
      checkIncreasing(r, rawNames, "input names");
      const kind = r.enumeration(INPUT_KINDS, "input kind");
      const data = r.blob(r.u64(), LIMITS.embeddedInput, "input");
      if (kind === "array") nested(r, () => parseArray(data), `input '${name}'`);
      inputs.set(name, { kind, data });
    }
    return { index, job, commitment, challenge, proof, inputs };
  });
}

// `inputs` is a Map name -> {kind, data}; it is written in name order (by UTF-8 bytes).
export function encodeFraudProof(m) {
  const [job, com, ch, pr] = [m.job, m.commitment, m.challenge, m.proof].map((x) => x.bytes);
  const parts = [header("FraudProof"), u64(m.index), u32(job.length), job, u32(com.length), com, u32(ch.length), ch,
    u64(pr.length), pr, u16(m.inputs.size)];
  const names = [...m.inputs.keys()].sort((a, b) => compareBytes(utf8(a), utf8(b)));
  for (const name of names) {
    const { kind, data } = m.inputs.get(name);
    const raw = utf8(name);
    parts.push(u8(raw.length), raw, u8(INPUT_KIND_CODES[kind]), u64(data.length), data);
  }
  return concat(...parts);
}

// ---- EquivocationProof -------------------------------------------------------------------

export function decodeEquivocationProof(bytes) {
  return decodeWith("EquivocationProof", bytes, (r) => {
    const a = r.blob(r.u32(), LIMITS.nested, "commitment");
    const b = r.blob(r.u32(), LIMITS.nested, "commitment");
    if (compareBytes(a, b) >= 0) r.fail("the two commitments must be in increasing byte order");
    return {
      first: nested(r, () => decodeCommitment(a), "first commitment"),
      second: nested(r, () => decodeCommitment(b), "second commitment"),
    };
  });
}

function encodeEquivocationProof(m) {
  const [a, b] = [m.first.bytes, m.second.bytes];
  return concat(header("EquivocationProof"), u32(a.length), a, u32(b.length), b);
}

const ENCODERS = {
  Job: encodeJob,
  Commitment: encodeCommitment,
  Challenge: encodeChallenge,
  SpotCheckProof: encodeSpotCheckProof,
  Verdict: encodeVerdict,
  FraudProof: encodeFraudProof,
  EquivocationProof: encodeEquivocationProof,
};

export const DECODERS = {
  Job: decodeJob,
  Commitment: decodeCommitment,
  Challenge: decodeChallenge,
  SpotCheckProof: decodeSpotCheckProof,
  Verdict: decodeVerdict,
  FraudProof: decodeFraudProof,
  EquivocationProof: decodeEquivocationProof,
};

// Decode bytes of any type, named by the type tag after the magic.
export function decodeAny(bytes) {
  const tag = bytes.length >= 6 ? bytes[4] : 0;
  const type = TYPE_NAMES[tag];
  if (!type) throw new DecodeError("not a verifiable protocol message (unknown type tag)");
  return DECODERS[type](bytes);
}
