// Real-browser test of a tenant's front-end on ANOTHER origin: CORS, subscription checkout and HLS playback,
// in headless Chromium (Debian's package) driven by playwright-core. Run by scripts/browser_test.sh:
//   BASE_URL=http://127.0.0.1:API_PORT PAGE_PORT=P FOREIGN_PORT=F CLIENT='{"client_id":..,"client_secret":..}' \
//   ARTIFACTS=artifacts node tests/browser/player.mjs
// The API must run with CORS_ORIGINS=http://127.0.0.1:P, and CLIENT be a client of a tenant with a `premium`
// product (the script makes both). This file serves tests/browser/pages/ (and hls.js from node_modules) on
// two origins of its own: http://127.0.0.1:P (allowed) and http://127.0.0.1:F (in no allow-list).
// 1. As the tenant's backend (server to server, no browser): a client token, checkout redirects allowed to
//    the page's origin, a streamable track, a user and its user token (UDT).
// 2. In the browser, on the allowed origin: `{ me { status } }` with the UDT as a bearer header (the CORS
//    preflight is seen in Chromium's own network events and must answer 200 for that origin), UNSUBSCRIBED,
//    the manifest refused (403 SUBSCRIPTION_REQUIRED, readable across origins); Subscribe runs
//    createCheckoutSession and goes to the Stripe sandbox's checkout page, Pay (the sandbox sends the
//    webhooks) comes back to the page, now SUBSCRIBED; Play plays the track with hls.js (token on the
//    manifest request only; the signed segment URLs are fetched without it) until audio.currentTime > 2.
//    No CORS error in the console. Screenshots: $ARTIFACTS/checkout.png, $ARTIFACTS/player.png.
// 3. The same page on the other origin: its preflight is refused (400) and the fetch fails (TypeError);
//    screenshot $ARTIFACTS/player-foreign.png. Exit code 0 only when everything held.
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { launchChromium } from "./chromium.mjs";
import { artifacts, base, call, check, freshArtifact, started } from "./harness.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const pagePort = Number(process.env.PAGE_PORT);
const foreignPort = Number(process.env.FOREIGN_PORT);
const client = JSON.parse(process.env.CLIENT || "null");
if (!pagePort || !foreignPort || !client) {
  console.error("usage: BASE_URL=... PAGE_PORT=... FOREIGN_PORT=... CLIENT='{client_id, client_secret}' node player.mjs");
  process.exit(2);
}
const pageOrigin = `http://127.0.0.1:${pagePort}`;
const foreignOrigin = `http://127.0.0.1:${foreignPort}`;
freshArtifact("player-failure.png");


// ---------------------------------------------------------------- the front-end's origins (static files)
const FILES = {
  "/player.html": [join(here, "pages", "player.html"), "text/html; charset=utf-8"],
  "/player.js": [join(here, "pages", "player.js"), "text/javascript; charset=utf-8"],
  "/vendor/hls.min.js": [join(here, "node_modules", "hls.js", "dist", "hls.min.js"), "text/javascript; charset=utf-8"],
};

/** An HTTP server on 127.0.0.1:port answering GETs of FILES (else 404); resolves once listening. */
function serveStatic(port) {
  const server = createServer(async (req, res) => {
    const file = FILES[new URL(req.url, "http://x").pathname];
    if (!file || (req.method !== "GET" && req.method !== "HEAD")) {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
      return;
    }
    try {
      const body = await readFile(file[0]);
      res.writeHead(200, { "content-type": file[1], "cache-control": "no-store" }).end(req.method === "GET" ? body : undefined);
    } catch (err) {
      res.writeHead(500, { "content-type": "text/plain" }).end(`${err.message}\n`);
    }
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve(server));
  });
}

// ---------------------------------------------------------------- the tenant's backend (server to server)

async function backendGraphql(query, variables, token) {
  const { status, body } = await call("POST", "/graphql", { query, variables }, token);
  if (status !== 200 || body.errors) throw new Error(`GraphQL ${status}: ${JSON.stringify(body)}`);
  return body.data;
}

/** Chromium's own record of the page's requests, CORS preflights included (playwright's request events
 *  do not report preflights). Map requestId -> {type, method, url, headers, status, acao, failed, cors}. */
async function recordNetwork(context, page) {
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  const requests = new Map();
  const lower = (headers) => Object.fromEntries(Object.entries(headers || {}).map(([k, v]) => [k.toLowerCase(), v]));
  cdp.on("Network.requestWillBeSent", (e) => {
    requests.set(e.requestId, { type: e.type, method: e.request.method, url: e.request.url,
                                headers: lower(e.request.headers), status: null, acao: null, failed: null, cors: null });
  });
  cdp.on("Network.requestWillBeSentExtraInfo", (e) => {  // the headers actually sent (Origin, Authorization)
    const r = requests.get(e.requestId);
    if (r) Object.assign(r.headers, lower(e.headers));
  });
  cdp.on("Network.responseReceived", (e) => {
    const r = requests.get(e.requestId);
    if (r) { r.status = e.response.status; r.acao = lower(e.response.headers)["access-control-allow-origin"] || null; }
  });
  cdp.on("Network.loadingFailed", (e) => {
    const r = requests.get(e.requestId);
    if (r) { r.failed = e.errorText; r.cors = e.corsErrorStatus ? e.corsErrorStatus.corsError : null; }
  });
  return requests;
}

const preflightsTo = (requests, url) => [...requests.values()].filter(
  (r) => r.method === "OPTIONS" && r.url.startsWith(url));
const describe = (rs) => JSON.stringify(rs.map((r) => ({ type: r.type, url: r.url.replace(base, ""), status: r.status,
                                                         acao: r.acao, failed: r.failed, cors: r.cors })));
const isCorsMessage = (text) => /CORS|Access-Control-Allow-Origin|cross-origin/i.test(text);

const servers = [await serveStatic(pagePort), await serveStatic(foreignPort)];
const browser = await launchChromium(["--autoplay-policy=no-user-gesture-required", "--mute-audio"]);
let failed = false;
let current = null;  // the page a failure screenshot is taken of
try {
  // ------------------------------------------------------------ 1. the backend: token, redirects, user, UDT
  const token = await call("POST", "/api/oauth/token", { grant_type: "client_credentials", ...client });
  check(token.status === 200 && token.body.access_token, `the tenant's backend gets a client token (${token.status})`);
  const clientToken = token.body.access_token;
  await backendGraphql(`mutation Billing($input: BillingSettingsInput!) { setBillingSettings(input: $input) { redirectPatterns } }`,
    { input: { redirectPatterns: [`${pageOrigin}/`], successUrl: `${pageOrigin}/player.html?checkout=success`,
               cancelUrl: `${pageOrigin}/player.html?checkout=cancelled` } }, clientToken);
  const search = await backendGraphql(
    `{ searchTracks(q: "a", pageSize: 50) { results { id title duration streamId } } }`, {}, clientToken);
  const track = search.searchTracks.results.find((t) => t.streamId && t.duration >= 10);
  check(track, `a streamable track to play: ${track && `${track.id} "${track.title}" (${track.duration} s)`}`);
  const user = await call("POST", "/api/users", { first_name: "Ada", last_name: "Browser",
    email: `ada.browser.${Date.now()}@example.com`, date_of_birth: "1990-12-10" }, clientToken);
  check(user.status === 201 || user.status === 200, `the backend creates a user (${user.status})`);
  const udtAnswer = await call("POST", `/api/users/${user.body.id}/udt`,
    { deviceId: "3f1c2a7e-5b7d-4e0a-9c61-6f0f5e2b8d11" }, clientToken);
  check(udtAnswer.status === 200 || udtAnswer.status === 201, `and a user token (UDT) for it (${udtAnswer.status})`);
  const udt = udtAnswer.body.token;

  // ------------------------------------------------------------ 2. the page on the allowed origin
  const context = await browser.newContext({ viewport: { width: 1100, height: 820 } });
  const page = await context.newPage();
  current = page;
  const requests = await recordNetwork(context, page);
  const consoleErrors = [];
  page.on("console", (msg) => {
    if (msg.type() === "error") consoleErrors.push(`${msg.text()} (${msg.location().url.replace(base, "") || "?"})`);
  });
  page.on("pageerror", (err) => consoleErrors.push(String(err)));
  const query = `api=${encodeURIComponent(base)}&track=${encodeURIComponent(track.id)}`;
  const loaded = await page.goto(`${pageOrigin}/player.html?${query}#udt=${udt}`, { waitUntil: "load" });
  check(loaded.status() === 200, `the player page loads from ${pageOrigin} (another origin than the API ${base})`);
  check(await page.evaluate(() => Boolean(window.Hls && Hls.isSupported())),
        `hls.js ${await page.evaluate(() => window.Hls && Hls.version)} (from node_modules) runs: Media Source Extensions are there`);

  await page.click("#refresh");
  await page.waitForFunction(() => window.player.state.me || window.player.state.errors.length, null, { timeout: 15000 });
  let state = await page.evaluate(() => window.player.state);
  check(state.me && state.me.status === "UNSUBSCRIBED",
        `{ me { status } } across origins with the bearer token: ${state.me ? state.me.status : state.errors.join("; ")}`);
  const graphqlPreflights = preflightsTo(requests, `${base}/graphql`);
  check(graphqlPreflights.length >= 1 && graphqlPreflights.every((r) => r.status === 200 && r.acao === pageOrigin
          && /authorization/i.test(r.headers["access-control-request-headers"] || "")),
        `the browser sent a CORS preflight for it (OPTIONS /graphql asking for Authorization), answered 200 for ${pageOrigin}: ${describe(graphqlPreflights)}`);
  const posts = [...requests.values()].filter((r) => r.method === "POST" && r.url === `${base}/graphql`);
  check(posts.length >= 1 && posts[0].status === 200 && posts[0].acao === pageOrigin && /^Bearer /.test(posts[0].headers.authorization || ""),
        `then the POST /graphql itself, with the Authorization header, 200 and Access-Control-Allow-Origin ${posts[0] && posts[0].acao}`);

  const refused = await page.evaluate(async () => {
    const { track } = await window.player.gql("query T($id: ID!) { track(id: $id) { streamId } }", { id: window.player.trackId });
    const res = await fetch(`${window.player.api}/api/stream/${track.streamId}`,
                            { headers: { Authorization: `Bearer ${sessionStorage.getItem("udt")}` } });
    return { status: res.status, body: await res.text() };
  });
  check(refused.status === 403 && refused.body.includes("SUBSCRIPTION_REQUIRED"),
        `not subscribed yet: the manifest is refused, and the page can read why (${refused.status} ${refused.body.slice(0, 80)})`);

  // Subscribe the way a user does: Checkout on the Stripe sandbox's page, Pay, back to the player.
  await page.click("#subscribe");
  await page.waitForURL((url) => url.href.startsWith(`${base}/_sandbox/stripe/checkout/`), { timeout: 15000 });
  check((await page.locator("h1").innerText()).includes("Stripe sandbox checkout"),
        `Subscribe (createCheckoutSession from the page) opens the sandbox's checkout page ${page.url().replace(base, "")}`);
  await page.screenshot({ path: join(artifacts, "checkout.png") });
  await page.getByRole("button", { name: "Pay" }).click();
  await page.waitForURL((url) => url.href.startsWith(`${pageOrigin}/player.html`) && url.searchParams.get("checkout") === "success",
                        { timeout: 15000 });
  check(true, `Pay (the sandbox sends its signed webhooks) brings the browser back to ${page.url().split("?")[0]}?...checkout=success`);
  await page.waitForFunction(() => window.player.state.me || window.player.state.errors.length, null, { timeout: 15000 });
  state = await page.evaluate(() => window.player.state);
  check(state.me && state.me.status === "SUBSCRIBED" && state.me.pmLastFour === "4242",
        `the page now reads SUBSCRIBED (until ${state.me && state.me.subscriptionEndsAt}, card ${state.me && state.me.pmType} ${state.me && state.me.pmLastFour})`);

  // Play it with hls.js.
  const playStart = Date.now();
  await page.click("#play");
  await page.waitForFunction(() => document.getElementById("audio").currentTime > 2
                               || window.player.state.hlsErrors.some((e) => e.includes("fatal"))
                               || window.player.state.errors.length, null, { timeout: 60000, polling: 100 });
  state = await page.evaluate(() => window.player.state);
  const media = await page.evaluate(() => {
    const a = document.getElementById("audio");
    return { currentTime: a.currentTime, duration: a.duration, paused: a.paused, muted: a.muted, error: a.error && a.error.message };
  });
  check(media.currentTime > 2 && !media.paused && media.muted,
        `hls.js plays "${state.track && state.track.title}" (muted): currentTime ${media.currentTime.toFixed(2)} s of ${media.duration.toFixed(2)} s, ` +
        `${((Date.now() - playStart) / 1000).toFixed(1)} s after Play (errors: ${[...state.errors, ...state.hlsErrors].join("; ") || "none"})`);
  check(!state.hlsErrors.some((e) => e.includes("fatal")), "no fatal hls.js error");
  const manifestUrl = `${base}/api/stream/${state.track.streamId}`;
  const manifestPreflights = preflightsTo(requests, manifestUrl);
  const manifestGets = [...requests.values()].filter((r) => r.method === "GET" && r.url === manifestUrl && r.type !== "Fetch");
  check(manifestPreflights.length >= 1 && manifestPreflights.every((r) => r.status === 200 && r.acao === pageOrigin),
        `the manifest request was preflighted (Authorization) and the preflight passed: ${describe(manifestPreflights)}`);
  check(manifestGets.some((r) => r.status === 200 && r.acao === pageOrigin && /^Bearer /.test(r.headers.authorization || "")),
        `hls.js fetched the manifest with the user token: ${describe(manifestGets)}`);
  const segments = [...requests.values()].filter((r) => /\.ts(\?|$)/.test(r.url));
  const answered = segments.filter((r) => r.status !== null);
  check(answered.length >= 1 && segments.every((r) => !r.headers.authorization && r.url.includes("sig="))
        && answered.every((r) => r.status === 200 && r.acao === pageOrigin),
        `${answered.length} signed segment(s) fetched without a token, each 200 with Access-Control-Allow-Origin ` +
        `${pageOrigin}: ${describe(segments.slice(0, 1))}`);
  // The page's own position readout catches up (timeupdate fires every ~250 ms) before the screenshot.
  await page.waitForFunction(() => parseFloat(document.getElementById("position").textContent) > 2, null, { timeout: 5000 });
  await page.screenshot({ path: join(artifacts, "player.png") });
  console.log(`screenshot: ${join(artifacts, "player.png")}`);
  const corsErrors = consoleErrors.filter(isCorsMessage);
  check(corsErrors.length === 0, `no CORS error in the console${corsErrors.length ? ": " + corsErrors.join(" | ") : ""}`);
  // The only other errors Chromium logs: the refused manifest above (403), and the API origin's missing
  // /favicon.ico that it asks for when it shows the sandbox's checkout page (404).
  const expected = [/status of 403 .*\(\/api\/stream\/[^)]+\)$/, /status of 404 .*\(\/favicon\.ico\)$/];
  const unexpected = consoleErrors.filter((t) => !expected.some((re) => re.test(t)));
  check(unexpected.length === 0, `no other console error (${consoleErrors.length} expected: the refused manifest, the API's favicon)` +
        `${unexpected.length ? ": " + unexpected.join(" | ") : ""}`);
  await context.close();

  // ------------------------------------------------------------ 3. the same page on an origin nobody allows
  const foreignContext = await browser.newContext({ viewport: { width: 1100, height: 820 } });
  const foreign = await foreignContext.newPage();
  current = foreign;
  const foreignRequests = await recordNetwork(foreignContext, foreign);
  const foreignConsole = [];
  foreign.on("console", (msg) => { if (msg.type() === "error") foreignConsole.push(msg.text()); });
  await foreign.goto(`${foreignOrigin}/player.html?${query}#udt=${udt}`, { waitUntil: "load" });
  const outcome = await foreign.evaluate(() => window.player.whoAmI().then(
    (me) => `answered: ${JSON.stringify(me)}`, (err) => `${err.name}: ${err.message}`));
  check(/^TypeError/.test(outcome), `from ${foreignOrigin} (not in CORS_ORIGINS) the same fetch fails: ${outcome}`);
  const foreignPreflights = preflightsTo(foreignRequests, `${base}/graphql`);
  check(foreignPreflights.length >= 1 && foreignPreflights.every((r) => r.status === 400 && !r.acao),
        `its preflight was refused (400, no Access-Control-Allow-Origin): ${describe(foreignPreflights)}`);
  check(![...foreignRequests.values()].some((r) => r.method === "POST" && r.status !== null),
        "and the POST carrying the token was never sent");
  check(foreignConsole.some(isCorsMessage), `Chromium reports it as a CORS error: ${foreignConsole.filter(isCorsMessage)[0]}`);
  await foreign.screenshot({ path: join(artifacts, "player-foreign.png") });
  console.log(`screenshot: ${join(artifacts, "player-foreign.png")}`);
  await foreignContext.close();
} catch (err) {
  failed = true;
  console.error(`not ok - ${err.message}`);
  try {
    if (current && !current.isClosed()) {
      await current.screenshot({ path: join(artifacts, "player-failure.png") });
      console.error(`page log: ${await current.locator("#log").innerText().catch(() => "(none)")}`);
    }
  } catch { /* best effort */ }
} finally {
  await browser.close();
  for (const server of servers) server.close();
}
console.log(`player test: ${failed ? "FAILED" : "passed"} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
process.exit(failed ? 1 : 0);
