// What every browser test script shares: the server under test, its artifacts folder, checks that print
// their time, and JSON calls to the API from Node (the tenant's backend: no browser, no CORS).
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";

export const base = (process.env.BASE_URL || "http://127.0.0.1:8000").replace(/\/$/, "");
export const artifacts = process.env.ARTIFACTS || "artifacts";
export const started = Date.now();

/** Make the artifacts folder and remove a screenshot `name` left by an earlier failed run. */
export function freshArtifact(name) {
  mkdirSync(artifacts, { recursive: true });
  rmSync(join(artifacts, name), { force: true });
}

/** Throw `message` unless `condition`; print it with the seconds since the script started. */
export function check(condition, message) {
  if (!condition) throw new Error(message);
  console.log(`ok - ${message} [${((Date.now() - started) / 1000).toFixed(1)} s]`);
}

/** JSON call to the API from Node; returns {status, body} (body parsed when it is JSON). */
export async function call(method, path, body, token) {
  const res = await fetch(base + path, {
    method,
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed = text;
  try { parsed = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, body: parsed };
}
