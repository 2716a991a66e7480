import { expect } from "chai";
import { Signature, Wallet, ZeroAddress, concat, keccak256, recoverAddress, toBeHex, toUtf8Bytes, verifyTypedData } from "ethers";
import { AppError } from "../errors.js";
import { nativeRecovery, recoverSigner } from "../recover.js";
import {
  BALLOT_TYPE,
  BALLOT_TYPES,
  BallotHasher,
  ballotDigest,
  ballotDomain,
  isWellFormed,
  isWellFormedPaper,
  ownBallot,
  packChoices,
  packPaperChoices,
  unpackChoices,
  unpackPaperChoices,
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

  describe("packPaperChoices / unpackPaperChoices / isWellFormedPaper", function () {
    it("packs answers, unanswered and void questions of a paper decision", function () {
      const paper = packPaperChoices([Choice.For, "void", "unanswered", Choice.Abstain]);
      expect(paper).to.deep.equal({ choices: 0b11_00_00_01n, voidMask: 0b0010n });
      expect(unpackPaperChoices(paper, 4)).to.deep.equal([Choice.For, "void", "unanswered", Choice.Abstain]);
      expect(isWellFormedPaper(paper, 4)).to.equal(true);
      expect(() => packPaperChoices([])).to.throw(AppError, "1 to 64 questions, got 0").with.property("code", "malformed_choices");
      expect(() => packPaperChoices(["maybe" as "void"])).to.throw(AppError, "question 0").with.property("code", "malformed_choices");
    });

    it("matches the contract's rule: void only where unanswered, nothing past the last question", function () {
      expect(isWellFormedPaper({ choices: 0n, voidMask: 0n }, 2)).to.equal(true); // a blank decision still participates
      expect(isWellFormedPaper({ choices: 0b01n, voidMask: 0b01n }, 2)).to.equal(false); // void on an answered question
      expect(isWellFormedPaper({ choices: 0n, voidMask: 0b100n }, 2)).to.equal(false); // past the last question
      expect(isWellFormedPaper({ choices: 0b01_00_00n, voidMask: 0n }, 2)).to.equal(false);
      expect(isWellFormedPaper({ choices: 0n, voidMask: 0n }, 0)).to.equal(false);
    });
  });

  describe("ballotDigest", function () {
    it("is the digest that the signer's signature recovers from, binding representative and deadline", async function () {
      const wallet = Wallet.createRandom();
      const domain = ballotDomain(31337n, "0x5fbdb2315678afecb367f032d93f642f64180aa3");
      const ballot = ownBallot(7n, wallet.address, packChoices([Choice.For]), 1_800_000_000n);
      expect(ballot.representative).to.equal(ZeroAddress);
      const signature = await wallet.signTypedData(domain, BALLOT_TYPES, ballot);
      expect(verifyTypedData(domain, BALLOT_TYPES, ballot, signature)).to.equal(wallet.address);
      expect(ballotDigest(domain, ballot)).to.match(/^0x[0-9a-f]{64}$/);
      for (const changed of [
        { ...ballot, meetingId: 8n },
        { ...ballot, deadline: ballot.deadline + 1n },
        { ...ballot, representative: wallet.address },
      ]) {
        expect(ballotDigest(domain, changed)).not.to.equal(ballotDigest(domain, ballot));
      }
      expect(ballotDigest(ballotDomain(1n, domain.verifyingContract as string), ballot)).not.to.equal(ballotDigest(domain, ballot));
      expect(BALLOT_TYPE).to.equal("Ballot(uint256 meetingId,address voter,uint128 choices,address representative,uint64 deadline)");
    });
  });

  describe("BallotHasher", function () {
    it("computes the same digests as the EIP-712 encoder", function () {
      const domain = ballotDomain(31337n, "0x5fbdb2315678afecb367f032d93f642f64180aa3");
      const hasher = new BallotHasher(domain);
      for (let i = 0; i < 20; i++) {
        const ballot = {
          meetingId: BigInt(i * 7919 + 1),
          voter: Wallet.createRandom().address,
          choices: BigInt(i) * 0x155n + 1n,
          representative: i % 2 === 0 ? ZeroAddress : Wallet.createRandom().address,
          deadline: i % 3 === 0 ? 2n ** 64n - 1n : BigInt(1_700_000_000 + i * 86_400),
        };
        expect(hasher.digest(ballot.meetingId, ballot.voter, ballot.choices, ballot.representative, ballot.deadline)).to.equal(
          ballotDigest(domain, ballot),
        );
      }
    });
  });

  describe("recoverSigner", function () {
    it("recovers the signer as ethers does and refuses malleable or malformed signatures", async function () {
      const wallet = Wallet.createRandom();
      const domain = ballotDomain(31337n, "0x5fbdb2315678afecb367f032d93f642f64180aa3");
      const ballot = ownBallot(3n, wallet.address, 0b01n, 1_800_000_000n);
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
