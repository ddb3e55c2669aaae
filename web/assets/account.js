// The logged-in person's account: their devices, recent activity, a change of password,
// a download of their data and the deletion of the account. Each is a section behind a
// disclosure button, so the view stays short on a phone; a section loads what it shows
// when it opens, and again each time it reopens.

import {
  ApiError, changePassword, deleteAccount, endOtherSessions, endSession, exportData, listEvents, listSessions,
} from "./api.js";
import { Busy, Form, showMessage } from "./forms.js";

const $ = (id) => document.getElementById(id);

/** The sections by name: their toggle, their body, and what opening one does. */
const SECTIONS = ["devices", "activity", "password", "export", "delete"];

const passwordForm = new Form($("password-form"), $("password-message"));
const deleteForm = new Form($("delete-form"), $("delete-message"));
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
  if (name === "password") passwordForm.reset();
  if (name === "delete") {
    deleteForm.reset();
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
};

/** eventTitle says what an event was, in words. */
export function eventTitle(e) {
  if (e.kind === "sessions-ended") {
    const n = Number(e.detail?.count || 0);
    switch (e.detail?.which) {
      case "one": return "Ended a session";
      case "others": return n === 1 ? "Ended 1 other session" : `Ended ${n} other sessions`;
      case "all": return "Logged out everywhere";
    }
  }
  const name = KINDS[e.kind] || e.kind;
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
  run($("password-button"), "Changing…", async () => {
    passwordForm.clear();
    try {
      const acct = await changePassword(currentPassword, newPassword);
      passwordForm.reset();
      if (acct) page.updated(acct);
      const text = "Your password is changed. You're still logged in here; other devices are logged out.";
      passwordForm.showMessage(text, "success");
      page.announce("Your password is changed.");
      $("password-toggle").focus();
      if (!$("devices-body").hidden) loadDevices();
    } catch (err) {
      if (err instanceof ApiError && err.kind === "invalid") {
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
  run($("delete-yes"), "Deleting…", async () => {
    deleteForm.clear();
    try {
      const message = await deleteAccount(password);
      page.deleted(message);
    } catch (err) {
      closeConfirm();
      if (err instanceof ApiError && err.kind === "invalid") {
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
