/** The relayer's and custody's structured logs: the project's shared logger. */
export { LOG_LEVELS, createLogger, type LogLevel, type Logger } from "../../scripts/lib/log.js";
