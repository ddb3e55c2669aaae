// The logged-in person's account: their devices, recent activity, a change of password,
// two-factor authentication, passkeys, a download of their data and the deletion of the account. Each is a section behind a
// disclosure button, so the view stays short on a phone; a section loads what it shows
// when it opens, and again each time it reopens.

import {
  ApiError, beginPasskey, beginTotp, changePassword, confirmTotp, deleteAccount, disableTotp, endOtherSessions,
  endSession, exportData, finishPasskey, listEvents, listPasskeys, listSessions, newRecoveryCodes, removePasskey,
  totpStatus,
} from "./api.js";
import { Busy, Form, ProofField, asksSecondFactor, showMessage } from "./forms.js";
import { PASSKEY_MESSAGES, PasskeyError, createPasskey, passkeysSupported } from "./passkeys.js";

const $ = (id) => document.getElementById(id);

/** The sections by name: their toggle, their body, and what opening one does. */
const SECTIONS = ["devices", "activity", "password", "totp", "passkeys", "export", "delete"];

const passwordForm = new Form($("password-form"), $("password-message"));
const passwordProof = new ProofField("password");
const deleteForm = new Form($("delete-form"), $("delete-message"));
const deleteProof = new ProofField("delete");
const totpStartForm = new Form($("totp-start-form"), $("totp-start-message"));
const totpConfirmForm = new Form($("totp-confirm-form"), $("totp-confirm-message"));
const totpCheckForm = new Form($("totp-check-form"), $("totp-check-message"));
const totpCheckProof = new ProofField("totp-check");
const passkeysForm = new Form($("passkeys-form"), $("passkeys-form-message"));
const passkeysProof = new ProofField("passkeys");
const busy = new Busy([]);

/** What the page gave setupAccount: announce, problem, the current account, and what to do on the way out. */
let page = null;

/** nextCursor is the cursor of the next page of activity, or null. */
let nextCursor = null;

/**
 * setupAccount wires the sections. hooks: announce(text), problem(err) → sentence,
 * account() → the account shown, updated(acct) after a change of password,
 * sessionEnded() when the API says the session is gone, deleted(message) after the
 * account's deletion.
 */
export function setupAccount(hooks) {
  page = hooks;
  for (const name of SECTIONS) {
    $(`${name}-toggle`).addEventListener("click", () => toggle(name));
  }
  $("devices-end-others").addEventListener("click", endOthers);
  $("activity-more").addEventListener("click", showMore);
  $("password-form").addEventListener("submit", submitPassword);
  $("export-button").addEventListener("click", download);
  $("delete-form").addEventListener("submit", askToDelete);
  $("delete-yes").addEventListener("click", confirmDelete);
  $("delete-cancel").addEventListener("click", () => {
    closeConfirm();
    $("delete-password").focus();
  });
  setupTotp();
  setupPasskeys();
}

/** resetAccount closes every section and forgets what they showed, for the next person. */
export function resetAccount() {
  for (const name of SECTIONS) close(name);
}

function close(name) {
  $(`${name}-body`).hidden = true;
  $(`${name}-toggle`).setAttribute("aria-expanded", "false");
  showMessage($(`${name}-message`), "");
  if (name === "devices") $("devices-list").replaceChildren();
  if (name === "activity") $("activity-list").replaceChildren();
  if (name === "password") {
    passwordForm.reset();
    passwordProof.reset();
  }
  if (name === "totp") closeTotp();
  if (name === "passkeys") closePasskeys();
  if (name === "delete") {
    deleteForm.reset();
    deleteProof.reset();
    closeConfirm();
  }
}

function toggle(name) {
  if (!$(`${name}-body`).hidden) {
    close(name);
    return;
  }
  $(`${name}-body`).hidden = false;
  $(`${name}-toggle`).setAttribute("aria-expanded", "true");
  if (name === "devices") loadDevices();
  if (name === "activity") loadActivity();
  if (name === "password") $("password-current").focus();
  if (name === "totp") loadTotp();
  if (name === "passkeys") loadPasskeys();
  if (name === "delete") $("delete-password").focus();
}

/** run does work with button busy, guarding every button of the sections. */
function run(button, label, work) {
  busy.buttons = Array.from(document.querySelectorAll("#account-sections button"));
  return busy.run(button, label, work);
}

/** failed shows err in region, or, for an ended session, leaves for the log-in form. */
function failed(region, err) {
  if (err instanceof ApiError && err.kind === "unauthorized") {
    page.sessionEnded();
    return;
  }
  showMessage(region, page.problem(err));
}

// Devices

async function loadDevices() {
  const list = $("devices-list");
  showMessage($("devices-message"), "Loading your sessions…", "info");
  list.setAttribute("aria-busy", "true");
  try {
    const sessions = await listSessions();
    showMessage($("devices-message"), "");
    list.replaceChildren(...sessions.map(deviceItem));
    $("devices-end-others").hidden = !sessions.some((s) => !s.current);
  } catch (err) {
    failed($("devices-message"), err);
  } finally {
    list.removeAttribute("aria-busy");
  }
}

function deviceItem(s) {
  const li = document.createElement("li");
  li.className = "item";
  li.dataset.session = s.id;
  const main = document.createElement("div");
  main.className = "item-main";
  const title = document.createElement("p");
  title.className = "item-title";
  const what = describeBrowser(s.userAgent);
  title.append(what);
  if (s.current) title.append(" ", tag("This device"));
  const meta = document.createElement("p");
  meta.className = "item-meta";
  meta.append("Last active ", relativeTime(s.lastSeenAt), " · Logged in ", absoluteTime(s.createdAt));
  main.append(title, meta);
  li.append(main);
  if (!s.current) {
    const button = document.createElement("button");
    button.className = "button button-secondary button-small";
    button.type = "button";
    button.id = `end-${s.id}`;
    const label = document.createElement("span");
    label.className = "button-label";
    label.textContent = "End";
    const more = document.createElement("span");
    more.className = "visually-hidden";
    more.textContent = ` the session of ${what}, logged in ${absoluteText(s.createdAt)}`;
    button.append(label, more);
    button.addEventListener("click", () => endOne(s, what, button));
    li.append(button);
  }
  return li;
}

function tag(text) {
  const span = document.createElement("span");
  span.className = "tag";
  span.textContent = text;
  return span;
}

function endOne(s, what, button) {
  run(button, "Ending…", async () => {
    try {
      await endSession(s.id);
    } catch (err) {
      // Already gone (ended elsewhere, or expired): the list is out of date either way.
      if (!(err instanceof ApiError && err.status === 404)) {
        failed($("devices-message"), err);
        return;
      }
    }
    await loadDevices();
    showMessage($("devices-message"), `The session of ${what} has ended.`, "success");
    page.announce(`The session of ${what} has ended.`);
    $("devices-toggle").focus();
  });
}

function endOthers() {
  const button = $("devices-end-others");
  run(button, "Ending…", async () => {
    let ended;
    try {
      ended = await endOtherSessions();
    } catch (err) {
      failed($("devices-message"), err);
      return;
    }
    await loadDevices();
    const text = ended === 1 ? "Ended 1 other session." : `Ended ${ended} other sessions.`;
    showMessage($("devices-message"), text, "success");
    page.announce(text);
    $("devices-toggle").focus();
  });
}

// Recent activity

/** What each kind of event is called on the page. */
const KINDS = {
  "signup": "Account created",
  "login": "Logged in",
  "login-failed": "Failed log-in",
  "login-throttled": "Log-in blocked after too many attempts",
  "logout": "Logged out",
  "password-changed": "Password changed",
  "password-reset": "Password reset by email link",
  "email-verified": "Email address confirmed",
  "email-change-requested": "Change of email asked for",
  "email-changed": "Email address changed",
  "email-change-undone": "Change of email undone",
  "sessions-ended": "Sessions ended",
  "account-disabled": "Account disabled by the operator",
  "account-enabled": "Account enabled by the operator",
  "account-unlocked": "Log-in unblocked by the operator",
  "password-set": "Password set by the operator",
  "totp-enabled": "Two-factor authentication turned on",
  "totp-disabled": "Two-factor authentication turned off",
  "recovery-codes-generated": "New recovery codes made",
  "recovery-code-used": "Recovery code used",
  "second-factor-failed": "Wrong code from the app",
  "passkey-added": "Passkey added",
  "passkey-removed": "Passkey removed",
  "passkey-refused": "Passkey refused: it may have been copied",
};

/** eventTitle says what an event was, in words. */
export function eventTitle(e) {
  const method = e.detail?.method;
  if (e.kind === "login" && method === "password+totp") return withCount("Logged in with a code from the app", e);
  if (e.kind === "login" && method === "password+recovery-code") return withCount("Logged in with a recovery code", e);
  if (e.kind === "login" && method === "passkey") return withCount("Logged in with a passkey", e);
  if (e.kind === "login" && method?.startsWith("passkey+")) return withCount("Logged in with a passkey and a code", e);
  if ((e.kind === "passkey-added" || e.kind === "passkey-removed") && e.detail?.name) {
    return `${KINDS[e.kind]}: ${e.detail.name}`;
  }
  if (e.kind === "second-factor-failed" && method === "recovery-code") return withCount("Wrong recovery code", e);
  if (e.kind === "totp-disabled" && e.detail?.by === "operator") return "Two-factor authentication removed by the operator";
  if (e.kind === "recovery-code-used" && e.detail?.remaining !== undefined) {
    return `Recovery code used (${e.detail.remaining} left)`;
  }
  if (e.kind === "sessions-ended") {
    const n = Number(e.detail?.count || 0);
    switch (e.detail?.which) {
      case "one": return "Ended a session";
      case "others": return n === 1 ? "Ended 1 other session" : `Ended ${n} other sessions`;
      case "all": return "Logged out everywhere";
    }
  }
  return withCount(KINDS[e.kind] || e.kind, e);
}

/** withCount adds how many times an aggregated event happened to its name. */
function withCount(name, e) {
  return e.count > 1 ? `${name} ×${e.count}` : name;
}

async function loadActivity() {
  $("activity-list").replaceChildren();
  nextCursor = null;
  await fetchActivity(null);
}

async function fetchActivity(cursor) {
  const list = $("activity-list");
  showMessage($("activity-message"), "Loading your activity…", "info");
  list.setAttribute("aria-busy", "true");
  try {
    const data = await listEvents(cursor);
    showMessage($("activity-message"), data.events.length || cursor ? "" : "Nothing yet.", "info");
    list.append(...data.events.map(eventItem));
    nextCursor = data.nextCursor;
    $("activity-more").hidden = !nextCursor;
    return data.events.length;
  } catch (err) {
    failed($("activity-message"), err);
    return 0;
  } finally {
    list.removeAttribute("aria-busy");
  }
}

function eventItem(e) {
  const li = document.createElement("li");
  li.className = "item";
  li.dataset.kind = e.kind;
  const main = document.createElement("div");
  main.className = "item-main";
  const title = document.createElement("p");
  title.className = "item-title";
  title.append(eventTitle(e));
  if (e.current) title.append(" ", tag("This device"));
  const meta = document.createElement("p");
  meta.className = "item-meta";
  meta.append(relativeTime(e.at));
  if (e.address) meta.append(` · ${e.address}`);
  if (e.userAgent) meta.append(` · ${describeBrowser(e.userAgent)}`);
  main.append(title, meta);
  li.append(main);
  return li;
}

function showMore() {
  const button = $("activity-more");
  run(button, "Loading…", async () => {
    const before = $("activity-list").children.length;
    const added = await fetchActivity(nextCursor);
    page.announce(added === 1 ? "1 more event." : `${added} more events.`);
    // Focus goes to the first new event, so reading goes on from there.
    const first = $("activity-list").children[before];
    if (first) {
      first.tabIndex = -1;
      first.focus();
    } else if (!button.hidden) {
      button.focus();
    }
  });
}

// Change password

function submitPassword(event) {
  event.preventDefault();
  const { currentPassword, newPassword } = passwordForm.values();
  const proof = passwordProof.proof();
  run($("password-button"), "Changing…", async () => {
    passwordForm.clear();
    try {
      const acct = await changePassword(currentPassword, newPassword, proof);
      passwordForm.reset();
      passwordProof.reset();
      if (acct) page.updated(acct);
      const text = "Your password is changed. You're still logged in here; other devices are logged out.";
      passwordForm.showMessage(text, "success");
      page.announce("Your password is changed.");
      $("password-toggle").focus();
      if (!$("devices-body").hidden) loadDevices();
    } catch (err) {
      if (asksSecondFactor(err)) {
        // Two-factor authentication is on: the change needs a code too.
        passwordProof.show();
        passwordForm.showErrors(err.fields, "");
      } else if (err instanceof ApiError && err.kind === "invalid") {
        passwordForm.showErrors(err.fields, "Check the highlighted fields.");
      } else if (err instanceof ApiError && err.kind === "unauthorized") {
        page.sessionEnded();
      } else {
        passwordForm.showMessage(page.problem(err));
        $("password-button").focus();
      }
    }
  });
}

// Download my data

function download() {
  const button = $("export-button");
  run(button, "Preparing…", async () => {
    showMessage($("export-message"), "");
    let file;
    try {
      file = await exportData();
    } catch (err) {
      failed($("export-message"), err);
      return;
    }
    // A link to a blob the page made: the CSP governs what the page loads, not what it saves.
    const url = URL.createObjectURL(file.blob);
    const a = document.createElement("a");
    a.href = url;
    a.download = file.filename;
    a.hidden = true;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
    const text = `Your data is saved as ${file.filename}.`;
    showMessage($("export-message"), text, "success");
    page.announce(text);
  });
}

// Delete my account

function closeConfirm() {
  $("delete-confirm").hidden = true;
  $("delete-step-one").hidden = false;
}

function askToDelete(event) {
  event.preventDefault();
  deleteForm.clear();
  if (!deleteForm.values().password) {
    deleteForm.showErrors({ password: "Type your password to delete your account" }, "");
    return;
  }
  $("delete-confirm-name").textContent = page.account().user.username;
  $("delete-step-one").hidden = true;
  $("delete-confirm").hidden = false;
  $("delete-confirm-text").focus();
}

function confirmDelete() {
  const { password } = deleteForm.values();
  const proof = deleteProof.proof();
  run($("delete-yes"), "Deleting…", async () => {
    deleteForm.clear();
    try {
      const message = await deleteAccount(password, proof);
      page.deleted(message);
    } catch (err) {
      closeConfirm();
      if (asksSecondFactor(err)) {
        deleteProof.show();
        deleteForm.showErrors(err.fields, "Nothing is deleted.");
      } else if (err instanceof ApiError && err.kind === "invalid") {
        deleteForm.showErrors(err.fields, "Nothing is deleted.");
      } else if (err instanceof ApiError && err.kind === "unauthorized") {
        page.sessionEnded();
      } else {
        deleteForm.showMessage(err instanceof ApiError && err.kind === "conflict" && err.message
          ? err.message : page.problem(err));
        $("delete-button").focus();
      }
    }
  });
}

// Two-factor authentication: its status, turning it on (password, then a scan and a first
// code, then the recovery codes, shown once), new recovery codes, and turning it off.

/** The recovery codes on show, to copy or download; forgotten once the person has saved them. */
let shownCodes = [];

/** What the password-and-code form does, by what it was opened for. */
const CHECKS = {
  off: {
    heading: "Turn off two-factor authentication",
    hint: "Logging in will take only your password again, and your recovery codes stop working.",
    action: "Turn off",
    busy: "Turning off…",
  },
  codes: {
    heading: "Make new recovery codes",
    hint: "You get ten new codes; the ones you have now stop working.",
    action: "Make new codes",
    busy: "Making codes…",
  },
};

/** checking is the CHECKS entry the form is open for, or null. */
let checking = null;

/** lastStatus is the status the section shows. */
let lastStatus = null;

function setupTotp() {
  $("totp-on").addEventListener("click", openStart);
  $("totp-off").addEventListener("click", () => openCheck(CHECKS.off));
  $("totp-new-codes").addEventListener("click", () => openCheck(CHECKS.codes));
  $("totp-start-form").addEventListener("submit", submitStart);
  $("totp-start-cancel").addEventListener("click", cancelTotpStep);
  $("totp-secret-copy").addEventListener("click", copySecret);
  $("totp-confirm-form").addEventListener("submit", submitConfirm);
  $("totp-confirm-cancel").addEventListener("click", cancelTotpStep);
  $("totp-codes-copy").addEventListener("click", copyCodes);
  $("totp-codes-download").addEventListener("click", downloadCodes);
  $("totp-codes-done").addEventListener("click", savedCodes);
  $("totp-check-form").addEventListener("submit", submitCheck);
  $("totp-check-cancel").addEventListener("click", cancelTotpStep);
}

/** closeTotpSteps hides every step and forgets what it showed: the key and the codes leave the page. */
function closeTotpSteps() {
  totpStartForm.reset();
  $("totp-start-form").hidden = true;
  totpConfirmForm.reset();
  $("totp-enrol").hidden = true;
  $("totp-qr").removeAttribute("src");
  $("totp-secret").textContent = "";
  delete $("totp-secret").dataset.secret;
  showMessage($("totp-copy-message"), "");
  $("totp-codes").hidden = true;
  $("totp-codes-list").replaceChildren();
  showMessage($("totp-codes-message"), "");
  shownCodes = [];
  totpCheckForm.reset();
  totpCheckProof.reset(true);
  $("totp-check-form").hidden = true;
  checking = null;
}

function closeTotp() {
  closeTotpSteps();
  $("totp-status").hidden = true;
  $("totp-status").textContent = "";
  $("totp-actions").hidden = true;
}

/** loadTotp reads the status and offers what can be done with it. */
async function loadTotp() {
  closeTotpSteps();
  showMessage($("totp-message"), "Loading…", "info");
  try {
    showTotpStatus(await totpStatus());
    showMessage($("totp-message"), "");
  } catch (err) {
    $("totp-actions").hidden = true;
    if (err instanceof ApiError && err.kind === "unavailable" && err.message) {
      // This server has no ENCRYPTION_KEY: it says so itself.
      showMessage($("totp-message"), err.message);
      return;
    }
    failed($("totp-message"), err);
  }
}

function showTotpStatus(status) {
  lastStatus = status;
  const el = $("totp-status");
  if (status.enabled) {
    const n = Number(status.recoveryCodesRemaining || 0);
    const codes = n === 1 ? "1 recovery code left" : `${n} recovery codes left`;
    el.replaceChildren("On", status.enabledAt ? " since " : "",
      status.enabledAt ? absoluteTime(status.enabledAt) : "", `. You have ${codes}.`);
  } else {
    el.replaceChildren("Off. Logging in takes only your password.");
  }
  el.hidden = false;
  $("totp-on").hidden = status.enabled;
  $("totp-off").hidden = !status.enabled;
  $("totp-new-codes").hidden = !status.enabled;
  $("totp-actions").hidden = false;
}

/** showStep shows one step of the section instead of the buttons, with focus on its heading. */
function showStep(id, heading) {
  $("totp-actions").hidden = true;
  showMessage($("totp-message"), "");
  $(id).hidden = false;
  $(heading).focus();
}

/** cancelTotpStep leaves a step for the status and its buttons. */
function cancelTotpStep() {
  closeTotpSteps();
  $("totp-actions").hidden = false;
  $("totp-toggle").focus();
}

function openStart() {
  closeTotpSteps();
  showStep("totp-start-form", "totp-start-heading");
}

function openCheck(what) {
  closeTotpSteps();
  checking = what;
  $("totp-check-heading").textContent = what.heading;
  $("totp-check-hint").textContent = what.hint;
  $("totp-check-button").querySelector(".button-label").textContent = what.action;
  showStep("totp-check-form", "totp-check-heading");
}

/** totpRefused shows a refusal of a step: field errors next to their fields, anything else in the form's message. */
function totpRefused(form, err, button) {
  if (err instanceof ApiError && err.kind === "invalid") {
    form.showErrors(err.fields, "");
  } else if (err instanceof ApiError && err.kind === "unauthorized") {
    page.sessionEnded();
  } else if (err instanceof ApiError && (err.kind === "conflict" || err.kind === "unavailable") && err.message) {
    // Already on, no longer pending, or off on this server: the server's words say what to do.
    const said = Object.values(err.fields).find((v) => typeof v === "string") || err.message;
    form.showMessage(said);
    button.focus();
  } else {
    form.showMessage(page.problem(err));
    button.focus();
  }
}

function submitStart(event) {
  event.preventDefault();
  const { password } = totpStartForm.values();
  const button = $("totp-start-button");
  run(button, "Starting…", async () => {
    totpStartForm.clear();
    if (!password) {
      totpStartForm.showErrors({ password: "Type your password to turn on two-factor authentication" }, "");
      return;
    }
    let key;
    try {
      key = await beginTotp(password);
    } catch (err) {
      totpRefused(totpStartForm, err, button);
      return;
    }
    totpStartForm.reset();
    $("totp-start-form").hidden = true;
    $("totp-qr").src = key.qrCode;
    $("totp-secret").textContent = groupKey(key.secret);
    $("totp-secret").dataset.secret = key.secret;
    showStep("totp-enrol", "totp-enrol-heading");
  });
}

/** groupKey writes a key in groups of four, as people read and type it. */
function groupKey(secret) {
  return (secret.match(/.{1,4}/g) || []).join(" ");
}

function submitConfirm(event) {
  event.preventDefault();
  const { code } = totpConfirmForm.values();
  const button = $("totp-confirm-button");
  run(button, "Checking…", async () => {
    totpConfirmForm.clear();
    if (!code.trim()) {
      totpConfirmForm.showErrors({ code: "Type the 6-digit code your app shows" }, "");
      return;
    }
    let status;
    try {
      status = await confirmTotp(code.trim());
    } catch (err) {
      totpRefused(totpConfirmForm, err, button);
      return;
    }
    closeTotpSteps();
    showTotpStatus({ ...status, recoveryCodesRemaining: status.recoveryCodes.length });
    showCodes(status.recoveryCodes, "Two-factor authentication is on. Save your recovery codes now.");
    // Turning it on ended every other session.
    if (!$("devices-body").hidden) loadDevices();
  });
}

/** showCodes shows the recovery codes, once, with focus on their heading. */
function showCodes(codes, said) {
  shownCodes = codes.slice();
  $("totp-codes-list").replaceChildren(...codes.map((c) => {
    const li = document.createElement("li");
    const code = document.createElement("code");
    code.textContent = c;
    li.append(code);
    return li;
  }));
  showStep("totp-codes", "totp-codes-heading");
  page.announce(said);
}

function codesText() {
  const who = page.account()?.user.username || "your account";
  return `Recovery codes for ${who} on authme. Each works once, instead of a code from your app.\n\n` +
    shownCodes.join("\n") + "\n";
}

/** copyText puts text on the clipboard, and says in region whether it worked. */
async function copyText(text, region, copied, failed) {
  try {
    await navigator.clipboard.writeText(text);
    showMessage(region, copied, "success");
  } catch {
    // No clipboard (a page not served securely, or permission refused): the text is on
    // the page to select by hand.
    showMessage(region, failed);
  }
}

function copySecret() {
  copyText($("totp-secret").dataset.secret || "", $("totp-copy-message"),
    "The key is copied.", "Couldn't copy the key. Select it and copy it yourself.");
}

function copyCodes() {
  copyText(codesText(), $("totp-codes-message"),
    "The recovery codes are copied.", "Couldn't copy the codes. Select them and copy them yourself.");
}

function downloadCodes() {
  const filename = `authme-recovery-codes-${page.account()?.user.username || "account"}.txt`;
  const url = URL.createObjectURL(new Blob([codesText()], { type: "text/plain;charset=utf-8" }));
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
  showMessage($("totp-codes-message"), `The recovery codes are saved as ${filename}.`, "success");
}

/** savedCodes leaves the codes: they leave the page, and the status shows again. */
function savedCodes() {
  closeTotpSteps();
  $("totp-actions").hidden = false;
  showMessage($("totp-message"), "Two-factor authentication is on. Keep your recovery codes safe.", "success");
  $("totp-toggle").focus();
}

function submitCheck(event) {
  event.preventDefault();
  const what = checking;
  const { password } = totpCheckForm.values();
  const proof = totpCheckProof.proof();
  const button = $("totp-check-button");
  run(button, what.busy, async () => {
    totpCheckForm.clear();
    const missing = {};
    if (!password) missing.password = "Type your password";
    if (proof.code === "") missing.code = "Type the 6-digit code your app shows";
    if (proof.recoveryCode === "") missing.recoveryCode = "Type one of your recovery codes";
    if (Object.keys(missing).length) {
      totpCheckForm.showErrors(missing, "");
      return;
    }
    try {
      if (what === CHECKS.off) {
        const status = await disableTotp(password, proof);
        closeTotpSteps();
        showTotpStatus(status);
        const text = "Two-factor authentication is off. Other devices are logged out.";
        showMessage($("totp-message"), text, "success");
        page.announce("Two-factor authentication is off.");
        $("totp-toggle").focus();
      } else {
        const codes = await newRecoveryCodes(password, proof);
        closeTotpSteps();
        showTotpStatus({ ...lastStatus, recoveryCodesRemaining: codes.length });
        showCodes(codes, "Your new recovery codes are ready; the old ones no longer work.");
      }
      if (!$("devices-body").hidden) loadDevices();
    } catch (err) {
      totpRefused(totpCheckForm, err, button);
    }
  });
}

// Passkeys: the list, adding one (a name, then the browser makes it) and removing one
// (after a confirmation). Either needs a recent log-in; after 5 minutes the server asks
// for the password (and the code, with two-factor authentication on), and the form
// shows those fields and sends them with the next try.

/** removing is the passkey whose removal waits for confirmation, or null. */
let removing = null;

function setupPasskeys() {
  $("passkeys-form").addEventListener("submit", (event) => {
    event.preventDefault();
    // Enter in the password field while a removal waits for confirmation confirms it.
    if (removing) confirmRemovePasskey(); else addPasskey();
  });
  $("passkeys-remove-yes").addEventListener("click", confirmRemovePasskey);
  $("passkeys-remove-cancel").addEventListener("click", () => {
    const id = removing?.id;
    closeRemoveConfirm();
    passkeysForm.clear();
    const button = id && $(`passkey-remove-${id}`);
    (button || $("passkeys-toggle")).focus();
  });
}

function closePasskeys() {
  $("passkeys-list").replaceChildren();
  closeRemoveConfirm();
  passkeysForm.reset();
  passkeysProof.reset();
  $("passkeys-password-field").hidden = true;
  $("passkeys-form").hidden = false;
}

function closeRemoveConfirm() {
  removing = null;
  $("passkeys-form-heading").textContent = "Add a passkey";
  $("passkeys-confirm").hidden = true;
  $("passkeys-step-one").hidden = false;
  $("passkeys-name-field").hidden = false;
}

async function loadPasskeys() {
  const list = $("passkeys-list");
  showMessage($("passkeys-message"), "Loading your passkeys…", "info");
  list.setAttribute("aria-busy", "true");
  try {
    const passkeys = await listPasskeys();
    showMessage($("passkeys-message"), "");
    showPasskeys(passkeys);
  } catch (err) {
    failed($("passkeys-message"), err);
  } finally {
    list.removeAttribute("aria-busy");
  }
}

function showPasskeys(passkeys) {
  $("passkeys-list").replaceChildren(...passkeys.map(passkeyItem));
  $("passkeys-list").hidden = passkeys.length === 0;
  if (passkeys.length === 0) showMessage($("passkeys-message"), "You have no passkeys yet.", "info");
}

function passkeyItem(p) {
  const li = document.createElement("li");
  li.className = "item";
  li.dataset.passkey = p.id;
  const main = document.createElement("div");
  main.className = "item-main";
  const title = document.createElement("p");
  title.className = "item-title";
  title.textContent = p.name;
  const meta = document.createElement("p");
  meta.className = "item-meta";
  meta.append("Added ", absoluteTime(p.createdAt), " · ");
  if (p.lastUsedAt) meta.append("Last used ", relativeTime(p.lastUsedAt)); else meta.append("Never used");
  main.append(title, meta);
  const button = document.createElement("button");
  button.className = "button button-secondary button-small";
  button.type = "button";
  button.id = `passkey-remove-${p.id}`;
  const label = document.createElement("span");
  label.className = "button-label";
  label.textContent = "Remove";
  const more = document.createElement("span");
  more.className = "visually-hidden";
  more.textContent = ` the passkey ${p.name}`;
  button.append(label, more);
  button.addEventListener("click", () => askRemovePasskey(p));
  li.append(main, button);
  return li;
}

/** reauth is what a change to passkeys carries: the password and code once the server asked for them. */
function reauth() {
  if ($("passkeys-password-field").hidden) return {};
  return { password: passkeysForm.values().password, ...passkeysProof.proof() };
}

/** passkeyRefused shows why a change to passkeys did not happen, asking for the password when the server does. */
function passkeyRefused(err, button) {
  if (err instanceof PasskeyError) {
    if (err.aborted) return;
    passkeysForm.showMessage(err.message);
    button.focus();
  } else if (err instanceof ApiError && err.kind === "unauthorized") {
    page.sessionEnded();
  } else if (err instanceof ApiError && err.kind === "invalid") {
    if ("password" in err.fields) $("passkeys-password-field").hidden = false;
    if (asksSecondFactor(err)) passkeysProof.show();
    // errors.credential (the answer refused, the request expired) has no field: it is the summary.
    if (passkeysForm.showErrors(err.fields, "") === 0) button.focus();
  } else if (err instanceof ApiError && (err.kind === "conflict" || err.kind === "unavailable") && err.message) {
    // Registered already, the last way in, or passkeys off on this server: the server's words.
    passkeysForm.showMessage(err.fields?.credential || err.message);
    button.focus();
  } else if (err instanceof ApiError && err.status === 404) {
    passkeysForm.showMessage("That passkey is gone already.");
    loadPasskeys();
    button.focus();
  } else {
    passkeysForm.showMessage(page.problem(err));
    button.focus();
  }
}

function addPasskey() {
  const button = $("passkeys-add");
  const name = passkeysForm.values().name.trim();
  const proof = reauth();
  run(button, "Adding…", async () => {
    passkeysForm.clear();
    showMessage($("passkeys-message"), "");
    if (!name) {
      passkeysForm.showErrors({ name: "Name the passkey, such as Laptop" }, "");
      return;
    }
    try {
      if (!passkeysSupported()) throw new PasskeyError(PASSKEY_MESSAGES.unsupported);
      const options = await beginPasskey(proof);
      const credential = await createPasskey(options);
      const added = await finishPasskey(name, credential);
      passkeysForm.reset();
      passkeysProof.reset();
      $("passkeys-password-field").hidden = true;
      await loadPasskeys();
      const text = `The passkey ${added.name} is added: log in with it next time. Other devices are logged out.`;
      showMessage($("passkeys-message"), text, "success");
      page.announce(`The passkey ${added.name} is added.`);
      $("passkeys-toggle").focus();
      if (!$("devices-body").hidden) loadDevices();
    } catch (err) {
      passkeyRefused(err, button);
    }
  });
}

function askRemovePasskey(p) {
  passkeysForm.clear();
  showMessage($("passkeys-message"), "");
  removing = p;
  $("passkeys-confirm-name").textContent = p.name;
  $("passkeys-form-heading").textContent = "Remove a passkey";
  $("passkeys-name-field").hidden = true;
  $("passkeys-step-one").hidden = true;
  $("passkeys-confirm").hidden = false;
  $("passkeys-confirm-text").focus();
}

function confirmRemovePasskey() {
  const p = removing;
  if (!p) return;
  const proof = reauth();
  const button = $("passkeys-remove-yes");
  run(button, "Removing…", async () => {
    passkeysForm.clear();
    try {
      const left = await removePasskey(p.id, proof);
      closeRemoveConfirm();
      passkeysForm.reset();
      passkeysProof.reset();
      $("passkeys-password-field").hidden = true;
      showPasskeys(left);
      const text = `The passkey ${p.name} is removed.`;
      showMessage($("passkeys-message"), left.length ? text : `${text} You have no passkeys now.`, "success");
      page.announce(text);
      $("passkeys-toggle").focus();
    } catch (err) {
      passkeyRefused(err, button);
    }
  });
}

// Browsers and times, in words

/** describeBrowser names the browser and system a User-Agent header describes, such as "Firefox on Windows". */
export function describeBrowser(ua) {
  if (!ua) return "An unknown browser";
  const browsers = [
    [/Edg(e|A|iOS)?\//, "Edge"],
    [/OPR\/|Opera/, "Opera"],
    [/SamsungBrowser\//, "Samsung Internet"],
    [/Firefox\/|FxiOS\//, "Firefox"],
    [/HeadlessChrome\//, "Headless Chrome"],
    [/Chrome\/|CriOS\/|Chromium\//, "Chrome"],
    [/Safari\//, "Safari"],
  ];
  const systems = [
    [/iPhone|iPad|iPod/, "iOS"],
    [/Android/, "Android"],
    [/CrOS/, "ChromeOS"],
    [/Windows/, "Windows"],
    [/Mac OS X|Macintosh/, "macOS"],
    [/Linux/, "Linux"],
  ];
  const browser = browsers.find(([re]) => re.test(ua))?.[1];
  const system = systems.find(([re]) => re.test(ua))?.[1];
  if (!browser) {
    // A program rather than a browser (curl/8.5.0, Go-http-client/1.1): its own name.
    const name = ua.split(/[\s/;(]/)[0];
    return system ? `${name} on ${system}` : name;
  }
  return system ? `${browser} on ${system}` : browser;
}

const absoluteFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const relativeFormat = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });

function absoluteText(iso) {
  return absoluteFormat.format(new Date(iso));
}

/** absoluteTime is a <time> that shows its date and time. */
function absoluteTime(iso) {
  const el = document.createElement("time");
  el.dateTime = iso;
  el.textContent = absoluteText(iso);
  return el;
}

/** relativeTime is a <time> that shows how long ago iso was, with the date and time beside it for recent ones. */
function relativeTime(iso) {
  const el = document.createElement("time");
  el.dateTime = iso;
  el.title = absoluteText(iso);
  el.textContent = `${agoText(new Date(iso))} (${absoluteText(iso)})`;
  return el;
}

function agoText(at) {
  const seconds = Math.round((at.getTime() - Date.now()) / 1000);
  const steps = [[60, "second"], [60, "minute"], [24, "hour"], [7, "day"], [4.35, "week"], [12, "month"]];
  let value = seconds;
  for (const [size, unit] of steps) {
    if (Math.abs(value) < size) {
      return unit === "second" && Math.abs(value) < 45 ? "just now" : relativeFormat.format(Math.round(value), unit);
    }
    value /= size;
  }
  return relativeFormat.format(Math.round(value), "year");
}
