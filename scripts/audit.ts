#!/usr/bin/env node
/** `npm run audit -- …`: the auditors' tool (audit/src/main.ts). */
import "../audit/src/main.js";
