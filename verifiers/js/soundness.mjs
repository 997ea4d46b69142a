// Detection probability of a spot check and its words (docs/SOUNDNESS.md section 3; the words
// follow verifiable.soundness.describe, which the spec does not fix).
//
// Counts are BigInt (up to 2^64 - 1); every int/int ratio is rounded once, as Python's true
// division does, and sums use an exactly rounded fsum (Python's math.fsum), so the figures agree
// with the Python implementation up to the last-bit differences of log1p/exp between libms.
import { UsageError } from "./bytes.mjs";

const DIRECT_TERMS = 2048n;
const EM_GAP = 1024n;
const PGF_MAX_TERMS = 1000000n;

const abs = (x) => (x < 0n ? -x : x);

// a / b for BigInt a >= 0, b > 0, correctly rounded to the nearest double (ties to even).
export function ratio(a, b) {
  if (a === 0n) return 0;
  const LIMIT = 1n << 53n;
  if (a < LIMIT && b < LIMIT) return Number(a) / Number(b);
  // scale so the quotient has at least 55 bits, keep a sticky bit for the rounding
  const shift = Math.max(0, 55 - (a.toString(2).length - b.toString(2).length));
  const q = (a << BigInt(shift)) / b;
  const rem = (a << BigInt(shift)) % b;
  const withSticky = (q << 1n) | (rem !== 0n ? 1n : 0n);
  return Number(withSticky) / 2 ** (shift + 1);
}

// Python's math.fsum: Shewchuk's exact partials, then a correctly rounded total.
export function fsum(values) {
  const partials = [];
  for (let x of values) {
    let i = 0;
    for (let y of partials) {
      if (Math.abs(x) < Math.abs(y)) [x, y] = [y, x];
      const hi = x + y;
      const lo = y - (hi - x);
      if (lo !== 0) partials[i++] = lo;
      x = hi;
    }
    partials.length = i;
    partials.push(x);
  }
  let n = partials.length;
  if (n === 0) return 0;
  let hi = partials[--n];
  let lo = 0;
  while (n > 0) {
    const x = hi;
    const y = partials[--n];
    hi = x + y;
    const yr = hi - x;
    lo = y - yr;
    if (lo !== 0) break;
  }
  if (n > 0 && ((lo < 0 && partials[n - 1] < 0) || (lo > 0 && partials[n - 1] > 0))) {
    const y = lo * 2;
    const x = hi + y;
    if (y === x - hi) hi = x;
  }
  return hi;
}

// (1 - u) log1p(-u) + u, by its series for small u
function phi(u) {
  if (u < 0.125) {
    let total = 0;
    let power = u * u;
    for (let k = 2; ; k++) {
      const term = power / (k * (k - 1));
      total += term;
      if (term <= 1e-18 * total) return total;
      power *= u;
    }
  }
  return (1 - u) * Math.log1p(-u) + u;
}

// sum_{m=low}^{high} log(1 - j/m) by Euler-Maclaurin; needs low - j >= EM_GAP
function logFactorSumEM(j, low, high) {
  const a = Number(low);
  const b = Number(high);
  const jf = Number(j);
  const integral = -jf * Math.log1p(Number(high - low) / a) + b * phi(jf / b) - a * phi(jf / a);
  const g = (m) => Math.log1p(-jf / m);
  const d1 = (m) => jf / (m * (m - jf));
  const d3 = (m) => 2 / (m - jf) ** 3 - 2 / m ** 3;
  const d5 = (m) => 24 / (m - jf) ** 5 - 24 / m ** 5;
  return fsum([integral, 0.5 * (g(a) + g(b)), (d1(b) - d1(a)) / 12, -(d3(b) - d3(a)) / 720, (d5(b) - d5(a)) / 30240]);
}

function* logTerms(j, from, to) {
  for (let m = from; m < to; m++) yield Math.log1p(-ratio(j, m));
}

// log prod_{i=0}^{k-1} (1 - j/(n - i)), for j + k <= n
function logProduct(n, j, k) {
  if (j > k) [j, k] = [k, j];
  if (j === 0n || k === 0n) return 0;
  const low = n - k + 1n;
  if (k <= DIRECT_TERMS) return fsum(logTerms(j, low, n + 1n));
  let split = j + EM_GAP > low ? j + EM_GAP : low;
  if (split > n + 1n) split = n + 1n;
  const head = fsum(logTerms(j, low, split));
  if (split > n) return head;
  return head + logFactorSumEM(j, split, n);
}

// Two passes: walk the log terms keeping the largest (top), then fsum exp(term - top).
// Linear in the number of terms (rescaling a list at each new maximum was quadratic).
function logPgf(n, b, s, eps, j0, logP0) {
  const logEps = Math.log(eps);
  const jMax = s < b ? s : b;
  const termRatio = (j) => ratio((b - j) * (s - j), (j + 1n) * (n - b - s + j + 1n));
  let logTerm = logP0 + Number(j0) * logEps;
  let top = logTerm;
  const logTerms = [logTerm];
  let j = j0;
  let r = j < jMax ? termRatio(j) : 0;
  while (j < jMax) {
    if (j - j0 >= PGF_MAX_TERMS) {
      // with-replacement upper bound, evaluated as Python does: s * log1p(-(1 - eps) * b / n)
      return Number(s) * Math.log1p((-(1 - eps) * Number(b)) / Number(n));
    }
    logTerm += Math.log(r) + logEps;
    j += 1n;
    if (logTerm > top) top = logTerm;
    logTerms.push(logTerm);
    r = termRatio(j);
    const nextRatio = r * eps;
    if (nextRatio < 1 && logTerm < top - 45) {
      const tail = (Math.exp(logTerm - top) * nextRatio) / (1 - nextRatio);
      if (tail < 1e-18) break;
    }
  }
  return top + Math.log(fsum(logTerms.map((x) => Math.exp(x - top))));
}

// log of the probability that `s` uniform distinct checks of `n` chunks miss a cheat on `b`,
// each wrong chunk checked fooling its check with probability at most eps.
export function logMissProbability(n, b, s, eps = 0) {
  n = BigInt(n);
  b = BigInt(b);
  s = BigInt(s);
  if (n < 1n || b < 0n || b > n || s < 0n || s > n || !(eps >= 0 && eps <= 1)) throw new UsageError("bad counts");
  if (b === 0n || s === 0n || eps === 1) return 0;
  const j0 = s + b - n > 0n ? s + b - n : 0n;
  if (j0 > 0n && eps === 0) return -Infinity;
  const logP0 = j0 === 0n ? logProduct(n, b, s) : logProduct(n, n - b, n - s);
  if (eps === 0) return logP0;
  return Math.min(logPgf(n, b, s, eps, j0, logP0), 0); // a log probability is <= 0; rounding can overshoot
}

export function detectionProbability(n, b, s, eps = 0) {
  return 0 - Math.expm1(logMissProbability(n, b, s, eps)); // never -0
}

// max(1, ceil(f * n)) with f read as the decimal it prints as (0.01 is exactly 1/100).
export function badChunkCount(n, fraction) {
  n = BigInt(n);
  if (typeof fraction !== "number" || !(fraction > 0 && fraction <= 1)) throw new UsageError("bad_fraction in (0, 1]");
  const [num, den] = shortestDecimal(fraction);
  const c = (num * n + den - 1n) / den;
  return c > 1n ? c : 1n;
}

// The shortest decimal that reads back as x (JavaScript and Python print the same digits),
// as an exact fraction [numerator, denominator].
function shortestDecimal(x) {
  const m = /^(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(String(x));
  if (!m) throw new UsageError(`cannot read ${x} as a decimal`);
  const frac = m[2] ?? "";
  const exp = Number(m[3] ?? 0) - frac.length;
  const digits = BigInt(m[1] + frac);
  return exp >= 0 ? [digits * 10n ** BigInt(exp), 1n] : [digits, 10n ** BigInt(-exp)];
}

// ---- words (verifiable.soundness.describe) -------------------------------------------------

// The exact value of a finite double as [mantissa, exponent of 2] (x = m * 2^e).
function exactBinary(x) {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const e = Number((bits >> 52n) & 0x7ffn);
  const f = bits & ((1n << 52n) - 1n);
  return e === 0 ? [f, -1074] : [f | (1n << 52n), e - 1075];
}

// round(|x| * 10^d) to an integer, ties to even, exactly (d may be negative).
function scaledRound(x, d) {
  const [m, e] = exactBinary(Math.abs(x));
  let num = m;
  let den = 1n;
  if (e >= 0) num <<= BigInt(e);
  else den <<= BigInt(-e);
  if (d >= 0) num *= 10n ** BigInt(d);
  else den *= 10n ** BigInt(-d);
  const q = num / den;
  const r2 = 2n * (num % den);
  return r2 > den || (r2 === den && q % 2n === 1n) ? q + 1n : q;
}

const negative = (x) => x < 0 || Object.is(x, -0);

// Python's f"{x:.{d}f}" for finite x (a negative zero prints as "-0")
export function formatFixed(x, d) {
  if (negative(x)) return `-${formatFixed(-x, d)}`;
  const digits = scaledRound(x, d).toString().padStart(d + 1, "0");
  return d === 0 ? digits : `${digits.slice(0, -d)}.${digits.slice(-d)}`;
}

// Python's f"{x:.{p}g}" for finite x (a negative zero prints as "-0")
export function formatGeneral(x, p) {
  if (negative(x)) return `-${formatGeneral(-x, p)}`;
  if (x === 0) return "0";
  let exp = Math.floor(Math.log10(x));
  // fix the estimate so that 10^exp <= x < 10^(exp+1) after rounding to p digits
  for (;;) {
    const q = scaledRound(x, p - 1 - exp);
    if (q >= 10n ** BigInt(p)) exp += 1;
    else if (q < 10n ** BigInt(p - 1)) exp -= 1;
    else break;
  }
  const strip = (s) => (s.includes(".") ? s.replace(/0+$/, "").replace(/\.$/, "") : s);
  if (exp >= -4 && exp < p) return strip(formatFixed(x, p - 1 - exp));
  const q = scaledRound(x, p - 1 - exp).toString();
  const mantissa = strip(q.length > 1 ? `${q[0]}.${q.slice(1)}` : q);
  const sign = exp < 0 ? "-" : "+";
  return `${mantissa}e${sign}${String(Math.abs(exp)).padStart(2, "0")}`;
}

// Python's round(x, d) for finite x >= 0: the double nearest to the exactly rounded decimal
function roundTo(x, d) {
  const q = scaledRound(x, d);
  return d >= 0 ? Number(`${q}e-${d}`) : Number(`${q}e${-d}`);
}

const withCommas = (n) => n.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");

function oneIn(log10Odds) {
  let exponent = Math.floor(log10Odds);
  let mantissa = 10 ** (log10Odds - exponent);
  if (exponent >= 9) {
    if (roundTo(mantissa, 1) >= 10) {
      mantissa /= 10;
      exponent += 1;
    }
    return `1 in ${formatFixed(mantissa, 1)} x 10^${exponent}`;
  }
  const odds = 10 ** log10Odds;
  const rounded = roundTo(odds, -Math.max(0, exponent - 1));
  return `1 in ${withCommas(BigInt(Math.trunc(rounded)))}`;
}

function caughtPhrase(p, miss, log10Miss) {
  const rstrip0 = (s) => s.replace(/0+$/, "");
  if (miss >= 0.01) {
    const figure = miss >= 0.5 ? formatGeneral(p, 3) : rstrip0(formatFixed(p, Math.floor(-log10Miss) + 2));
    return `caught with probability ${figure} (miss chance ${formatGeneral(miss, 3)})`;
  }
  const decimals = Math.floor(-log10Miss) + 2;
  const figure = decimals > 15 ? "above 0.999999999999999" : rstrip0(formatFixed(p, decimals));
  return `caught with probability ${figure} (miss chance ${oneIn(-log10Miss)})`;
}



export function describe(p) {
  const m = 1 - p;
  if (m === 0) return "caught with probability 1 (miss chance below 1 in 10^16)";
  return caughtPhrase(p, m, Math.log10(m));
}
