// The workloads this verifier can check an opened chunk of. `params` is the job's Map of
// name -> BigInt | string | Uint8Array; `inputs` a Map of name -> {kind, data} with data the
// input's canonical bytes (PROTOCOL.md section 6). A check throws VerifyError for a wrong chunk
// and returns the probability that it passes a wrong chunk (0 for a recomputation).
import { VerifyError, equalBytes, sha256, u32 } from "./bytes.mjs";
import { parseArray } from "./messages.mjs";

export class WorkloadError extends Error {} // parameters or inputs that are not the workload's

function intParam(params, key, min, max) {
  const v = params.get(key);
  if (typeof v !== "bigint") throw new WorkloadError(`parameter '${key}' must be an int`);
  if (v < min || v > max) throw new WorkloadError(`parameter '${key}' must be in [${min}, ${max}]`);
  return v;
}

function onlyKeys(params, keys, name) {
  const got = [...params.keys()].sort();
  if (got.length !== keys.length || got.some((k, i) => k !== keys[i])) {
    throw new WorkloadError(`${name} takes exactly the parameters ${keys.join(", ")}`);
  }
}

// The raw bytes of an input: a bytes input as it is, an array's elements (little-endian).
function rawBytes(item) {
  return item.kind === "array" ? parseArray(item.data).data : item.data;
}

// chunk_digest: chunk i is SHA-256(data[i * chunk_size : (i + 1) * chunk_size]).
const chunkDigest = {
  name: "chunk_digest",
  inputNames: ["data"],
  canonical(params) {
    onlyKeys(params, ["chunk_size"], "chunk_digest");
    intParam(params, "chunk_size", 1n, 2n ** 40n);
  },
  chunkCount(params, inputs) {
    if (!inputs.has("data")) throw new WorkloadError("chunk_digest needs an input named 'data'");
    const size = BigInt(rawBytes(inputs.get("data")).length);
    const chunk = params.get("chunk_size");
    return (size + chunk - 1n) / chunk;
  },
  check(params, inputs, index, output) {
    const n = this.chunkCount(params, inputs);
    if (index >= n) throw new VerifyError(`chunk_digest: chunk index ${index} is out of range`);
    const data = rawBytes(inputs.get("data"));
    const chunk = params.get("chunk_size");
    const start = Number(index * chunk);
    const end = Math.min(data.length, Number((index + 1n) * chunk));
    if (!equalBytes(output, sha256(data.subarray(start, end)))) {
      throw new VerifyError(`chunk_digest: chunk ${index} differs from its recomputation`);
    }
    return 0;
  },
};

// vectors.words (tests/vectors/protocol/README.md): chunk i is the eight u32be words
// (multiplier * (8 i + j) + 0x9E3779B9) mod 2^32; the check reads word check_seed[0] mod 8 only.
const words = {
  name: "vectors.words",
  inputNames: [],
  canonical(params) {
    onlyKeys(params, ["count", "multiplier"], "vectors.words");
    intParam(params, "count", 1n, 2n ** 20n);
    intParam(params, "multiplier", 0n, 2n ** 32n - 1n);
  },
  chunkCount(params) {
    return params.get("count");
  },
  word(params, index, j) {
    return Number((params.get("multiplier") * (8n * index + BigInt(j)) + 0x9e3779b9n) % 2n ** 32n);
  },
  check(params, inputs, index, output, seed) {
    if (output.length !== 32) throw new VerifyError(`vectors.words: chunk ${index} is ${output.length} bytes, not 32`);
    const j = seed[0] % 8;
    if (!equalBytes(output.subarray(4 * j, 4 * j + 4), u32(this.word(params, index, j)))) {
      throw new VerifyError(`vectors.words: chunk ${index}, word ${j} is wrong`);
    }
    return 7 / 8;
  },
};

export const WORKLOADS = new Map([chunkDigest, words].map((w) => [w.name, w]));

export function getWorkload(name) {
  const w = WORKLOADS.get(name);
  if (!w) throw new WorkloadError(`workload '${name}' is not known to the JavaScript verifier`);
  return w;
}
