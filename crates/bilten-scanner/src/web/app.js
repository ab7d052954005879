// Bilten scanner app. Hand-written, no dependencies, no build step.
//
// Online, every scan is decided by the server (POST /api/v1/checkin/redeem). When the server
// is unreachable or slower than 1.5 s the app switches to offline by itself: it verifies the
// Ed25519 signature with WebCrypto, checks the synced revocation list and list rules, opens
// the ticket's encrypted entry with a key derived from the scanned code, and keeps the scan in
// a local log that is uploaded (POST /api/v1/checkin/uploads) once the server answers again.
// The decision rules mirror bilten_domain::checkin::decide (see docs/SCANNER.md).
"use strict";

const TIMEOUT_MS = 1500;
const PROBE_MS = 4000;
const SYNC_MS = 30000;
const STORE = "bilten.scanner.v1";
const enc = new TextEncoder();

const $ = (id) => document.getElementById(id);

const state = {
  token: null, device: null, event: null, lists: [], listId: null,
  online: true, sync: null, keys: [], pending: [], local: {}, uploading: false,
};

// ------------------------------------------------------------------ persistence

function save() {
  localStorage.setItem(STORE, JSON.stringify({
    token: state.token, device: state.device, event: state.event, lists: state.lists,
    listId: state.listId, pending: state.pending, local: state.local,
  }));
}

function load() {
  try { Object.assign(state, JSON.parse(localStorage.getItem(STORE) || "{}")); } catch (_) { /* fresh start */ }
  state.pending = state.pending || [];
  state.local = state.local || {};
  state.lists = state.lists || [];
}

function syncKey() { return STORE + ".sync." + state.listId; }

// The offline data (one sealed entry per ticket) can be megabytes for a large event, more than
// localStorage holds, so it lives in IndexedDB; the small things (token, pending scans) stay in
// localStorage.
function idb() {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open("bilten-scanner", 1);
    open.onupgradeneeded = () => open.result.createObjectStore("sync");
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => reject(open.error);
  });
}

async function saveSync() {
  try {
    const db = await idb();
    await new Promise((resolve, reject) => {
      const tx = db.transaction("sync", "readwrite");
      tx.objectStore("sync").put(state.sync, syncKey());
      tx.oncomplete = resolve;
      tx.onerror = () => reject(tx.error);
    });
    db.close();
  } catch (e) { console.warn("offline data not stored", e); }
}

async function loadSync() {
  try {
    const db = await idb();
    const value = await new Promise((resolve, reject) => {
      const get = db.transaction("sync").objectStore("sync").get(syncKey());
      get.onsuccess = () => resolve(get.result || null);
      get.onerror = () => reject(get.error);
    });
    db.close();
    return value;
  } catch (_) { return null; }
}

function forgetSync() {
  try { indexedDB.deleteDatabase("bilten-scanner"); } catch (_) { /* nothing stored */ }
}

// ------------------------------------------------------------------ network

class Offline extends Error {}

// A request that counts as "offline" when it fails, times out (1.5 s) or the service says
// it cannot serve (5xx). 4xx answers are real answers.
async function api(method, path, body) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
  let response;
  try {
    response = await fetch(path, {
      method,
      signal: controller.signal,
      headers: Object.assign({ "content-type": "application/json" },
        state.token ? { authorization: "Bearer " + state.token } : {}),
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    throw new Offline(String(e));
  } finally {
    clearTimeout(timer);
  }
  if (response.status >= 500) throw new Offline("HTTP " + response.status);
  let data = null;
  try { data = await response.json(); } catch (_) { data = null; }
  if (response.status === 401 && data && data.error && data.error.code === "device_revoked") {
    unpair("This device was revoked or unpaired. Pair it again.");
  }
  return { status: response.status, data };
}

function setOnline(online) {
  const changed = state.online !== online;
  state.online = online;
  renderBadge();
  if (changed && online) { uploadPending().then(syncNow); }
}

function renderBadge() {
  $("net-status").textContent = state.online ? "online" : "offline";
  $("net-badge").classList.toggle("offline", !state.online);
  $("pending-count").textContent = String(state.pending.length);
}

// ------------------------------------------------------------------ views

function show(view) {
  for (const id of ["pair-view", "list-view", "scan-view"]) $(id).hidden = id !== view;
  $("event-name").textContent = state.event ? state.event.title : "";
  if (view === "scan-view") setTimeout(() => $("code-input").focus(), 0);
}

function currentList() { return state.lists.find((l) => l.id === state.listId) || null; }

function renderLists() {
  const box = $("lists");
  box.textContent = "";
  if (!state.lists.length) {
    const p = document.createElement("p");
    p.textContent = "This event has no check-in lists yet. Ask a manager to create one.";
    box.appendChild(p);
  }
  for (const list of state.lists) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "list-choice";
    b.dataset.id = list.id;
    b.textContent = list.name + (list.reentry_allowed ? " (re-entry)" : "");
    b.addEventListener("click", () => chooseList(list.id));
    box.appendChild(b);
  }
  show("list-view");
}

async function chooseList(id) {
  state.listId = id;
  save();
  const list = currentList();
  $("list-name").textContent = list ? list.name : "";
  state.sync = await loadSync();
  await importKeys();
  show("scan-view");
  await syncNow();
  refreshCounts();
}

// Unpairing (or a revoked device) also drops the offline data: nothing stays on the device.
function unpair(message) {
  forgetSync();
  state.sync = null;
  state.local = {};
  state.token = null; state.device = null; state.event = null; state.lists = []; state.listId = null;
  save();
  $("pair-error").textContent = message || "";
  show("pair-view");
}

// ------------------------------------------------------------------ pairing

async function pair(event) {
  event.preventDefault();
  $("pair-error").textContent = "";
  const code = $("pairing-code").value.trim();
  const gate = $("gate").value.trim();
  try {
    const { status, data } = await api("POST", "/api/v1/checkin/pair", { pairing_code: code, gate: gate || null });
    if (status !== 201) {
      $("pair-error").textContent = (data && data.error && data.error.message) || "Pairing failed.";
      return;
    }
    state.token = data.device_token;
    state.device = data.device;
    state.event = data.event;
    state.lists = data.lists;
    save();
    renderLists();
  } catch (_) {
    $("pair-error").textContent = "The scanner service is not reachable. Pairing needs a connection.";
  }
}

async function refreshLists() {
  try {
    const { status, data } = await api("GET", "/api/v1/checkin/lists");
    if (status === 200) {
      state.lists = data.items;
      state.event = data.event;
      save();
    }
    setOnline(true);
  } catch (_) { setOnline(false); }
}

// ------------------------------------------------------------------ sync (offline data)

async function syncNow() {
  if (!state.listId || !state.token) return;
  const since = state.sync && state.sync.list && state.sync.list.id === state.listId ? state.sync.cursor : "";
  try {
    const { status, data } = await api("GET",
      "/api/v1/checkin/sync?list_id=" + encodeURIComponent(state.listId) + "&since=" + encodeURIComponent(since || ""));
    if (status !== 200) return;
    if (data.full || !state.sync) {
      state.sync = { list: data.list, keys: data.public_keys, revoked: data.revoked, entries: {}, cursor: data.cursor };
    } else {
      state.sync.list = data.list;
      state.sync.keys = data.public_keys;
      state.sync.revoked = Array.from(new Set(state.sync.revoked.concat(data.revoked)));
      state.sync.cursor = data.cursor;
    }
    for (const e of data.entries) state.sync.entries[e.lookup] = { n: e.nonce_b64, c: e.ciphertext_b64 };
    await saveSync();
    await importKeys();
    setOnline(true);
  } catch (e) {
    if (e instanceof Offline) setOnline(false); else console.warn("sync failed", e);
  }
}

async function importKeys() {
  state.keys = [];
  if (!state.sync) return;
  for (const k of state.sync.keys) {
    try {
      const key = await crypto.subtle.importKey("raw", b64(k.public_key), { name: "Ed25519" }, false, ["verify"]);
      state.keys.push({ id: k.key_id, key });
    } catch (e) { console.warn("public key not usable", k.key_id, e); }
  }
}

// ------------------------------------------------------------------ crypto helpers

function b64(s) { return Uint8Array.from(atob(s), (c) => c.charCodeAt(0)); }
function hex(buf) { return Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, "0")).join(""); }

const B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// Strict base64url without padding (the server refuses non-zero trailing bits too).
function decodeCode(code) {
  if (!/^[A-Za-z0-9_-]{146}$/.test(code)) return null;
  const out = new Uint8Array(109);
  let bits = 0, value = 0, n = 0;
  for (const ch of code) {
    value = (value << 6) | B64URL.indexOf(ch);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      if (n >= out.length) return null;
      out[n++] = (value >> bits) & 0xff;
    }
  }
  if (n !== 109 || (value & ((1 << bits) - 1)) !== 0) return null;
  return out;
}

function uuidOf(bytes) {
  const h = hex(bytes);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function u32(bytes, at) { return ((bytes[at] << 24) >>> 0) + (bytes[at + 1] << 16) + (bytes[at + 2] << 8) + bytes[at + 3]; }

async function lookupOf(code) {
  return hex(await crypto.subtle.digest("SHA-256", enc.encode("bilten-offline-lookup" + code)));
}

// Opens a ticket's entry with the key derived from its code (bilten_domain::offline).
async function openEntry(code, entry) {
  const ikm = await crypto.subtle.importKey("raw", enc.encode(code), "HKDF", false, ["deriveKey"]);
  const key = await crypto.subtle.deriveKey(
    { name: "HKDF", hash: "SHA-256", salt: enc.encode("bilten-offline-v1"), info: enc.encode("ticket-entry") },
    ikm, { name: "AES-GCM", length: 256 }, false, ["decrypt"]);
  const plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv: b64(entry.n) }, key, b64(entry.c));
  return JSON.parse(new TextDecoder().decode(plain));
}

// ------------------------------------------------------------------ offline decision

const MESSAGES = {
  ok: "Valid — let them in.",
  already_redeemed: "Already checked in.",
  invalid: "Not a valid ticket for this event.",
  revoked: "This code was replaced by a newer ticket.",
  canceled: "Ticket canceled or refunded.",
  unpaid: "Order not paid.",
  product: "Ticket type not admitted on this list.",
  invalid_time: "Not valid at this time.",
};

function answer(reason, extra) {
  return Object.assign({ status: reason === "ok" ? "ok" : "error", reason, message: MESSAGES[reason], ticket: null }, extra || {});
}

// The same precedence as bilten_domain::checkin::decide.
async function decideOffline(code, direction) {
  const sync = state.sync;
  if (!sync || !state.keys.length) return answer("invalid", { message: "No offline data for this list yet: connect once to sync." });
  const bytes = decodeCode(code);
  if (!bytes || bytes[0] !== 1) return answer("invalid");
  const keyId = hex(bytes.slice(1, 5));
  const candidates = state.keys.filter((k) => k.id === keyId);
  if (!candidates.length) return answer("invalid");
  let genuine = false;
  for (const k of candidates) {
    try {
      if (await crypto.subtle.verify({ name: "Ed25519" }, k.key, bytes.slice(45), bytes.slice(0, 45))) genuine = true;
    } catch (_) { /* treat as not verifying */ }
  }
  if (!genuine) return answer("invalid");
  const lookup = await lookupOf(code);
  let data = null;
  const entry = sync.entries[lookup];
  if (entry) { try { data = await openEntry(code, entry); } catch (_) { data = null; } }
  const ticket = data ? { id: data.ticket_id, type: data.type, holder_name: data.holder_name } : { id: uuidOf(bytes.slice(5, 21)), type: "", holder_name: "(not in offline data)" };
  // The entry knows why a code stopped (re-issued: revoked; refunded: canceled); the revocation
  // lookups cover codes whose ticket now has another code (so no entry of their own).
  if (data ? data.ticket_status === "revoked" : sync.revoked.includes(lookup)) return answer("revoked", { ticket });
  if (data && (data.ticket_status === "canceled" || ["canceled", "refunded", "expired"].includes(data.order_status))) return answer("canceled", { ticket });
  if (data && data.order_status === "pending") return answer("unpaid", { ticket });
  const list = sync.list;
  const typeUuid = uuidOf(bytes.slice(21, 37));
  if (!list.all_ticket_types && !list.ticket_type_uuids.includes(typeUuid)) return answer("product", { ticket });
  if (direction === "exit") {
    state.local[lookup] = Object.assign(state.local[lookup] || {}, { inside: false });
    return answer("ok", { ticket });
  }
  const now = Date.now();
  const from = u32(bytes, 37) * 1000, until = u32(bytes, 41) * 1000;
  if ((list.not_before && now < Date.parse(list.not_before)) || (list.not_after && now > Date.parse(list.not_after))
      || (from && now < from) || (until && now > until)) return answer("invalid_time", { ticket });
  const local = state.local[lookup];
  const entered = (local && local.entered) || (data && data.checked_in_at);
  const inside = local && local.inside !== undefined ? local.inside : (data ? data.inside : false);
  if (entered && !(list.reentry_allowed && !inside)) {
    return answer("already_redeemed", { ticket, first_scanned_at: (local && local.at) || (data && data.checked_in_at) || null, first_gate: data ? data.first_gate : null });
  }
  state.local[lookup] = { entered: true, inside: true, at: (local && local.at) || new Date(now).toISOString() };
  return answer("ok", { ticket });
}

// ------------------------------------------------------------------ scanning

function nonce() {
  return crypto.randomUUID ? crypto.randomUUID() : hex(crypto.getRandomValues(new Uint8Array(16)));
}

async function scan(raw, ticketId) {
  const code = (raw || "").trim();
  if (!code && !ticketId) return;
  const direction = document.querySelector("input[name=direction]:checked").value;
  const scanNonce = nonce();
  const body = ticketId ? { ticket_id: ticketId, list_id: state.listId, nonce: scanNonce, direction }
                        : { code, list_id: state.listId, nonce: scanNonce, direction };
  if (state.online) {
    try {
      const { status, data } = await api("POST", "/api/v1/checkin/redeem", body);
      setOnline(true);
      if (status === 200) {
        showResult(data, false);
        // Remember what this device admitted online, so that offline it knows them until the
        // next sync says so too.
        if (code && data.reason === "ok") {
          const lookup = await lookupOf(code);
          const inside = direction === "entry";
          state.local[lookup] = Object.assign(state.local[lookup] || { at: new Date().toISOString() }, inside ? { entered: true, inside } : { inside });
          save();
        }
        refreshCounts();
        return;
      }
      showResult({ status: "error", reason: "invalid", message: (data && data.error && data.error.message) || "Rejected." }, false);
      return;
    } catch (e) {
      if (!(e instanceof Offline)) throw e;
      setOnline(false);
    }
  }
  if (ticketId) { showResult({ status: "error", reason: "invalid", message: "Search needs a connection." }, true); return; }
  // Offline: decide here, keep the scan (with the same nonce: if the server did get the
  // request before the timeout, the upload returns that first answer instead of a second one).
  const result = await decideOffline(code, direction);
  state.pending.push({ code, list_id: state.listId, nonce: scanNonce, direction, scanned_at: new Date().toISOString(), offline_result: result.reason });
  save();
  renderBadge();
  showResult(result, true);
}

let resultTimer = null;

function showResult(result, offline) {
  const box = $("result");
  const kind = result.reason === "ok" ? "ok" : (result.reason === "already_redeemed" || result.reason === "invalid_time" ? "warn" : "error");
  box.className = "result " + kind;
  box.dataset.reason = result.reason;
  box.dataset.mode = offline ? "offline" : "online";
  $("result-icon").textContent = kind === "ok" ? "✔" : (kind === "warn" ? "!" : "✖");
  $("result-title").textContent = kind === "ok" ? (result.direction === "exit" ? "EXIT OK" : "VALID") : (kind === "warn" ? "STOP — CHECK" : "NOT VALID");
  $("result-reason").textContent = result.message || MESSAGES[result.reason] || result.reason;
  const t = result.ticket;
  $("result-holder").textContent = t ? [t.holder_name, t.type].filter(Boolean).join(" · ") : "";
  let extra = "";
  if (result.reason === "already_redeemed" && result.first_scanned_at) {
    extra = "First scan " + new Date(result.first_scanned_at).toLocaleTimeString() + (result.first_gate ? " at " + result.first_gate : "");
  }
  $("result-extra").textContent = extra;
  $("result-mode").textContent = offline ? "Decided offline — will be uploaded." : "";
  box.hidden = false;
  box.focus();
  beep(kind);
  clearTimeout(resultTimer);
  resultTimer = setTimeout(closeResult, kind === "ok" ? 2500 : 6000);
}

function closeResult() {
  $("result").hidden = true;
  $("code-input").value = "";
  $("code-input").focus();
}

let audio = null;
function beep(kind) {
  try {
    audio = audio || new (window.AudioContext || window.webkitAudioContext)();
    const tones = kind === "ok" ? [880] : (kind === "warn" ? [520, 520] : [220, 180]);
    tones.forEach((freq, i) => {
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.frequency.value = freq;
      osc.type = kind === "ok" ? "sine" : "square";
      gain.gain.value = 0.15;
      osc.connect(gain).connect(audio.destination);
      const start = audio.currentTime + i * 0.18;
      osc.start(start);
      osc.stop(start + 0.15);
    });
  } catch (_) { /* no sound available */ }
}

// ------------------------------------------------------------------ uploads, probe, counts

async function uploadPending() {
  if (state.uploading || !state.pending.length || !state.token) return;
  state.uploading = true;
  try {
    const batch = state.pending.slice(0, 200);
    const { status, data } = await api("POST", "/api/v1/checkin/uploads", { scans: batch });
    if (status === 200) {
      const sent = new Set(batch.map((s) => s.nonce));
      state.pending = state.pending.filter((s) => !sent.has(s.nonce));
      if (data.conflicts) console.warn(data.conflicts + " ticket(s) were admitted twice while offline");
      save();
      setOnline(true);
    }
  } catch (e) {
    if (e instanceof Offline) setOnline(false);
  } finally {
    state.uploading = false;
    renderBadge();
  }
  if (state.pending.length && state.online) uploadPending();
}

async function refreshCounts() {
  if (!state.listId || !state.token) return;
  try {
    const { status, data } = await api("GET", "/api/v1/checkin/counts?list_id=" + encodeURIComponent(state.listId));
    if (status === 200) {
      $("count-in").textContent = data.checked_in;
      $("count-expected").textContent = data.expected;
      $("count-inside").textContent = data.inside;
      $("count-inside-wrap").hidden = !(currentList() || {}).reentry_allowed;
      setOnline(true);
      if (state.pending.length) uploadPending();
    }
  } catch (e) {
    if (e instanceof Offline) setOnline(false);
  }
}

// While offline, probe the service; when it answers, pending scans go up and data syncs.
function probeLoop() {
  setInterval(() => { if (!state.online || state.pending.length) refreshCounts(); }, PROBE_MS);
  setInterval(() => { if (state.online) { syncNow(); refreshCounts(); } }, SYNC_MS);
}

// ------------------------------------------------------------------ search

async function search(event) {
  event.preventDefault();
  const q = $("search-q").value.trim();
  const out = $("search-results");
  out.textContent = "";
  if (q.length < 2) return;
  try {
    const { status, data } = await api("GET", "/api/v1/checkin/search?list_id=" + encodeURIComponent(state.listId) + "&q=" + encodeURIComponent(q));
    if (status !== 200) return;
    if (!data.items.length) { const li = document.createElement("li"); li.textContent = "No one found."; out.appendChild(li); }
    for (const hit of data.items) {
      const li = document.createElement("li");
      const label = document.createElement("span");
      label.textContent = `${hit.holder_name} · ${hit.type} · ${hit.order_id}` + (hit.checked_in_at ? " · checked in" : "");
      const b = document.createElement("button");
      b.type = "button";
      b.className = "secondary";
      b.textContent = "Check in";
      b.setAttribute("aria-label", "Check in " + hit.holder_name);
      b.addEventListener("click", () => scan("", hit.ticket_id));
      li.append(label, b);
      out.appendChild(li);
    }
  } catch (e) {
    if (e instanceof Offline) { setOnline(false); const li = document.createElement("li"); li.textContent = "Search needs a connection."; out.appendChild(li); }
  }
}

// ------------------------------------------------------------------ camera (BarcodeDetector)

// The browser's own BarcodeDetector (Chrome/Edge on Android, ChromeOS, macOS) reads QR codes
// from the camera. Where it is missing, the camera button stays hidden and a barcode reader
// (keyboard wedge) or typing is used instead. No third-party decoder is bundled.
async function startCamera(onCode) {
  const video = $("camera");
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
  } catch (_) { $("camera-note").hidden = false; $("camera-note").textContent = "The camera is not available."; return; }
  const detector = new window.BarcodeDetector({ formats: ["qr_code"] });
  video.srcObject = stream;
  video.hidden = false;
  await video.play();
  let last = "", lastAt = 0;
  const tick = async () => {
    if (video.hidden) { stream.getTracks().forEach((t) => t.stop()); return; }
    try {
      const codes = await detector.detect(video);
      const value = codes.length ? codes[0].rawValue : "";
      if (value && (value !== last || Date.now() - lastAt > 4000) && $("result").hidden) {
        last = value; lastAt = Date.now();
        if (onCode(value) === "stop") { video.hidden = true; }
      }
    } catch (_) { /* next frame */ }
    setTimeout(tick, 200);
  };
  tick();
}

// ------------------------------------------------------------------ start

function init() {
  load();
  const camera = "BarcodeDetector" in window && navigator.mediaDevices;
  $("camera-btn").hidden = !camera;
  $("pair-camera").hidden = !camera;
  $("camera-note").hidden = !!camera;
  $("pair-form").addEventListener("submit", pair);
  $("scan-form").addEventListener("submit", (e) => { e.preventDefault(); const v = $("code-input").value; $("code-input").value = ""; scan(v); });
  $("search-form").addEventListener("submit", search);
  $("result-close").addEventListener("click", closeResult);
  // A barcode reader keeps typing while a result is shown: the first character closes the
  // result and starts the next code, so no scan is lost.
  $("result").addEventListener("keydown", (e) => {
    if (e.key === "Enter" || e.key === "Escape") { e.preventDefault(); closeResult(); }
    else if (e.key.length === 1 && !e.ctrlKey && !e.metaKey) { e.preventDefault(); closeResult(); $("code-input").value = e.key; }
  });
  $("change-list").addEventListener("click", () => { refreshLists().then(renderLists); });
  $("unpair").addEventListener("click", () => unpair(""));
  $("camera-btn").addEventListener("click", () => {
    if (!$("camera").hidden) { $("camera").hidden = true; return; }
    startCamera((value) => { scan(value); });
  });
  $("pair-camera").addEventListener("click", () => startCamera((value) => { $("pairing-code").value = value; $("pair-form").requestSubmit(); return "stop"; }));
  window.addEventListener("online", () => refreshCounts());
  renderBadge();
  probeLoop();
  if (!state.token) { show("pair-view"); return; }
  if (state.listId && currentList()) { chooseList(state.listId); } else { refreshLists().then(renderLists); }
}

document.addEventListener("DOMContentLoaded", init);
