/**
 * Assembles the notifier: database, directory, chain follower, notice planner, outbox with its
 * channels, and the HTTP API. `startNotifier` is what `main.ts` and the project's `npm start` call.
 */
import { BuildingRegistry__factory, MeetingHall__factory } from "#typechain/index.js";
import { checkDeployedChain } from "#lib/chain-check.js";
import { readDeployment, type Deployment } from "#lib/deployment.js";
import { registrarCheck } from "#lib/http/auth.js";
import { TokenRevocations } from "#lib/http/revocations.js";
import { listen, type RunningServer } from "#lib/http/server.js";
import { HttpJsonRpcProvider, chainUnavailable, isUnreachable } from "#lib/rpc.js";
import { DocumentsClient } from "#lib/documents-client.js";
import { AgendaTexts } from "./agenda.js";
import { NoticeBudget } from "./budget.js";
import { createApi } from "./api.js";
import { jwksAuth, noResidentAuth } from "./auth.js";
import { FeedChannel } from "./channels/app.js";
import { EmailChannel } from "./channels/email.js";
import { JsonWebhookSms } from "./channels/sms.js";
import type { ChannelAdapter } from "./channels/types.js";
import type { NotifierConfig } from "./config.js";
import { Database } from "./db.js";
import { Directory, type Channel } from "./directory.js";
import { Follower } from "./follower.js";
import { createLogger, type Logger } from "#lib/log.js";
import { Meetings } from "./meetings.js";
import { NoticePlanner } from "./notices.js";
import { Outbox } from "./outbox.js";
import { OtpSender, serviceTokenCheck } from "./otp.js";
import { Recipients } from "./recipients.js";
import { RulesVersions } from "./rules.js";

export interface RunningNotifier {
  url: string;
  port: number;
  directory: Directory;
  outbox: Outbox;
  follower: Follower;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** The deployment record itself, instead of reading `config.deployment`. */
  deployment?: Deployment;
  logger?: Logger;
  /** Runs once the database is open and before the follower starts, e.g. to fill the directory. */
  prepare?: (directory: Directory) => Promise<void> | void;
}

export async function startNotifier(config: NotifierConfig, options: StartOptions = {}): Promise<RunningNotifier> {
  const log = options.logger ?? createLogger(config.logLevel, { service: "notifier" });
  const deployment = options.deployment ?? (await readDeployment(config.deployment));
  const provider = new HttpJsonRpcProvider(config.rpcUrl, deployment.chainId, { staticNetwork: true, cacheTimeout: -1, batchMaxCount: 50 });
  try {
    await checkDeployedChain(provider, deployment, { rpcUrl: config.rpcUrl });
  } catch (err) {
    provider.destroy();
    throw err;
  }
  let db: Database;
  try {
    db = new Database(config.dbPath);
  } catch (err) {
    provider.destroy();
    throw err;
  }
  const directory = new Directory(db);
  const meetings = new Meetings(db);
  const registry = BuildingRegistry__factory.connect(deployment.contracts.BuildingRegistry.address, provider);
  const hall = MeetingHall__factory.connect(deployment.contracts.MeetingHall.address, provider);
  const recipients = new Recipients(db, registry, hall, meetings);
  const rules = new RulesVersions(db);

  const adapters = new Map<Channel, ChannelAdapter>([["app", new FeedChannel(db)]]);
  if (config.smtp) adapters.set("email", new EmailChannel(config.smtp, config.sendTimeoutMs));
  if (config.sms) adapters.set("sms", new JsonWebhookSms(config.sms, config.sendTimeoutMs));
  const outbox = new Outbox(
    db,
    adapters,
    { maxAttempts: config.maxAttempts, retryBaseMs: config.retryBaseMs, retryMaxMs: config.retryMaxMs, concurrency: config.sendConcurrency, pollIntervalMs: config.pollIntervalMs, sendTimeoutMs: config.sendTimeoutMs },
    log,
  );
  const planner = new NoticePlanner(
    db,
    meetings,
    directory,
    recipients,
    outbox,
    new AgendaTexts(config.textsFile, log, config.documentsUrl ? new DocumentsClient(config.documentsUrl, { timeoutMs: config.sendTimeoutMs }) : undefined),
    rules,
    {
      voteUrl: config.voteUrl,
      timeZone: config.timeZone,
      defaultLanguage: config.defaultLanguage,
      reminderBeforeSeconds: config.reminderBeforeSeconds,
      channels: new Set(adapters.keys()),
    },
    log,
  );
  const follower = new Follower(
    provider,
    db,
    meetings,
    recipients,
    rules,
    planner,
    new NoticeBudget(meetings, config.noticeBudget, config.noticeBudgetPeriodSeconds),
    {
      registry: deployment.contracts.BuildingRegistry.address,
      hall: deployment.contracts.MeetingHall.address,
      rules: deployment.contracts.LegalRules.address,
      startBlock: deployment.startBlock,
      confirmations: config.confirmations,
      logChunk: config.logChunk,
      pollIntervalMs: config.pollIntervalMs,
    },
    log,
  );

  try {
    await options.prepare?.(directory);
  } catch (err) {
    db.close();
    provider.destroy();
    throw err;
  }
  const revocations = new TokenRevocations(config.dbPath);
  const inDoubt = outbox.recover();
  if (inDoubt > 0) log.warn("notices in doubt after an unclean stop are sent again", { count: inDoubt });

  const otp = new OtpSender(directory, adapters, { perResidentPerHour: config.otpPerResidentPerHour, perMinute: config.otpPerMinute, timeZone: config.timeZone }, log.child({ component: "otp" }));
  const app = createApi({
    db,
    directory,
    outbox,
    auth: config.jwksUrl ? jwksAuth(config.jwksUrl, config.jwtIssuer, config.jwtAudience, revocations) : noResidentAuth,
    requireRegistrar: registrarCheck(config.registrarToken),
    revocations,
    planner,
    otp,
    requireCustody: serviceTokenCheck(config.otpToken),
    status: () => ({ cursor: follower.cursor, head: follower.head, outbox: outbox.counts() }),
    officersOf: async (meetingId) => {
      try {
        // the hall answers only the meetings it has announced (ids 1…meetingCount)
        if (meetingId < 1n || meetingId > (await hall.meetingCount())) return undefined;
        const view = await hall.getMeeting(meetingId);
        return { initiator: view.initiator, administrator: view.administrator };
      } catch (err) {
        throw isUnreachable(err) ? chainUnavailable(err) : err;
      }
    },
    log,
  });
  let server: RunningServer;
  try {
    server = await listen(app, config.host, config.port);
  } catch (err) {
    revocations.close();
    db.close();
    provider.destroy();
    throw err;
  }
  const url = server.url;

  follower.start();
  outbox.start();
  log.info("notifier started", { url, channels: [...adapters.keys()], otp: config.otpToken !== undefined, cursor: follower.cursor, deployment: deployment.network });

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await server.close();
      await follower.stop();
      await outbox.stop();
      await otp.settled();
      for (const adapter of adapters.values()) await adapter.close?.();
      provider.destroy();
      revocations.close();
      db.close();
      log.info("notifier stopped");
    })());

  return { url, port: server.port, directory, outbox, follower, stop };
}
