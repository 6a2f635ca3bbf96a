// The share-link viewer (docs/sharing.md): reads the link key from the URL fragment (never sent to
// the server), opens the share, decrypts the manifest and the pages in the browser, checks each page
// against the manifest's SHA-256, and shows them with download and print. Only JPEG, PNG and PDF, as told by
// the decrypted bytes themselves (never by the manifest): any other page is refused, never made a blob.
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';

const VERSION = 1;
const enc = new TextEncoder();

// The share page's sentences, per language, from the catalogue (core/l10n/<lang>/coffre.ftl,
// ids viewer-*), compiled to src/messages.json (checked by coffre-l10n's tests) and bundled.
import CATALOGUE from './messages.json';

const LANGS = { fr: 'Français', en: 'English', ar: 'العربية' };
const LOCALES = { fr: 'fr-FR', en: 'en-GB', ar: 'ar-u-nu-latn' };
const REFUSALS = ['share_expired', 'share_revoked', 'share_exhausted', 'share_not_found', 'bad_link', 'decrypt', 'version', 'rate_limited', 'network'];

// The browser's first language we ship, else French (the recipients' offices read French). A choice
// made with the switch on the page is kept for this browser (it says nothing about the share).
function pickLang() {
  try {
    const chosen = window.localStorage.getItem('coffre-lang');
    if (chosen && CATALOGUE[chosen]) return chosen;
  } catch (_) { /* storage refused */ }
  for (const tag of navigator.languages || [navigator.language || '']) {
    const primary = String(tag).toLowerCase().split('-')[0];
    if (CATALOGUE[primary]) return primary;
  }
  return 'fr';
}

let lang = pickLang();

// The sentence `id` with its {name} holes filled; French when the language lacks it.
function tr(id, args = {}) {
  const text = (CATALOGUE[lang] && CATALOGUE[lang][id]) || CATALOGUE.fr[id] || id;
  return text.replace(/\{(\w+)\}/g, (m, name) => (name in args ? String(args[name]) : m));
}

// Sets an element's text from the catalogue and remembers how, so a language switch rewrites it.
function say(e, id, args = {}) {
  e.dataset.i18n = JSON.stringify([id, args]);
  e.textContent = tr(id, args);
  return e;
}

function applyLang() {
  document.documentElement.lang = lang;
  document.documentElement.dir = lang === 'ar' ? 'rtl' : 'ltr';
  document.title = `${tr('viewer-title')} — Coffre`;
  for (const e of document.querySelectorAll('[data-i18n]')) {
    const [id, args] = JSON.parse(e.dataset.i18n);
    e.textContent = tr(id, args);
  }
  for (const b of document.querySelectorAll('#langs button')) b.setAttribute('aria-pressed', String(b.dataset.lang === lang));
}

function langSwitch() {
  const nav = document.getElementById('langs');
  if (!nav) return;
  for (const [code, name] of Object.entries(LANGS)) {
    const b = el('button', { type: 'button', lang: code, 'data-lang': code, class: 'lang' }, name);
    b.addEventListener('click', () => {
      lang = code;
      try { window.localStorage.setItem('coffre-lang', code); } catch (_) { /* storage refused */ }
      applyLang();
    });
    nav.append(b);
  }
}

class ShareError extends Error {
  constructor(code) { super(code); this.code = code; }
}

function b64urlDecode(s) {
  if (!/^[A-Za-z0-9_-]*$/.test(s)) throw new ShareError('bad_link');
  const b64 = s.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((s.length + 3) % 4);
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

function parseLink(loc) {
  const m = /\/s\/([A-Za-z0-9_-]{22})$/.exec(loc.pathname);
  const frag = loc.hash.startsWith('#') ? loc.hash.slice(1) : '';
  if (!m) throw new ShareError('share_not_found');
  if (/^v\d+\./.test(frag) && !frag.startsWith('v1.')) throw new ShareError('version');
  if (!frag.startsWith('v1.')) throw new ShareError('bad_link');
  const key = b64urlDecode(frag.slice(3));
  const id = b64urlDecode(m[1]);
  if (key.length !== 32 || id.length !== 16) throw new ShareError('bad_link');
  return { idText: m[1], id, key, base: loc.pathname };
}

// What the server asks before it counts an opening: sha256("coffre/share/v1/open" 0x00 || link key).
// Someone who has the id alone (no fragment) cannot make it, so cannot use the openings up.
function openProof(link) {
  const label = enc.encode('coffre/share/v1/open\0');
  const msg = new Uint8Array(label.length + link.key.length);
  msg.set(label, 0);
  msg.set(link.key, label.length);
  return sha256(msg);
}

const b64url = (bytes) => btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

function partKey(link, part) {
  const info = part === 'manifest' ? 'coffre/share/v1/manifest' : `coffre/share/v1/page/${part}`;
  return hkdf(sha256, link.key, undefined, enc.encode(info), 32);
}

function aad(link, part) {
  const label = enc.encode('coffre/share/v1');
  const out = new Uint8Array(label.length + 1 + 16 + 1 + 4);
  out.set(label, 0);
  let o = label.length + 1;
  out.set(link.id, o);
  o += 16;
  out[o] = part === 'manifest' ? 0 : 1;
  new DataView(out.buffer).setUint32(o + 1, part === 'manifest' ? 0 : part, false);
  return out;
}

// Padded frame: len(be32) || envelope || zeros.
function unpad(framed) {
  if (framed.length < 4) throw new ShareError('decrypt');
  const len = new DataView(framed.buffer, framed.byteOffset, framed.byteLength).getUint32(0, false);
  if (len > framed.length - 4) throw new ShareError('decrypt');
  return framed.subarray(4, 4 + len);
}

function openPart(link, part, framed) {
  const env = unpad(framed);
  if (env.length < 1 + 24 + 16) throw new ShareError('decrypt');
  if (env[0] !== VERSION) throw new ShareError('version');
  const nonce = env.subarray(1, 25);
  try {
    return xchacha20poly1305(partKey(link, part), nonce, aad(link, part)).decrypt(env.subarray(25));
  } catch (_) {
    throw new ShareError('decrypt');
  }
}

async function refusal(resp) {
  try {
    const body = await resp.json();
    if (body && REFUSALS.includes(body.error)) return new ShareError(body.error);
  } catch (_) { /* not JSON */ }
  return new ShareError(resp.status === 429 ? 'rate_limited' : 'network');
}

async function request(url, init) {
  let resp;
  try {
    resp = await fetch(url, { cache: 'no-store', credentials: 'omit', referrerPolicy: 'no-referrer', ...init });
  } catch (_) {
    throw new ShareError('network');
  }
  if (!resp.ok) throw await refusal(resp);
  return resp;
}

// A moment in words in the page's language and the reader's time zone (the browser's).
const dateInWords = (unix) => new Date(unix * 1000).toLocaleString(LOCALES[lang], { dateStyle: 'long', timeStyle: 'short' });
const EXT = { 'image/jpeg': 'jpg', 'image/png': 'png', 'application/pdf': 'pdf' };

const startsWith = (bytes, magic) => bytes.length >= magic.length && magic.every((b, i) => bytes[i] === b);

// The type of a decrypted page, from its own first bytes: the manifest's claim is the creator's word,
// and a creator's HTML or SVG turned into a blob: URL would run on this server's origin. Only JPEG,
// PNG and PDF are ever shown or offered; anything else is null (refused).
function sniffType(bytes) {
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (startsWith(bytes, [0x25, 0x50, 0x44, 0x46, 0x2d])) return 'application/pdf';
  return null;
}

function el(tag, attrs = {}, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

function showStatus(id, args, isError) {
  const s = document.getElementById('status');
  say(s, id, args);
  s.className = isError ? 'error' : '';
  s.setAttribute('role', isError ? 'alert' : 'status');
  s.hidden = false;
}

async function run() {
  const link = parseLink(window.location);
  const opened = await (await request(`${link.base}/open`, {
    method: 'POST',
    headers: { 'x-coffre-share-proof': b64url(openProof(link)) },
  })).json();
  if (opened.v !== VERSION) throw new ShareError('version');
  const manifest = JSON.parse(new TextDecoder().decode(openPart(link, 'manifest', b64urlDecode(opened.manifest))));
  if (manifest.v !== VERSION) throw new ShareError('version');

  const purpose = document.getElementById('purpose');
  if (manifest.dossier) purpose.append(say(el('span'), 'viewer-dossier', { dossier: manifest.dossier }), ' ');
  if (manifest.purpose) purpose.append(say(el('span'), 'viewer-purpose', { purpose: manifest.purpose }));
  say(document.getElementById('expiry'), 'viewer-expires', { date: dateInWords(manifest.expires_at) });
  const list = document.getElementById('documents');
  const total = manifest.documents.reduce((n, d) => n + d.pages.length, 0);
  let done = 0;
  for (const doc of manifest.documents) {
    const section = el('section', { class: 'document' });
    section.append(el('h2', {}, doc.title || doc.category_label));
    const meta = el('p', { class: 'meta' }, doc.category_label);
    if (doc.expires_on) meta.append(' — ', say(el('span'), 'viewer-valid-until', { date: doc.expires_on }));
    section.append(meta);
    if (doc.watermarked) section.append(say(el('p', { class: 'note' }), 'viewer-watermarked'));
    list.append(section);
    for (const [n, page] of doc.pages.entries()) {
      showStatus('viewer-decrypting', { n: done + 1, total }, false);
      const framed = new Uint8Array(await (await request(`${link.base}/pages/${page.index}?t=${encodeURIComponent(opened.token)}`)).arrayBuffer());
      const bytes = openPart(link, page.index, framed);
      const digest = hex(sha256(bytes));
      if (digest !== page.sha256) throw new ShareError('decrypt');
      const fig = el('figure', { 'data-index': String(page.index), 'data-sha256': digest });
      const caption = el('figcaption');
      if (doc.pages.length > 1) say(caption, 'viewer-page-of', { n: n + 1, total: doc.pages.length });
      const type = sniffType(bytes);
      if (type === null) {
        fig.setAttribute('data-refused', '');
        fig.append(caption, say(el('p', { class: 'refused', role: 'alert' }), 'viewer-refused-page'));
        section.append(fig);
        done += 1;
        continue;
      }
      const url = URL.createObjectURL(new Blob([bytes], { type }));
      const label = tr('viewer-page-label', { title: doc.title || doc.category_label, n: n + 1 });
      if (type.startsWith('image/')) fig.append(el('img', { src: url, alt: label }));
      const actions = el('div', { class: 'actions' });
      const name = `${(doc.title || 'document').replace(/[^\p{L}\p{N} _-]+/gu, '').trim() || 'document'}-${n + 1}.${EXT[type]}`;
      const labelArgs = { label };
      actions.append(say(el('a', { class: 'button secondary', href: url, download: name }), 'viewer-download', labelArgs));
      if (type === 'application/pdf') actions.append(say(el('a', { class: 'button secondary', href: url, target: '_blank', rel: 'noopener' }), 'viewer-open', labelArgs));
      fig.append(caption, actions);
      section.append(fig);
      done += 1;
    }
  }
  document.getElementById('share').hidden = false;
  showStatus('viewer-done', { total }, false);
  document.body.dataset.state = 'ready';
}

function start() {
  for (const [id, sel] of [['viewer-title', 'h1'], ['viewer-print', '#print'], ['viewer-note', '#note'], ['viewer-opening', '#status']]) {
    const e = document.querySelector(sel);
    if (e) say(e, id);
  }
  langSwitch();
  applyLang();
  document.getElementById('print').addEventListener('click', () => window.print());
  run().catch((e) => {
    const code = e instanceof ShareError ? e.code : 'decrypt';
    showStatus(REFUSALS.includes(code) ? `viewer-${code}` : 'viewer-decrypt', {}, true);
    document.body.dataset.state = 'error';
    document.body.dataset.error = code;
  });
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
else start();
