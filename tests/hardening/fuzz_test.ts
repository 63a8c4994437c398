/**
 * Bad input, fuzzed with `fast-check`: every input to a parser or a protocol step ends in a value
 * or a typed `AuthError` with a known code, never another exception, a hang or a message that
 * echoes a canary secret. Each property runs in a child process that is killed when it exceeds
 * its time limit (so even a synchronous infinite loop fails the test instead of hanging it), and
 * each asynchronous run has a 5–15 s limit of its own.
 *
 * Runs: 2,000 per property under `CI=true` (the device-flow property 500: each valid device
 * answer costs a real poll), fewer locally; `FUZZ_RUNS=N` forces N for every property.
 * The properties live in `fixtures/` (`properties.ts` names them, one file a subject).
 */

import { CI, fuzzRuns, runProperty } from "./helpers.ts";

interface Case {
  name: string;
  title: string;
  ci: number;
  local: number;
  /** Wall-clock limit for all runs, in seconds (generous: a hang is what it catches). */
  limit: number;
}

const CASES: Case[] = [
  {
    name: "jwt",
    title: "decodeJwt and Credential take any token text without throwing",
    ci: 2000,
    local: 300,
    limit: 60,
  },
  {
    name: "token-file-parse",
    title: "detectTokenFile and tokenFileMaterial give a value or BAD_TOKEN_FILE / " +
      "CONFLICTING_CREDENTIALS, and a written-back file keeps its format",
    ci: 2000,
    local: 300,
    limit: 60,
  },
  {
    name: "token-file-bytes",
    title: "TokenFileStore and FileStore read random and damaged bytes as a value or a typed error",
    ci: 2000,
    local: 300,
    limit: 90,
  },
  {
    name: "token-file-json",
    title: "TokenFileStore and FileStore read random JSON as a value or a typed error",
    ci: 2000,
    local: 300,
    limit: 90,
  },
  {
    name: "dotenv",
    title: "readDotenv and the resolver take any .env text and never show a secret",
    ci: 2000,
    local: 300,
    limit: 90,
  },
  {
    name: "retry-after",
    title: "parseRetryAfter gives undefined or a whole number of milliseconds ≥ 0",
    ci: 2000,
    local: 300,
    limit: 60,
  },
  {
    name: "www-authenticate",
    title: "parseWwwAuthenticate never throws or loops and reads a Bearer error exactly",
    ci: 2000,
    local: 300,
    limit: 60,
  },
  {
    name: "cli-args",
    title: "CLI argument parsing gives a result or USAGE, never echoing a value",
    ci: 2000,
    local: 300,
    limit: 60,
  },
  {
    name: "discovery",
    title: "a random discovery document ends token() in a token or a typed error without secrets",
    ci: 2000,
    local: 200,
    limit: 240,
  },
  {
    name: "token-response",
    title:
      "a random token endpoint answer ends token() in a token or a typed error without secrets",
    ci: 2000,
    local: 200,
    limit: 240,
  },
  {
    name: "device",
    title: "a random device authorization answer ends login() in success or a typed error",
    ci: 500,
    local: 100,
    limit: 300,
  },
];

for (const c of CASES) {
  Deno.test(`fuzz: ${c.title}`, async () => {
    const runs = fuzzRuns(c.ci, c.local);
    const report = await runProperty(c.name, runs, c.limit * 1000 * (runs / (CI ? c.ci : c.local)));
    if (Deno.env.get("FUZZ_VERBOSE")) {
      console.log(`${c.name}: ${report.runs} runs in ${report.ms} ms`);
    }
  });
}
