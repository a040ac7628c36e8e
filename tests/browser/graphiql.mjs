// Real-browser test of the developer pages, in headless Chromium (Debian's package) driven by playwright-core.
//   BASE_URL=http://127.0.0.1:PORT ARTIFACTS=artifacts node tests/browser/graphiql.mjs
// 1. /graphql: GraphiQL renders from local assets only, with the example document and the Authorization
//    template; `{ heartbeat }` is typed into the editor, run, and its answer read back from the page.
// 2. /docs: Redoc renders the OpenAPI document (tags in the reference's order) from local assets only; its
//    bar says where sign-in codes go (the mail outbox) and links the try-it console.
// 3. /: the landing page links every developer page (embedded default: the sandboxes and the outbox too).
// 4. /docs/try: Swagger UI (vendored) renders the document; GET /api/heartbeat is executed from the page and
//    its 200 answer read back.
// Screenshots: $ARTIFACTS/{landing,graphiql,docs,docs-operation,tryit}.png. Exit code 0 only when everything held.
import { join } from "node:path";
import { launchChromium } from "./chromium.mjs";
import { artifacts, base, check, freshArtifact } from "./harness.mjs";

freshArtifact("failure.png");

const browser = await launchChromium();
let failed = false;
try {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  const foreign = [];
  const consoleErrors = [];
  page.on("request", (req) => {
    const url = req.url();
    if (!url.startsWith(base) && !url.startsWith("data:") && !url.startsWith("blob:")) foreign.push(url);
  });
  page.on("console", (msg) => { if (msg.type() === "error") consoleErrors.push(msg.text()); });
  page.on("pageerror", (err) => consoleErrors.push(String(err)));

  // ------------------------------------------------------------------ landing page
  const landing = await page.goto(`${base}/`, { waitUntil: "load" });
  check(landing.status() === 200 && (landing.headers()["content-type"] || "").startsWith("text/html"),
        "GET / answers an HTML page to a browser");
  const hrefs = await page.$$eval("a", (as) => as.map((a) => a.getAttribute("href")));
  for (const href of ["/graphql", "/docs", "/docs/try", "/openapi.json", "/healthz", "/readyz", "/_dev/outbox",
                      "/_sandbox/aggregator/_sandbox/stats", "/_sandbox/stripe/_sandbox/events"]) {
    check(hrefs.includes(href), `the landing page links ${href}`);
  }
  await page.screenshot({ path: join(artifacts, "landing.png"), fullPage: true });
  console.log(`screenshot: ${join(artifacts, "landing.png")}`);

  // ------------------------------------------------------------------ GraphiQL
  const response = await page.goto(`${base}/graphql`, { waitUntil: "load" });
  check(response.status() === 200, `GET /graphql answers 200 to a browser (got ${response.status()})`);
  await page.waitForSelector(".graphiql-query-editor .CodeMirror", { timeout: 30000 });
  const editorValue = () => page.evaluate(
    () => document.querySelector(".graphiql-query-editor .CodeMirror").CodeMirror.getValue());
  const initial = await editorValue();
  check(/query Heartbeat/.test(initial) && /searchTracks/.test(initial) && /\bme\b/.test(initial)
        && /playlist\(/.test(initial), "the editor opens with the example operations (heartbeat, search, me, playlist)");
  const headers = await page.evaluate(() => {
    const cm = document.querySelector(".graphiql-editor-tool .graphiql-headers-editor .CodeMirror")
      || [...document.querySelectorAll(".graphiql-editor-tool .CodeMirror")].pop();
    return cm ? cm.CodeMirror.getValue() : "";
  });
  check(/"Authorization":\s*"Bearer <token>"/.test(headers), `the headers editor holds the Authorization template (${JSON.stringify(headers)})`);

  // Type the query as a developer would: select everything, type over it.
  await page.click(".graphiql-query-editor .CodeMirror-lines");
  await page.keyboard.press("Control+A");
  await page.keyboard.press("Delete");
  await page.keyboard.type("{ heartbeat", { delay: 20 });
  await page.keyboard.press("Escape"); // close the autocomplete hint, if open
  let typed = (await editorValue()).trim();
  if (!typed.endsWith("}")) {  // GraphiQL auto-closes brackets; add the closing one only when it did not
    await page.keyboard.press("End");
    await page.keyboard.type(" }");
    typed = (await editorValue()).trim();
  }
  check(/^\{\s*heartbeat\s*\}$/.test(typed), `the editor now holds { heartbeat } (${JSON.stringify(typed)})`);

  // GraphiQL re-reads the document's operations shortly after an edit (debounced); run only after that,
  // or it would still send the example document's operation name.
  await page.waitForTimeout(1000);
  // Run it (the play button) and wait for the POST it makes.
  const answered = page.waitForResponse((r) => r.url().startsWith(`${base}/graphql`)
    && r.request().method() === "POST" && (r.request().postData() || "").includes("heartbeat"), { timeout: 30000 });
  await page.locator("button.graphiql-execute-button").click();
  check((await answered).status() === 200, "running it POSTs the query to /graphql (200)");
  const resultSelector = ".graphiql-response .CodeMirror";
  await page.waitForFunction((sel) => {
    const cm = document.querySelector(sel);
    return cm && /"heartbeat"/.test(cm.CodeMirror.getValue());
  }, resultSelector, { timeout: 30000 });
  const resultText = await page.locator(".graphiql-response").innerText();
  const result = JSON.parse(await page.evaluate(
    (sel) => document.querySelector(sel).CodeMirror.getValue(), resultSelector));
  const time = result?.data?.heartbeat;
  check(typeof time === "string" && !Number.isNaN(Date.parse(time)), `the page shows the answer: heartbeat = ${time}`);
  check(resultText.includes("heartbeat") && resultText.includes(time.slice(0, 10)),
        "the answer is visible in the result pane's text");
  await page.screenshot({ path: join(artifacts, "graphiql.png") });
  console.log(`screenshot: ${join(artifacts, "graphiql.png")}`);

  // ------------------------------------------------------------------ Redoc
  const docs = await page.goto(`${base}/docs`, { waitUntil: "load" });
  check(docs.status() === 200, "GET /docs answers 200");
  await page.waitForSelector("[data-section-id^='tag/']", { timeout: 60000 });
  const tags = await page.$$eval("[data-section-id^='tag/']",
    (els) => els.map((el) => el.getAttribute("data-section-id")).filter((id) => !id.includes("/operation/")));
  const order = ["Public & Health", "Authentication", "Users", "Profile", "Checkout", "Home", "Playlists",
                 "Artists", "Releases", "Tracks", "Streaming"];
  const seen = [...new Set(tags.map((id) => decodeURIComponent(id.slice(4))))];
  const norm = (s) => s.toLowerCase().replace(/&/g, "and").replace(/[^a-z0-9]/g, "");
  const positions = order.map((t) => seen.findIndex((s) => norm(s) === norm(t)));
  check(positions.every((p, i) => p >= 0 && (i === 0 || p > positions[i - 1])),
        `Redoc shows the reference's tags in order (${seen.join(", ")})`);
  const bodyText = await page.locator("body").innerText();
  for (const text of ["Issue OAuth2 client token", "Request samples", "Response samples", "Stream track"]) {
    check(bodyText.includes(text), `the rendered reference shows "${text}"`);
  }
  await page.screenshot({ path: join(artifacts, "docs.png") });
  console.log(`screenshot: ${join(artifacts, "docs.png")}`);
  // One operation with request and response samples and its error responses, as a reader lands on it.
  const anchor = "[data-section-id='tag/Users/operation/createUser']";
  await page.locator(anchor).first().scrollIntoViewIfNeeded();
  await page.waitForTimeout(500);
  const opText = await page.locator(anchor).first().innerText();
  check(opText.includes("Creates a new user.") && opText.includes("422"),
        "Create user shows the reference's description and its error responses");
  await page.screenshot({ path: join(artifacts, "docs-operation.png") });
  console.log(`screenshot: ${join(artifacts, "docs-operation.png")}`);

  const bar = await page.locator(".ym-bar").innerText();
  check(/mail outbox/.test(bar) && /server log/.test(bar), `the /docs bar says where sign-in codes go (${bar.trim()})`);

  // ------------------------------------------------------------------ try-it console (Swagger UI)
  await page.goto(`${base}/docs`, { waitUntil: "load" });
  await page.click(".ym-bar a[href='/docs/try']");
  await page.waitForURL(`${base}/docs/try`);
  await page.waitForSelector(".swagger-ui .opblock", { timeout: 60000 });
  const info = await page.locator(".swagger-ui .info .title").innerText();
  check(/YourMusic API/.test(info), `Swagger UI renders the document (${info.split("\n")[0]})`);
  const heartbeat = page.locator(".opblock").filter({ has: page.locator(".opblock-summary-path", { hasText: /^\/api\/heartbeat$/ }) }).first();
  await heartbeat.locator(".opblock-summary").click();
  await heartbeat.locator("button.execute").click();
  const liveStatus = heartbeat.locator(".live-responses-table tbody .response-col_status").first();
  await liveStatus.waitFor({ timeout: 30000 });
  const status = (await liveStatus.innerText()).trim();
  const liveBody = await heartbeat.locator(".live-responses-table tbody .response-col_description").first().innerText();
  check(status.startsWith("200") && /"time"/.test(liveBody),
        `"Execute" on GET /api/heartbeat shows the server's answer (${status.split("\n")[0]}, ${liveBody.match(/"time"[^,}]*/)?.[0]})`);
  await heartbeat.locator(".live-responses-table").scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(artifacts, "tryit.png") });
  console.log(`screenshot: ${join(artifacts, "tryit.png")}`);

  check(foreign.length === 0, `no request left the server (offline assets)${foreign.length ? ": " + foreign.join(", ") : ""}`);
  if (consoleErrors.length) console.log(`browser console errors (not fatal): ${consoleErrors.join(" | ")}`);
} catch (err) {
  failed = true;
  console.error(`not ok - ${err.message}`);
  try {
    const pages = browser.contexts().flatMap((c) => c.pages());
    if (pages.length) await pages[0].screenshot({ path: join(artifacts, "failure.png") });
  } catch { /* best effort */ }
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
