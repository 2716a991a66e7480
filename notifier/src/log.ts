/** The notifier's structured logs: the project's shared logger, tagged `service: "notifier"`. */
import { createLogger as createServiceLogger, type LogLevel, type Logger } from "../../scripts/lib/log.js";

export { LOG_LEVELS, type LogLevel, type Logger } from "../../scripts/lib/log.js";

export function createLogger(
  level: LogLevel,
  base: Record<string, unknown> = { service: "notifier" },
  write?: (line: string) => void,
): Logger {
  return createServiceLogger(level, base, write);
}
