// A call's audit trail, checked in this browser rather than taken on the service's word:
// each entry's bytes are hashed to its leaf (SHA-256(0x00 || entry), as
// governance/audit/merkle.py hashes them), its inclusion proof is followed to a root
// (RFC 9162 section 2.1.3.2; node = SHA-256(0x01 || left || right)), and that root must be
// the one the signed checkpoint states, whose Ed25519 signature is checked too.
// Plain script, served from the package; it writes text only (never HTML from the data).
"use strict";

(function () {
  const encoder = new TextEncoder();

  function fromBase64(text) {
    const binary = atob(text);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
    return bytes;
  }

  function toBase64(bytes) {
    let binary = "";
    for (const b of bytes) binary += String.fromCharCode(b);
    return btoa(binary);
  }

  function toHex(bytes) {
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function concat(...parts) {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }

  function same(a, b) {
    return a.length === b.length && a.every((v, i) => v === b[i]);
  }

  async function sha256(bytes) {
    return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  }

  const leafHash = (entry) => sha256(concat(Uint8Array.of(0), entry));
  const nodeHash = (left, right) => sha256(concat(Uint8Array.of(1), left, right));

  // RFC 9162 2.1.3.2. BigInt: the log's indexes may pass 2^31, where JavaScript's bit
  // operators on numbers wrap.
  async function rootFromProof(leaf, index, size, proof) {
    let fn = BigInt(index);
    let sn = BigInt(size) - 1n;
    if (fn < 0n || fn > sn) return null;
    let r = leaf;
    for (const p of proof) {
      if (sn === 0n) return null;
      if ((fn & 1n) === 1n || fn === sn) {
        r = await nodeHash(p, r);
        while ((fn & 1n) === 0n && fn !== 0n) {
          fn >>= 1n;
          sn >>= 1n;
        }
      } else {
        r = await nodeHash(r, p);
      }
      fn >>= 1n;
      sn >>= 1n;
    }
    return sn === 0n ? r : null;
  }

  // A C2SP signed note: "<origin>\n<size>\n<base64 root>\n\n— <name> <base64 stamp>\n".
  function readNote(note) {
    const cut = note.indexOf("\n\n");
    if (cut < 0 || !note.endsWith("\n")) throw new Error("the checkpoint is not a signed note");
    const body = note.slice(0, cut + 1);
    const lines = body.split("\n");
    if (lines.length !== 4 || !/^(0|[1-9][0-9]*)$/.test(lines[1])) {
      throw new Error("the checkpoint's body is not origin, size and root");
    }
    const root = fromBase64(lines[2]);
    if (root.length !== 32) throw new Error("the checkpoint's root is not 32 bytes");
    return { body, origin: lines[0], size: lines[1], root, signatures: note.slice(cut + 2, -1).split("\n") };
  }

  // "checked", "failed" or "unavailable" (a browser without Ed25519 in Web Crypto).
  async function checkSignature(read, verifierKey) {
    const first = verifierKey.indexOf("+");
    const second = verifierKey.indexOf("+", first + 1);
    const name = verifierKey.slice(0, first);
    const keyId = verifierKey.slice(first + 1, second);
    const raw = fromBase64(verifierKey.slice(second + 1));
    if (first < 1 || second < 0 || raw.length !== 33 || raw[0] !== 1) {
      return { state: "failed", text: "the log's verifier key is malformed" };
    }
    const publicKey = raw.slice(1);
    const id = (await sha256(concat(encoder.encode(name), Uint8Array.of(0x0a, 0x01), publicKey))).slice(0, 4);
    if (toHex(id) !== keyId) return { state: "failed", text: "the verifier key's ID does not match its key" };
    const line = read.signatures.find((l) => l.startsWith("\u2014 " + name + " "));
    const stamp = line ? fromBase64(line.split(" ")[2] || "") : new Uint8Array();
    if (stamp.length !== 68 || !same(stamp.slice(0, 4), id)) {
      return { state: "failed", text: "the checkpoint carries no signature by key " + keyId };
    }
    let key;
    try {
      key = await crypto.subtle.importKey("raw", publicKey, { name: "Ed25519" }, false, ["verify"]);
    } catch (err) {
      return { state: "unavailable", text: "this browser cannot check Ed25519 signatures; govern audit verify can" };
    }
    const valid = await crypto.subtle.verify({ name: "Ed25519" }, key, stamp.slice(4), encoder.encode(read.body));
    return valid
      ? { state: "checked", text: "signature checked: signed by key " + keyId + " (Ed25519)" }
      : { state: "failed", text: "signature failed: the checkpoint's signature by key " + keyId + " does not verify" };
  }

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function fact(list, term, value, mono) {
    list.append(element("dt", "", term), element("dd", mono ? "mono" : "", value));
  }

  async function checkEntry(item, read, subject) {
    const bytes = fromBase64(item.entry);
    const leaf = await leafHash(bytes);
    let stated;
    try {
      stated = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
    } catch (err) {
      return "the entry is not UTF-8 JSON";
    }
    if (stated.index !== item.index) return "the entry states index " + stated.index + ", not " + item.index;
    if (stated.subject !== subject) return "the entry is about " + stated.subject + ", not " + subject;
    if (toBase64(leaf) !== item.leaf_hash) {
      return "the entry hashes to leaf " + toBase64(leaf) + ", not the " + item.leaf_hash + " the service gave";
    }
    const root = await rootFromProof(leaf, item.index, read.size, item.proof.map(fromBase64));
    if (root === null || !same(root, read.root)) {
      return "its proof does not lead to root " + toBase64(read.root) + " of the log of size " + read.size;
    }
    return null;
  }

  function showEntry(list, item, failure, read) {
    const li = element("li", "call-audit-entry");
    li.dataset.index = String(item.index);
    li.append(element("h3", "", "Entry " + item.index + ": " + item.kind));
    const verdict = failure === null
      ? element("p", "ok call-audit-proof", "proof checked: included in the log of size " + read.size + " with root " + toBase64(read.root))
      : element("p", "error call-audit-proof", "proof failed: " + failure);
    verdict.dataset.state = failure === null ? "checked" : "failed";
    li.append(verdict);
    const facts = element("dl", "audit-facts");
    fact(facts, "Actor", item.actor, true);
    fact(facts, "Time", item.at, false);
    fact(facts, "Leaf hash (base64)", item.leaf_hash, true);
    li.append(facts);
    const details = element("details");
    details.append(element("summary", "", "The entry and its proof (" + item.proof.length + " hashes)"));
    details.append(element("pre", "audit-note", new TextDecoder().decode(fromBase64(item.entry))));
    const hashes = element("ol", "mono audit-list");
    for (const h of item.proof) hashes.append(element("li", "", h));
    details.append(hashes);
    li.append(details);
    list.append(li);
  }

  async function showTrail(section, trail) {
    const status = section.querySelector(".call-audit-status");
    const box = section.querySelector(".call-audit-checkpoint");
    const list = section.querySelector(".call-audit-entries");
    const checkpoint = trail.checkpoint;
    let read;
    try {
      read = readNote(checkpoint.note);
    } catch (err) {
      status.className = "call-audit-status error";
      status.textContent = "The checkpoint could not be read: " + err.message;
      return;
    }
    const signature = await checkSignature(read, checkpoint.verifier_key);
    const facts = element("dl", "audit-facts");
    fact(facts, "Checkpoint", "log of size " + read.size + ", root " + toBase64(read.root), true);
    fact(facts, "Signed at", checkpoint.signed_at || "not yet", false);
    fact(facts, "Log's key", "ID " + checkpoint.key_id + ", SHA-256 " + checkpoint.public_key_sha256, true);
    box.replaceChildren(facts);
    const signed = element("p", signature.state === "checked" ? "ok" : signature.state === "failed" ? "error" : "warn", signature.text);
    signed.classList.add("call-audit-signature");
    signed.dataset.state = signature.state;
    box.append(signed);
    box.append(element("p", "", "Pin the key elsewhere: this page got it from the service it is checking."));
    const evidence = element("a", "", "Download this call's evidence bundle");
    evidence.href = "/ui/audit/calls/" + trail.call_id + "/evidence.zip";
    evidence.setAttribute("download", "");
    const download = element("p");
    download.append(evidence);
    box.append(download);

    let failed = 0;
    list.replaceChildren();
    for (const item of trail.entries) {
      const failure = await checkEntry(item, read, trail.subject);
      if (failure !== null) failed += 1;
      showEntry(list, item, failure, read);
    }
    const n = trail.entries.length;
    if (n === 0) {
      status.className = "call-audit-status warn";
      status.textContent = "No entry about this call is covered by the checkpoint yet.";
    } else if (failed === 0 && signature.state !== "failed") {
      status.className = "call-audit-status ok";
      status.textContent = "All " + n + " entr" + (n === 1 ? "y" : "ies") + " checked by this browser: each is in the log of size " + read.size + ".";
    } else {
      status.className = "call-audit-status error";
      status.textContent = failed + " of " + n + " proofs failed" + (signature.state === "failed" ? ", and the checkpoint's signature failed" : "") + ".";
    }
    section.dataset.checked = failed === 0 && signature.state !== "failed" ? "checked" : "failed";
  }

  async function load(section) {
    const status = section.querySelector(".call-audit-status");
    const id = section.dataset.callId;
    try {
      const response = await fetch("/ui/calls/" + encodeURIComponent(id) + "/audit.json", {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      const type = response.headers.get("Content-Type") || "";
      if (response.redirected && new URL(response.url).pathname === "/ui/login") {
        throw new Error("the session has ended; sign in again");
      }
      if (!response.ok || !type.startsWith("application/json")) {
        throw new Error("the service answered HTTP " + response.status);
      }
      const answer = await response.json();
      if (answer.trail === null) {
        status.textContent = "Not shown to your key: " + answer.detail + ".";
        return;
      }
      await showTrail(section, answer.trail);
    } catch (err) {
      status.className = "call-audit-status error";
      status.textContent = "The audit trail could not be loaded: " + err.message + ".";
    }
  }

  function start() {
    for (const section of document.querySelectorAll("section.call-audit[data-call-id]")) {
      // The partial may be included more than once; each section is checked once.
      if (section.dataset.started) continue;
      section.dataset.started = "yes";
      load(section);
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
