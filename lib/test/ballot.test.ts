import { expect } from "chai";
import { Signature, Wallet, concat, keccak256, recoverAddress, toBeHex, toUtf8Bytes, verifyTypedData } from "ethers";
import { AppError } from "../errors.js";
import { nativeRecovery, recoverSigner } from "../recover.js";
import {
  BALLOT_TYPES,
  BallotHasher,
  ballotDigest,
  ballotDomain,
  isWellFormed,
  packChoices,
  unpackChoices,
} from "../ballot.js";
import { Choice } from "../domain.js";

describe("ballot (shared EIP-712 definition)", function () {
  describe("packChoices / unpackChoices", function () {
    it("packs two bits a question, question 0 lowest", function () {
      expect(packChoices([Choice.For, Choice.Against, Choice.Abstain])).to.equal(0b11_10_01n);
      expect(unpackChoices(0b11_10_01n, 3)).to.deep.equal([1, 2, 3]);
      expect(unpackChoices(0b01n, 2)).to.deep.equal([1, 0]);
    });

    it("packs 64 answers into 128 bits", function () {
      const packed = packChoices(Array(64).fill(Choice.Abstain));
      expect(packed).to.equal(2n ** 128n - 1n);
    });

    it("refuses no answers, more than 64, and values that are not an answer", function () {
      expect(() => packChoices([])).to.throw(AppError, "1 to 64 questions, got 0").with.property("code", "malformed_choices");
      expect(() => packChoices(Array(65).fill(Choice.For))).to.throw(AppError, "got 65").with.property("code", "malformed_choices");
      expect(() => packChoices([Choice.For, 0 as Choice])).to.throw(AppError, "question 1").with.property("code", "malformed_choices");
      expect(() => packChoices([4 as Choice])).to.throw(AppError, "question 0").with.property("code", "malformed_choices");
    });
  });

  describe("isWellFormed", function () {
    it("matches the contract's rule", function () {
      expect(isWellFormed(packChoices([Choice.For, Choice.For]), 2)).to.equal(true);
      expect(isWellFormed(packChoices([Choice.For]), 2)).to.equal(false); // question 1 unanswered
      expect(isWellFormed(packChoices([Choice.For, Choice.For, Choice.For]), 2)).to.equal(false); // extra bits
      expect(isWellFormed(0n, 1)).to.equal(false);
      expect(isWellFormed(1n, 0)).to.equal(false);
      expect(isWellFormed(-1n, 1)).to.equal(false);
    });
  });

  describe("ballotDigest", function () {
    it("is the digest that the voter's signature recovers from", async function () {
      const wallet = Wallet.createRandom();
      const domain = ballotDomain(31337n, "0x5fbdb2315678afecb367f032d93f642f64180aa3");
      const ballot = { meetingId: 7n, voter: wallet.address, choices: packChoices([Choice.For]) };
      const signature = await wallet.signTypedData(domain, BALLOT_TYPES, ballot);
      expect(verifyTypedData(domain, BALLOT_TYPES, ballot, signature)).to.equal(wallet.address);
      expect(ballotDigest(domain, ballot)).to.match(/^0x[0-9a-f]{64}$/);
      expect(ballotDigest(domain, { ...ballot, meetingId: 8n })).not.to.equal(ballotDigest(domain, ballot));
      expect(ballotDigest(ballotDomain(1n, domain.verifyingContract as string), ballot)).not.to.equal(ballotDigest(domain, ballot));
    });
  });

  describe("BallotHasher", function () {
    it("computes the same digests as the EIP-712 encoder", function () {
      const domain = ballotDomain(31337n, "0x5fbdb2315678afecb367f032d93f642f64180aa3");
      const hasher = new BallotHasher(domain);
      for (let i = 0; i < 20; i++) {
        const ballot = { meetingId: BigInt(i * 7919 + 1), voter: Wallet.createRandom().address, choices: BigInt(i) * 0x155n + 1n };
        expect(hasher.digest(ballot.meetingId, ballot.voter, ballot.choices)).to.equal(ballotDigest(domain, ballot));
      }
    });
  });

  describe("recoverSigner", function () {
    it("recovers the signer as ethers does and refuses malleable or malformed signatures", async function () {
      const wallet = Wallet.createRandom();
      const domain = ballotDomain(31337n, "0x5fbdb2315678afecb367f032d93f642f64180aa3");
      const ballot = { meetingId: 3n, voter: wallet.address, choices: 0b01n };
      const signature = await wallet.signTypedData(domain, BALLOT_TYPES, ballot);
      const digest = ballotDigest(domain, ballot);
      expect(recoverSigner(digest, signature)).to.equal(wallet.address.toLowerCase());
      // the same signature with s' = n - s (and v flipped) is valid ECDSA but malleable
      const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
      const sig = Signature.from(signature);
      const flipped = concat([sig.r, toBeHex(n - BigInt(sig.s), 32), new Uint8Array([sig.v === 27 ? 28 : 27])]);
      expect(recoverSigner(digest, flipped)).to.equal(null);
      expect(recoverSigner(digest, "0x1234")).to.equal(null);
      expect(recoverSigner(digest, signature.slice(0, -2) + "05")).to.equal(null);
    });

    it("recovers with the native libsecp256k1 here, as ethers' pure recovery does, for good and bad signatures alike", function () {
      // The add-on ships for this platform; without it every relayer and audit would run 50× slower.
      expect(nativeRecovery).to.equal(true);
      const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
      const hex = (v: bigint) => toBeHex(v, 32).slice(2);
      /** ethers' recovery (pure JavaScript) under the contract's rules: low s, v of 27/28 or 0/1. */
      const pure = (digest: string, signature: string): string | null => {
        if (!/^0x[0-9a-fA-F]{130}$/.test(signature)) return null;
        if (BigInt("0x" + signature.slice(66, 130)) > n / 2n) return null;
        if (![0, 1, 27, 28].includes(parseInt(signature.slice(130), 16))) return null;
        try {
          return recoverAddress(digest, signature).toLowerCase();
        } catch {
          return null;
        }
      };
      const cases: Array<{ digest: string; signature: string; signer?: string }> = [];
      for (let i = 0; i < 24; i++) {
        const wallet = Wallet.createRandom();
        const digest = keccak256(toUtf8Bytes(`ballot ${i}`));
        const sig = wallet.signingKey.sign(digest);
        const body = sig.r.slice(2) + sig.s.slice(2);
        const signer = wallet.address.toLowerCase();
        cases.push(
          { digest, signature: sig.serialized, signer },
          { digest, signature: `0x${body}${(sig.v - 27).toString(16).padStart(2, "0")}`, signer }, // v as 0/1
          { digest: keccak256(toUtf8Bytes(`another ballot ${i}`)), signature: sig.serialized }, // another digest: another key
          { digest, signature: `0x${sig.r.slice(2)}${hex(n - BigInt(sig.s))}${sig.v === 27 ? "1c" : "1b"}` }, // high s
          { digest, signature: `0x${body}${(sig.v + 2).toString(16)}` }, // v out of range
          { digest, signature: sig.serialized.slice(0, -2) }, // 64 bytes
          { digest, signature: sig.serialized + "00" }, // 66 bytes
        );
      }
      const digest = keccak256(toUtf8Bytes("edge"));
      for (const [r, s] of [
        [0n, 1n],
        [1n, 0n],
        [n, 1n],
        [n + 1n, 1n],
        [(1n << 256n) - 1n, 1n],
        [5n, 7n], // no curve point has x = 5
        [1n, n / 2n],
        [1n, n / 2n + 1n],
      ]) {
        for (const v of ["1b", "1c"]) cases.push({ digest, signature: `0x${hex(r)}${hex(s)}${v}` });
      }
      cases.push({ digest, signature: "0x" + "zz".repeat(65) }, { digest: "0x1234", signature: cases[0]!.signature });

      let refused = 0;
      for (const c of cases) {
        const native = recoverSigner(c.digest, c.signature);
        expect(native, `${c.digest} ${c.signature}`).to.equal(pure(c.digest, c.signature));
        if (c.signer) expect(native).to.equal(c.signer);
        if (native === null) refused++;
      }
      expect(refused).to.be.at.least(24 * 4 + 2, "every malleable, out-of-range and malformed signature is refused");
    });
  });
});
