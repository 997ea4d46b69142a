// Byte helpers shared by the JavaScript verifier (Node.js standard library only).
import { createHash } from "node:crypto";

export class DecodeError extends Error {}
export class VerifyError extends Error {}
// An argument the caller got wrong (not a property of the messages being checked).
export class UsageError extends Error {}

export const HASH_SIZE = 32;
export const U64_MAX = (1n << 64n) - 1n;

export function sha256(...parts) {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

export function concat(...parts) {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function ascii(text) {
  return new Uint8Array(Buffer.from(text, "latin1"));
}

export function utf8(text) {
  return new Uint8Array(Buffer.from(text, "utf8"));
}

export function hex(bytes) {
  return Buffer.from(bytes).toString("hex");
}

export function fromHex(s, what = "hex") {
  if (typeof s !== "string" || s.length % 2 !== 0 || /[^0-9a-f]/.test(s)) throw new UsageError(`${what}: not lowercase hex`);
  return new Uint8Array(Buffer.from(s, "hex"));
}

export function equalBytes(a, b) {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

// Lexicographic byte order, a proper prefix first (Python's bytes comparison).
export function compareBytes(a, b) {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

export const u8 = (v) => Uint8Array.of(v);
export const u16 = (v) => Uint8Array.of((v >>> 8) & 0xff, v & 0xff);
export const u32 = (v) => Uint8Array.of((v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);

export function u64(v) {
  let x = BigInt(v);
  if (x < 0n || x > U64_MAX) throw new RangeError(`u64 out of range: ${x}`);
  const out = new Uint8Array(8);
  for (let i = 7; i >= 0; i--) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}

export function f64(v) {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setFloat64(0, v, false);
  return out;
}

export function readU64(bytes, at = 0) {
  let v = 0n;
  for (let i = 0; i < 8; i++) v = (v << 8n) | BigInt(bytes[at + i]);
  return v;
}

const STRICT_UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

// A strict, bounded reader: every length is checked against the bytes left before it is read.
export class Reader {
  constructor(bytes, what) {
    this.b = bytes;
    this.pos = 0;
    this.what = what;
  }
  fail(message) {
    throw new DecodeError(`${this.what}: ${message}`);
  }
  remaining() {
    return this.b.length - this.pos;
  }
  take(n) {
    if (typeof n === "bigint") {
      if (n > BigInt(this.remaining())) this.fail(`truncated (needs ${n} bytes at offset ${this.pos})`);
      n = Number(n);
    }
    if (n < 0 || n > this.remaining()) this.fail(`truncated (needs ${n} bytes at offset ${this.pos})`);
    const out = this.b.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  u8() {
    return this.take(1)[0];
  }
  u16() {
    const s = this.take(2);
    return (s[0] << 8) | s[1];
  }
  u32() {
    const s = this.take(4);
    return s[0] * 0x1000000 + ((s[1] << 16) | (s[2] << 8) | s[3]);
  }
  u64() {
    return readU64(this.take(8));
  }
  f64() {
    const s = this.take(8);
    return new DataView(s.buffer, s.byteOffset, 8).getFloat64(0, false);
  }
  // A declared count: at most `limit`, and `n * itemSize` bytes must still be there.
  count(n, itemSize, limit, name) {
    const big = BigInt(n);
    if (big > BigInt(limit)) this.fail(`${name} count ${n} exceeds the limit ${limit}`);
    if (big * BigInt(itemSize) > BigInt(this.remaining())) this.fail(`truncated (${n} ${name} declared)`);
    return Number(big);
  }
  blob(length, limit, name) {
    return this.take(this.count(length, 1, limit, `${name} byte`));
  }
  text(raw, what) {
    try {
      return STRICT_UTF8.decode(raw);
    } catch {
      return this.fail(`${what} is not valid UTF-8`);
    }
  }
  // u8 length (1..255) and UTF-8 text; returns [text, raw bytes]
  name(what) {
    const n = this.u8();
    if (n === 0) this.fail(`empty ${what}`);
    const raw = this.take(n);
    return [this.text(raw, what), raw];
  }
  boolean(what) {
    const v = this.u8();
    if (v > 1) this.fail(`${what} must be 0 or 1, got ${v}`);
    return v === 1;
  }
  enumeration(table, what) {
    const v = this.u8();
    if (!(v in table)) this.fail(`unknown ${what} ${v}`);
    return table[v];
  }
  finish() {
    if (this.pos !== this.b.length) this.fail(`${this.b.length - this.pos} trailing bytes`);
  }
}
