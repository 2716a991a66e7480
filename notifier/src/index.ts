/** What the project's `npm start` embeds. */
export { startNotifier, type RunningNotifier, type StartOptions } from "./service.js";
export { loadConfig, type NotifierConfig } from "./config.js";
export { startMailCapture, type MailCapture, type CapturedMessage } from "./mail-capture.js";
export { registerDemoContacts, type DemoContactsOptions } from "./demo.js";
