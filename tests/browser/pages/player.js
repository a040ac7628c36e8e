// The front-end of tests/browser/pages/player.html: what a tenant's web player does against the API from
// its own origin. Every call is a cross-origin fetch to `${api}/graphql` with the user token as a bearer
// header (so the browser sends a CORS preflight first); playback is hls.js with the token added to the
// manifest request only (the segment URLs in the manifest are signed and need no header).
// window.player exposes the same actions the buttons run, and `state`, for the test to read.
"use strict";

const params = new URLSearchParams(location.search);
const api = (params.get("api") || "").replace(/\/$/, "");
const trackId = params.get("track");
const fragment = new URLSearchParams(location.hash.slice(1));
if (fragment.get("udt")) {
  // The token arrives once in the fragment (never sent to a server) and is kept for this tab only.
  sessionStorage.setItem("udt", fragment.get("udt"));
  history.replaceState(null, "", location.pathname + location.search);
}
const udt = sessionStorage.getItem("udt");
const $ = (id) => document.getElementById(id);
const state = { me: null, track: null, errors: [], hlsErrors: [], playing: false };
let hls = null;

function log(line, cls) {
  const row = document.createElement("div");
  row.textContent = `${new Date().toISOString().slice(11, 23)} ${line}`;
  if (cls) row.className = cls;
  $("log").appendChild(row);
}

/** POST a GraphQL operation with the user token; the data, or an Error naming the errors' codes. */
async function gql(query, variables = {}) {
  const res = await fetch(`${api}/graphql`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${udt}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = await res.json();
  if (body.errors && body.errors.length) {
    throw new Error(body.errors.map((e) => `${(e.extensions && e.extensions.code) || res.status}: ${e.message}`).join("; "));
  }
  return body.data;
}

/** Run an action for a button or the test: errors are shown on the page and kept in state.errors. */
async function guarded(name, action) {
  try {
    return await action();
  } catch (err) {
    const text = `${name} failed: ${err.name}: ${err.message}`;
    state.errors.push(text);
    log(text, "bad");
    throw err;
  }
}

function whoAmI() {
  return guarded("me", async () => {
    const { me } = await gql("{ me { id firstName status subscriptionEndsAt pmType pmLastFour } }");
    state.me = me;
    $("user").textContent = `${me.firstName} (id ${me.id})`;
    const card = me.pmType ? `, ${me.pmType} ${me.pmLastFour}` : "";
    $("status").textContent = `${me.status}${me.subscriptionEndsAt ? ` until ${me.subscriptionEndsAt}` : ""}${card}`;
    $("status").className = me.status === "SUBSCRIBED" ? "ok" : "";
    log(`me: ${me.status}`);
    return me;
  });
}

function subscribe() {
  return guarded("subscribe", async () => {
    const back = new URL(location.href);
    back.hash = "";
    back.searchParams.set("checkout", "success");
    const cancel = new URL(back);
    cancel.searchParams.set("checkout", "cancelled");
    const { createCheckoutSession: session } = await gql(
      `mutation Subscribe($success: String!, $cancel: String!) {
         createCheckoutSession(productSlug: "premium", successUrl: $success, cancelUrl: $cancel) { id url }
       }`, { success: back.href, cancel: cancel.href });
    log(`checkout session ${session.id}: going to the payment page`);
    location.assign(session.url);
    return session;
  });
}

function play() {
  return guarded("play", async () => {
    const { track } = await gql(
      "query Track($id: ID!) { track(id: $id) { id title duration artist { name } streamId } }", { id: trackId });
    state.track = track;
    $("track").textContent = `${track.title}${track.artist ? ` - ${track.artist.name}` : ""} (id ${track.id}, ${track.duration} s)`;
    if (!track.streamId) throw new Error(`track ${track.id} is not streamable (streamId null)`);
    const manifest = `${api}/api/stream/${encodeURIComponent(track.streamId)}`;
    $("stream").textContent = manifest;
    if (!window.Hls || !Hls.isSupported()) throw new Error("hls.js cannot play here (no Media Source Extensions)");
    const audio = $("audio");
    audio.muted = true;
    if (hls) hls.destroy();
    hls = new Hls({
      xhrSetup(xhr, url) {
        if (url === manifest) {  // only the manifest is token-protected; segment URLs carry a signature
          xhr.open("GET", url, true);
          xhr.setRequestHeader("Authorization", `Bearer ${udt}`);
        }
      },
    });
    hls.on(Hls.Events.ERROR, (_event, data) => {
      const code = data.response && data.response.code ? ` HTTP ${data.response.code}` : "";
      const text = `hls.js ${data.type}/${data.details}${code}${data.fatal ? " (fatal)" : ""}`;
      state.hlsErrors.push(text);
      log(text, data.fatal ? "bad" : "");
    });
    hls.on(Hls.Events.MANIFEST_PARSED, (_event, data) => {
      log(`manifest parsed: ${data.levels.length} level(s)`);
      audio.play().then(() => { state.playing = true; log("playing"); },
                        (err) => { state.errors.push(`audio.play(): ${err}`); log(`audio.play(): ${err}`, "bad"); });
    });
    hls.on(Hls.Events.FRAG_LOADED, (_event, data) => log(`segment ${data.frag.sn} loaded (${data.frag.duration.toFixed(3)} s)`));
    audio.ontimeupdate = () => {
      $("position").textContent = `${audio.currentTime.toFixed(2)} s of ${Number.isFinite(audio.duration) ? audio.duration.toFixed(2) : "?"} s`;
    };
    hls.loadSource(manifest);
    hls.attachMedia(audio);
    return track;
  });
}

$("origin").textContent = location.origin;
$("api").textContent = api || "(no ?api=)";
$("refresh").addEventListener("click", () => whoAmI().catch(() => {}));
$("subscribe").addEventListener("click", () => subscribe().catch(() => {}));
$("play").addEventListener("click", () => play().catch(() => {}));
if (!udt) log("no user token: open this page with #udt=<token>", "bad");
const checkout = params.get("checkout");
if (checkout) {
  log(`back from checkout: ${checkout}`, checkout === "success" ? "ok" : "bad");
  whoAmI().catch(() => {});
}
window.player = { api, trackId, state, gql, whoAmI, subscribe, play };
