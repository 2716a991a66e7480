/**
 * The notifier as a process: reads the configuration from the environment (see .env.example), starts,
 * and stops cleanly on SIGTERM / SIGINT, finishing the sends in flight. With NOTIFIER_MAIL_CAPTURE=true
 * it also runs a local SMTP capture and sends e-mail there (a demo without a mail server).
 */
import { ConfigError } from "#lib/errors.js";
import { loadConfig } from "./config.js";
import { startMailCapture, type MailCapture } from "./mail-capture.js";
import { startNotifier } from "./service.js";

let capture: MailCapture | undefined;
try {
  const env = { ...process.env };
  if (env.NOTIFIER_MAIL_CAPTURE === "true") {
    const port = (name: string) => {
      const v = env[name] ?? "0";
      if (!/^\d+$/.test(v) || Number(v) > 65535) throw new ConfigError([`${name}: got '${v}', expected a port number 0–65535`]);
      return Number(v);
    };
    const ports = { port: port("NOTIFIER_MAIL_CAPTURE_PORT"), httpPort: port("NOTIFIER_MAIL_CAPTURE_HTTP_PORT") };
    capture = await startMailCapture(ports);
    env.NOTIFIER_SMTP_URL = `smtp://127.0.0.1:${capture.port}`;
    process.stdout.write(JSON.stringify({ time: new Date().toISOString(), level: "info", msg: "mail capture listening", smtpPort: capture.port, messages: `${capture.httpUrl}/` }) + "\n");
  }
  const notifier = await startNotifier(loadConfig(env));
  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    await notifier.stop();
    await capture?.stop();
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown());
  process.on("SIGINT", () => void shutdown());
} catch (err) {
  await capture?.stop();
  if (err instanceof ConfigError) {
    process.stderr.write(`notifier: invalid configuration\n${err.problems.map((p) => `  ${p}`).join("\n")}\n`);
    process.exit(2);
  }
  process.stderr.write(`notifier: start failed: ${(err as Error).message}\n`);
  process.exit(1);
}
