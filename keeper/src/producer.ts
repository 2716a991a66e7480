/**
 * Produces each finalized meeting's protocol once: recounts the meeting from the chain (once its
 * finalization is under `confirmations` blocks), takes the agenda's wordings from the document store
 * and the annex from the registrar, checks the annex against the chain, builds the XML and the PDF
 * (lib/protocol), signs both with the operator's key, keeps a local copy of every file with a
 * manifest, stores them in the document store and records their ids.
 *
 * Once: the local manifest is written before anything is stored, and a keeper restarted after it
 * stores those very files again (the store answers the same ids for the same bytes) instead of
 * building a second protocol; the record is written last. A protocol with any difference — the
 * recount against the contract, the annex against the register on chain, a wording missing — is not
 * signed: the problem is recorded and logged, and the keeper tries again later.
 */
import { existsSync } from "node:fs";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { keccak256 } from "ethers";
import type { DocumentStore } from "#lib/documents-client.js";
import { AppError } from "#lib/errors.js";
import type { Deployment } from "#lib/deployment.js";
import type { Logger } from "#lib/log.js";
import { ChainReader } from "#lib/recount/chain.js";
import { loadMeeting } from "#lib/recount/recount.js";
import { protocolFromChain } from "#lib/protocol/build.js";
import { renderProtocolFiles, type ProtocolFile } from "#lib/protocol/files.js";
import type { Language } from "#lib/protocol/labels.js";
import type { ProtocolSigner } from "#lib/protocol/signer.js";
import { now, type Database } from "./db.js";
import type { AnnexSource } from "./registrar-client.js";

/** The files stored for a protocol, by role. */
const STORED: ReadonlyArray<ProtocolFile["role"]> = ["xml", "pdf", "xml-signature", "pdf-signature", "jwks"];

export interface StoredDocument {
  id: string;
  name: string;
  contentType: string;
  size: number;
}

export type ProtocolDocuments = Record<"xml" | "pdf" | "xmlSignature" | "pdfSignature" | "jwks", StoredDocument>;

const KEY: Record<string, keyof ProtocolDocuments> = { xml: "xml", pdf: "pdf", "xml-signature": "xmlSignature", "pdf-signature": "pdfSignature", jwks: "jwks" };

interface Manifest {
  meetingId: string;
  finalizedTx: string | null;
  files: Array<{ name: string; role: ProtocolFile["role"]; contentType: string; id: string }>;
}

export interface ProducerOptions {
  rpcUrl: string;
  deployment: Deployment;
  language: Language;
  place?: string;
  confirmations: number;
  protocolsDir: string;
}

export class Producer {
  /** Protocols built (not restored from a manifest) by this process. */
  built = 0;

  constructor(
    private readonly db: Database,
    private readonly signer: ProtocolSigner,
    private readonly annexes: AnnexSource,
    private readonly documents: DocumentStore,
    private readonly options: ProducerOptions,
    private readonly log: Logger,
  ) {}

  /** Produces the protocol of every finalized meeting that has none yet and is due for a try. */
  async tick(head: number): Promise<void> {
    const rows = this.db
      .sql(
        `SELECT m.meeting_id FROM meetings m LEFT JOIN protocols p ON p.meeting_id = m.meeting_id
         WHERE m.state = 'finalized' AND (p.state IS NULL OR (p.state = 'failed' AND p.next_attempt_at <= ?))
         ORDER BY CAST(m.meeting_id AS INTEGER)`,
      )
      .all(Date.now()) as Array<{ meeting_id: string }>;
    for (const { meeting_id } of rows) {
      try {
        await this.produce(BigInt(meeting_id), head);
      } catch (err) {
        this.failed(meeting_id, err instanceof Error ? err.message : String(err));
        if (!(err instanceof AppError)) throw err;
      }
    }
  }

  private failed(meetingId: string, problem: string) {
    const row = this.db.sql("SELECT attempts FROM protocols WHERE meeting_id = ?").get(meetingId) as { attempts: number } | undefined;
    const attempts = (row?.attempts ?? 0) + 1;
    const delay = Math.min(600_000, 2_000 * 2 ** Math.min(attempts, 10));
    this.db
      .sql(
        `INSERT INTO protocols (meeting_id, state, problem, attempts, next_attempt_at, updated_at) VALUES (?, 'failed', ?, ?, ?, ?)
         ON CONFLICT (meeting_id) DO UPDATE SET state = 'failed', problem = excluded.problem, attempts = excluded.attempts, next_attempt_at = excluded.next_attempt_at, updated_at = excluded.updated_at`,
      )
      .run(meetingId, problem.slice(0, 4_000), attempts, Date.now() + delay, now());
    this.log.error("protocol not produced; will try again", { meetingId, problem: problem.split("\n")[0], attempts, retryInMs: delay });
  }

  private async produce(meetingId: bigint, head: number): Promise<void> {
    const dir = path.join(this.options.protocolsDir, meetingId.toString());
    const manifestFile = path.join(dir, "manifest.json");
    let manifest: Manifest;
    let files: ProtocolFile[];
    if (existsSync(manifestFile)) {
      // built before a restart: store exactly those files
      manifest = JSON.parse(await readFile(manifestFile, "utf8")) as Manifest;
      files = [];
      for (const f of manifest.files) {
        const bytes = await readFile(path.join(dir, f.name));
        if (keccak256(bytes) !== f.id) throw new AppError("local_copy_changed", `local copy ${path.join(dir, f.name)} no longer matches its manifest`);
        files.push({ name: f.name, role: f.role, contentType: f.contentType, bytes });
      }
      this.log.info("protocol restored from its local copy", { meetingId });
    } else {
      const built = await this.build(meetingId, head);
      if (!built) return;
      files = built.files.filter((f) => STORED.includes(f.role) || f.role === "json");
      await mkdir(dir, { recursive: true });
      for (const f of files) await writeAtomically(path.join(dir, f.name), f.bytes);
      manifest = { meetingId: meetingId.toString(), finalizedTx: built.finalizedTx, files: files.map((f) => ({ name: f.name, role: f.role, contentType: f.contentType, id: keccak256(f.bytes) })) };
      await writeAtomically(manifestFile, Buffer.from(JSON.stringify(manifest, null, 2) + "\n"));
      this.built++;
    }
    const documents: Partial<ProtocolDocuments> = {};
    for (const f of files.filter((x) => STORED.includes(x.role))) {
      const id = await this.documents.put(f.bytes, { contentType: f.contentType, name: f.name });
      documents[KEY[f.role]] = { id, name: f.name, contentType: f.contentType, size: f.bytes.length };
    }
    this.db
      .sql(
        `INSERT INTO protocols (meeting_id, state, documents, signer, finalized_tx, problem, produced_at, updated_at) VALUES (?, 'produced', ?, ?, ?, NULL, ?, ?)
         ON CONFLICT (meeting_id) DO UPDATE SET state = 'produced', documents = excluded.documents, signer = excluded.signer, finalized_tx = excluded.finalized_tx, problem = NULL, produced_at = excluded.produced_at, updated_at = excluded.updated_at`,
      )
      .run(meetingId.toString(), JSON.stringify(documents), JSON.stringify({ format: this.signer.format, keyId: this.signer.keyId }), manifest.finalizedTx, now(), now());
    this.log.info("protocol produced", { meetingId, xml: documents.xml?.id, pdf: documents.pdf?.id });
  }

  /** The protocol's files, or undefined while the finalization is not yet under enough blocks. */
  private async build(meetingId: bigint, head: number): Promise<{ files: ProtocolFile[]; finalizedTx: string | null } | undefined> {
    const reader = new ChainReader(this.options.rpcUrl, this.options.deployment);
    try {
      const meeting = await loadMeeting(reader, meetingId);
      const texts: string[] = [];
      for (const q of meeting.questions) {
        const bytes = await this.documents.get(q.textRef);
        if (!bytes) throw new AppError("agenda_text_missing", `the wording of question ${meeting.questions.indexOf(q) + 1} (${q.textRef}) is not in the document store`);
        texts.push(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
      }
      const annex = await this.annexes.annexOf(meetingId);
      const { doc, recount, differences } = await protocolFromChain(reader, meetingId, { language: this.options.language, texts, annex, place: this.options.place });
      if (recount.status !== "Finalized" || recount.finalizedBlock === undefined) throw new AppError("not_finalized", `meeting ${meetingId} is ${recount.status} on chain`);
      if (head - recount.finalizedBlock + 1 <= this.options.confirmations) return undefined;
      if (differences.length) {
        const list = differences.slice(0, 20).map((d) => `${d.where}: ${d.field} expected ${d.expected}, found ${d.actual}`);
        throw new AppError("protocol_differences", `the protocol of meeting ${meetingId} is not signed: ${differences.length} difference(s):\n${list.join("\n")}`, { details: { differences: differences.slice(0, 100) } });
      }
      return { files: await renderProtocolFiles(doc, this.signer), finalizedTx: recount.finalizedTx ?? null };
    } finally {
      reader.close();
    }
  }

  /** The recorded protocol of a meeting, or where it stands. */
  protocolOf(meetingId: string): { state: string; documents?: ProtocolDocuments; signer?: { format: string; keyId: string }; finalizedTx?: string | null; producedAt?: string; problem?: string | null } | undefined {
    const row = this.db.sql("SELECT * FROM protocols WHERE meeting_id = ?").get(meetingId) as
      | { state: string; documents: string | null; signer: string | null; finalized_tx: string | null; produced_at: string | null; problem: string | null }
      | undefined;
    if (!row) return undefined;
    if (row.state !== "produced") return { state: row.state, problem: row.problem };
    return { state: row.state, documents: JSON.parse(row.documents!), signer: JSON.parse(row.signer!), finalizedTx: row.finalized_tx, producedAt: row.produced_at! };
  }
}

async function writeAtomically(file: string, bytes: Buffer): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, bytes);
  await rename(tmp, file);
}
