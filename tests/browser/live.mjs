// Real-browser test of live updates: GraphiQL subscribes to a playlist and shows a change made through REST.
// Headless Chromium (Debian's package) driven by playwright-core. Run by scripts/browser_test.sh:
//   BASE_URL=http://127.0.0.1:PORT CLIENT='{"client_id":..,"client_secret":..}' ARTIFACTS=artifacts \
//   node tests/browser/live.mjs
// 1. As the tenant's backend (Node, no browser): a client token, a user, its user token (UDT), a playlist
//    the user owns (POST /api/playlists), a catalog track's title.
// 2. /graphql in the browser: with a bad token in the Headers tab, running the example shows the server's
//    close (4403) at once; then the UDT goes into the Headers tab, the playlist's id into the Variables tab, the
//    example `subscription PlaylistLive` (taken from the page's own example document) into the editor; run.
//    Chromium opens a WebSocket to ws://HOST/graphql (subprotocol graphql-transport-ws) whose first frame is
//    `connection_init` with {"Authorization": "Bearer <the UDT>"}; the result pane shows the playlist's name.
// 3. Through REST (Node fetch, another connection than the page's): PATCH /api/playlists/{id} renames it and
//    POST /api/playlists/{id}/tracks appends the track; the result pane shows the new name, then the track's
//    title, each within 5 s (the time from the REST call's start to the page showing it is printed).
// 4. The stop button ends the subscription: a `complete` frame is sent and the WebSocket closes.
// Screenshot: $ARTIFACTS/graphiql-live.png. Exit code 0 only when everything held.
import { join } from "node:path";
import { launchChromium } from "./chromium.mjs";
import { artifacts, base, call, check, freshArtifact } from "./harness.mjs";

const client = JSON.parse(process.env.CLIENT || "null");
if (!client) {
  console.error("usage: BASE_URL=... CLIENT='{client_id, client_secret}' node live.mjs");
  process.exit(2);
}
freshArtifact("live-failure.png");



const browser = await launchChromium();
let failed = false;
let current = null;
const sockets = [];  // every WebSocket the page opens, with the frames it sent and received
const consoleErrors = [];
try {
  // ------------------------------------------------------------ 1. the backend: user, UDT, playlist, track
  const token = await call("POST", "/api/oauth/token", { grant_type: "client_credentials", ...client });
  check(token.status === 200 && token.body.access_token, `the tenant's backend gets a client token (${token.status})`);
  const clientToken = token.body.access_token;
  const user = await call("POST", "/api/users", { first_name: "Lin", last_name: "Live",
    email: `lin.live.${Date.now()}@example.com`, date_of_birth: "1991-05-06" }, clientToken);
  check(user.status === 201 || user.status === 200, `the backend creates a user (${user.status})`);
  const udtAnswer = await call("POST", `/api/users/${user.body.id}/udt`,
    { deviceId: "8d0c4f7a-2b1e-4c3d-9e5f-0a1b2c3d4e5f" }, clientToken);
  check(udtAnswer.status === 200 || udtAnswer.status === 201, `and a user token (UDT) for it (${udtAnswer.status})`);
  const udt = udtAnswer.body.token;
  const created = await call("POST", "/api/playlists", { playlist_name: "Before the change", public: false }, udt);
  check(created.status === 201, `the user has a playlist (${created.status} ${created.body.id})`);
  const playlistId = created.body.id;
  const trackAnswer = await call("GET", "/api/tracks/1", undefined, clientToken);
  const trackTitle = trackAnswer.body?.track?.title;
  check(trackAnswer.status === 200 && trackTitle, `catalog track 1 is "${trackTitle}" (GET /api/tracks/1)`);

  // ------------------------------------------------------------ 2. GraphiQL subscribes
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  current = page;
  page.on("console", (msg) => { if (msg.type() === "error") consoleErrors.push(msg.text()); });
  page.on("pageerror", (err) => consoleErrors.push(String(err)));
  page.on("websocket", (ws) => {
    const record = { url: ws.url(), sent: [], received: [], closed: false };
    sockets.push(record);
    ws.on("framesent", (f) => record.sent.push(String(f.payload)));
    ws.on("framereceived", (f) => record.received.push(String(f.payload)));
    ws.on("close", () => { record.closed = true; });
  });

  const response = await page.goto(`${base}/graphql`, { waitUntil: "load" });
  check(response.status() === 200, `GET /graphql answers 200 to a browser (${response.status()})`);
  await page.waitForSelector(".graphiql-query-editor .CodeMirror", { timeout: 30000 });
  const example = await page.evaluate(() => {
    const config = JSON.parse(document.getElementById("yourmusic-graphiql-config").textContent);
    const match = config.defaultQuery.match(/(?:#[^\n]*\n)*subscription PlaylistLive[\s\S]*?\n\}\n/);
    return match ? match[0] : "";
  });
  check(/subscription PlaylistLive\(\$id: ID!\)/.test(example) && /playlistChanged\(id: \$id\)/.test(example),
        "the example document holds the PlaylistLive subscription");
  // The editors: the operation, the Variables tab (first editor of the tools), the Headers tab (second).
  const fill = (token) => page.evaluate(({ example, token, playlistId }) => {
    const [variables, headers] = [...document.querySelectorAll(".graphiql-editor-tool .CodeMirror")];
    variables.CodeMirror.setValue(JSON.stringify({ id: playlistId }, null, 2));
    headers.CodeMirror.setValue(JSON.stringify({ Authorization: `Bearer ${token}` }, null, 2));
    document.querySelector(".graphiql-query-editor .CodeMirror").CodeMirror.setValue(example);
  }, { example, token, playlistId });
  const resultText = () => page.evaluate(
    () => document.querySelector(".graphiql-response .CodeMirror").CodeMirror.getValue());
  const waitForResult = async (needle, timeout) => {
    await page.waitForFunction((needle) => {
      const cm = document.querySelector(".graphiql-response .CodeMirror");
      return cm && cm.CodeMirror.getValue().includes(needle);
    }, needle, { timeout });
  };

  // A bad token first: the server closes the WebSocket with 4403 and the result pane says so at once.
  await fill("not-a-token");
  await page.waitForTimeout(1000);  // GraphiQL re-reads the operations shortly after an edit (debounced)
  let t0 = Date.now();
  await page.locator("button.graphiql-execute-button").click();
  await waitForResult("4403", 5000);
  check(sockets.length === 1 && sockets[0].closed,
        `a bad token: the result pane shows the close (4403 Forbidden) after ${Date.now() - t0} ms, no retry loop`);

  // Then the user token: a new WebSocket with it.
  await fill(udt);
  await page.waitForTimeout(1000);
  await page.locator("button.graphiql-execute-button").click();
  await waitForResult('"Before the change"', 15000);
  const first = JSON.parse(await resultText());
  check(first?.data?.playlistChanged?.id === playlistId && first.data.playlistChanged.trackCount === 0,
        "the result pane shows the playlist's current state (the subscription's first message)");
  const socket = sockets[sockets.length - 1];
  check(sockets.length === 2 && socket.url === `${base.replace(/^http/, "ws")}/graphql`,
        `the page opened a new WebSocket to ${base.replace(/^http/, "ws")}/graphql for the new token (${sockets.map((s) => s.url).join(", ")})`);
  const init = JSON.parse(socket.sent[0] || "{}");
  check(init.type === "connection_init" && init.payload?.Authorization === `Bearer ${udt}`
        && Object.keys(init.payload).length === 1,
        "its first frame is connection_init with the Headers tab's Authorization (and nothing else)");
  const subscribe = socket.sent.map((f) => JSON.parse(f)).find((m) => m.type === "subscribe");
  check(subscribe && subscribe.payload.variables.id === playlistId && /playlistChanged/.test(subscribe.payload.query),
        "then a subscribe frame with the example and the Variables tab's id");

  // ------------------------------------------------------------ 3. changes through REST reach the page
  t0 = Date.now();
  const renamed = await call("PATCH", `/api/playlists/${playlistId}`, { playlist_name: "Renamed through REST" }, udt);
  check(renamed.status === 200, `PATCH /api/playlists/{id} renames it (${renamed.status})`);
  await waitForResult('"Renamed through REST"', 5000);
  check(true, `the result pane shows the new name ${Date.now() - t0} ms after the REST call started`);
  t0 = Date.now();
  const added = await call("POST", `/api/playlists/${playlistId}/tracks`, { track_id: "1" }, udt);
  check(added.status === 201, `POST /api/playlists/{id}/tracks appends track 1 (${added.status})`);
  await waitForResult(JSON.stringify(trackTitle), 5000);
  const latest = JSON.parse(await resultText()).data.playlistChanged;
  check(latest.trackCount === 1 && latest.tracks[0].track.title === trackTitle && latest.name === "Renamed through REST",
        `the result pane shows the track "${trackTitle}" ${Date.now() - t0} ms after the REST call started`);
  const paneText = await page.locator(".graphiql-response").innerText();
  check(paneText.includes("Renamed through REST") && paneText.includes(trackTitle),
        "both changes are visible in the result pane's text");
  await page.screenshot({ path: join(artifacts, "graphiql-live.png") });
  console.log(`screenshot: ${join(artifacts, "graphiql-live.png")}`);

  // ------------------------------------------------------------ 4. stop
  await page.locator("button.graphiql-execute-button").click();
  const deadline = Date.now() + 5000;
  while (!socket.closed && Date.now() < deadline) await page.waitForTimeout(100);
  check(socket.sent.some((f) => JSON.parse(f).type === "complete") && socket.closed,
        "the stop button sends complete and closes the WebSocket");
  if (consoleErrors.length) console.log(`browser console errors (not fatal): ${consoleErrors.join(" | ")}`);
} catch (err) {
  failed = true;
  console.error(`not ok - ${err.message}`);
  console.error(`the page's WebSockets: ${JSON.stringify(sockets)}`);
  if (consoleErrors.length) console.error(`browser console errors: ${consoleErrors.join(" | ")}`);
  try {
    if (current) await current.screenshot({ path: join(artifacts, "live-failure.png") });
  } catch { /* best effort */ }
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
