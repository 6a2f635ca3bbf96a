// The share-link viewer (docs/sharing.md): reads the link key from the URL fragment (never sent to
// the server), opens the share, decrypts the manifest and the pages in the browser, checks each page
// against the manifest's SHA-256, and shows them with download and print. Only JPEG, PNG and PDF, as told by
// the decrypted bytes themselves (never by the manifest): any other page is refused, never made a blob.
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';

const VERSION = 1;
const enc = new TextEncoder();

const MESSAGES = {
  share_expired: "Ce lien a expiré. Demandez à la personne qui vous l'a donné de partager ses documents à nouveau.",
  share_revoked: "Ce lien a été révoqué par la personne qui l'a partagé. Les documents ne sont plus disponibles.",
  share_exhausted: "Ce lien a atteint son nombre maximal d'ouvertures. Demandez un nouveau lien.",
  share_not_found: "Ce lien est introuvable. Vérifiez qu'il est complet, ou demandez un nouveau lien.",
  bad_link: "Ce lien est incomplet : la clé manque ou est abîmée. Scannez à nouveau le QR code.",
  decrypt: "Ce lien est incomplet ou les documents ont été modifiés : impossible de les déchiffrer.",
  version: "Ce lien a été créé par une version plus récente de Coffre. Mettez votre navigateur à jour ou demandez un nouveau lien.",
  rate_limited: "Trop de tentatives. Patientez une minute puis rechargez la page.",
  network: "Le serveur ne répond pas. Vérifiez votre connexion puis rechargez la page.",
};

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
    if (body && MESSAGES[body.error]) return new ShareError(body.error);
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

const dateFr = (unix) => new Date(unix * 1000).toLocaleString('fr-FR', { dateStyle: 'long', timeStyle: 'short' });
const EXT = { 'image/jpeg': 'jpg', 'image/png': 'png', 'application/pdf': 'pdf' };
const REFUSED_PAGE = "Cette page n'est ni une image (JPEG, PNG) ni un PDF : par sécurité, elle n'est pas affichée. "
  + 'Demandez à la personne qui vous a envoyé le lien de partager à nouveau ce document.';

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

function showStatus(text, isError) {
  const s = document.getElementById('status');
  s.textContent = text;
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

  document.getElementById('purpose').textContent = [
    manifest.dossier ? `Dossier : ${manifest.dossier}.` : '',
    manifest.purpose ? `Motif : ${manifest.purpose}.` : '',
  ].join(' ').trim();
  document.getElementById('expiry').textContent = `Ce lien expire le ${dateFr(manifest.expires_at)}.`;
  const list = document.getElementById('documents');
  const total = manifest.documents.reduce((n, d) => n + d.pages.length, 0);
  let done = 0;
  for (const doc of manifest.documents) {
    const section = el('section', { class: 'document' });
    section.append(el('h2', {}, doc.title || doc.category_label));
    section.append(el('p', { class: 'meta' }, doc.category_label + (doc.expires_on ? ` — valable jusqu'au ${doc.expires_on}` : '')));
    if (doc.watermarked) section.append(el('p', { class: 'note' }, 'Copie filigranée : elle ne vaut que pour cet usage.'));
    list.append(section);
    for (const [n, page] of doc.pages.entries()) {
      showStatus(`Déchiffrement de la page ${done + 1} sur ${total}…`, false);
      const framed = new Uint8Array(await (await request(`${link.base}/pages/${page.index}?t=${encodeURIComponent(opened.token)}`)).arrayBuffer());
      const bytes = openPart(link, page.index, framed);
      const digest = hex(sha256(bytes));
      if (digest !== page.sha256) throw new ShareError('decrypt');
      const fig = el('figure', { 'data-index': String(page.index), 'data-sha256': digest });
      const caption = el('figcaption', {}, doc.pages.length > 1 ? `Page ${n + 1} sur ${doc.pages.length}` : '');
      const type = sniffType(bytes);
      if (type === null) {
        fig.setAttribute('data-refused', '');
        fig.append(caption, el('p', { class: 'refused', role: 'alert' }, REFUSED_PAGE));
        section.append(fig);
        done += 1;
        continue;
      }
      const url = URL.createObjectURL(new Blob([bytes], { type }));
      const label = `${doc.title || doc.category_label} — page ${n + 1}`;
      if (type.startsWith('image/')) fig.append(el('img', { src: url, alt: label }));
      const actions = el('div', { class: 'actions' });
      const name = `${(doc.title || 'document').replace(/[^\p{L}\p{N} _-]+/gu, '').trim() || 'document'}-${n + 1}.${EXT[type]}`;
      actions.append(el('a', { class: 'button secondary', href: url, download: name }, `Télécharger ${label}`));
      if (type === 'application/pdf') actions.append(el('a', { class: 'button secondary', href: url, target: '_blank', rel: 'noopener' }, `Ouvrir ${label}`));
      fig.append(caption, actions);
      section.append(fig);
      done += 1;
    }
  }
  document.getElementById('share').hidden = false;
  showStatus(`${total} page${total > 1 ? 's' : ''} déchiffrée${total > 1 ? 's' : ''} sur cet appareil.`, false);
  document.body.dataset.state = 'ready';
}

function start() {
  document.getElementById('print').addEventListener('click', () => window.print());
  run().catch((e) => {
    const code = e instanceof ShareError ? e.code : 'decrypt';
    showStatus(MESSAGES[code] || MESSAGES.decrypt, true);
    document.body.dataset.state = 'error';
    document.body.dataset.error = code;
  });
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
else start();
