// The known answers docs/SOUNDNESS.md states: derive_indices, beacon_seed, the signing input,
// samples_needed(10^6, 0.01, 0.99) = 459, describe(0.99991) and the table of section 3.2.
import { ascii, hex, sha256 } from "./bytes.mjs";
import { beaconSeed, deriveIndices } from "./challenge.mjs";
import { signingInput } from "./identity.mjs";
import { badChunkCount, describe, logMissProbability } from "./soundness.mjs";

export function selftest() {
  const failures = [];
  const expect = (ok, what) => {
    if (!ok) failures.push(what);
  };
  const range32 = Uint8Array.from({ length: 32 }, (_, i) => i);
  const kat = sha256(ascii("kat"));
  const rows = [
    [new Uint8Array(32), 100n, 10n, "8 9 13 16 24 50 60 76 78 95"],
    [range32, (1n << 64n) - 1n, 3n, "3372261427337155098 3774959143210186163 15154669102182386047"],
    [kat, (1n << 63n) + 1n, 4n, "5522259109451046723 7692982539701526053 9048841974382575586 9175618528056000303"],
    [kat, 1000n, 8n, "157 569 594 725 840 899 900 964"],
  ];
  for (const [seed, n, s, want] of rows) {
    expect(deriveIndices(seed, n, s).join(" ") === want, `derive_indices(n=${n}, s=${s})`);
  }
  expect(hex(beaconSeed(ascii("drand"), new Uint8Array(32))) === "6cdf31b1f7ad081fea480fd992f6998dd64ce05098a1527d2537a67bad34f384",
    "beacon_seed(b'drand', zeros)");
  expect(Buffer.from(signingInput("commitment/v1", ascii("abc"))).toString("latin1") === "verifiable/commitment/v1\x00abc",
    "signing_input example");
  // samples_needed(n, f, c): the smallest s with miss <= 1 - c
  const reaches = (n, f, c, s) => {
    const b = badChunkCount(n, f);
    const target = Math.log(c);
    return logMissProbability(n, b, s) <= target && logMissProbability(n, b, s - 1n) > target;
  };
  expect(badChunkCount(10n ** 6n, 0.01) === 10000n, "b(10^6, 0.01) = 10,000");
  expect(reaches(10n ** 6n, 0.01, 0.01, 459n), "samples_needed(10^6, 0.01, 0.99) = 459");
  expect(describe(0.99991) === "caught with probability 0.99991 (miss chance 1 in 11,000)", "describe(0.99991)");
  // section 3.2, interactive: miss targets 1e-2 and 1e-6 (1 - c computed exactly)
  const table = [
    [10, 0.1, 43, 123], [10, 0.01, 349, 729], [10, 0.001, 922, 1023], [20, 0.1, 44, 132], [20, 0.01, 459, 1374],
    [20, 0.001, 4591, 13713], [30, 0.1, 44, 132], [30, 0.01, 459, 1375], [30, 0.001, 4603, 13809],
  ];
  for (const [e, f, s99, s6] of table) {
    const n = 1n << BigInt(e);
    expect(reaches(n, f, 0.01, BigInt(s99)), `table: 2^${e}, ${f}, 0.99 -> ${s99}`);
    expect(reaches(n, f, 1e-6, BigInt(s6)), `table: 2^${e}, ${f}, 0.999999 -> ${s6}`);
  }
  return failures;
}
