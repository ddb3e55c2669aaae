// The page: restore the session on load, then sign up, log in (also as the demo user, with
// a passkey, and with a code from an authenticator app when the account asks for one) and
// log out (the logged-in account's own sections are in account.js), with every failure
// explained next to where it happened. Links from mail (reset a password, confirm an address, confirm or
// undo a change of email) open this page at their own path with the token in the
// fragment, which never reaches a server.

import {
  ApiError, beginPasskeyLogin, changeEmail, confirmEmailChange, confirmVerification, finishLogin, getSession,
  hasCSRFToken, login, logout, passkeyLogin, requestPasswordReset, requestVerification, resetPassword, restoreCSRF,
  signup, undoEmailChange,
} from "./api.js";
import { Busy, Form, ProofField, asksSecondFactor, showMessage } from "./forms.js";
import { resetAccount, setupAccount } from "./account.js";
import { PASSKEY_MESSAGES, PasskeyError, conditionalAvailable, getPasskey, passkeysSupported } from "./passkeys.js";

const DEMO = { credential: "Demo-lition", password: "password" };

const $ = (id) => document.getElementById(id);

const views = {
  loading: $("view-loading"),
  unreachable: $("view-unreachable"),
  user: $("view-user"),
  guest: $("view-guest"),
  secondFactor: $("view-second-factor"),
  forgot: $("view-forgot"),
  forgotSent: $("view-forgot-sent"),
  reset: $("view-reset"),
  link: $("view-link"),
  linkDone: $("view-link-done"),
  linkInvalid: $("view-link-invalid"),
};

const loginForm = new Form($("login-form"), $("login-message"));
const signupForm = new Form($("signup-form"), $("signup-message"));
const forgotForm = new Form($("forgot-form"), $("forgot-message"));
const resetForm = new Form($("reset-form"), $("reset-message"));
const emailForm = new Form($("email-form"), $("email-message"));
const emailProof = new ProofField("email");
const resetProof = new ProofField("reset");
const secondFactorForm = new Form($("second-factor-form"), $("second-factor-message"));
const secondFactorProof = new ProofField("second-factor");
const buttons = {
  login: $("login-button"),
  demo: $("demo-button"),
  passkey: $("passkey-login"),
  signup: $("signup-button"),
  logout: $("logout-button"),
  retry: $("retry-button"),
  forgot: $("forgot-button"),
  reset: $("reset-button"),
  link: $("link-button"),
  resend: $("verify-resend"),
  email: $("email-button"),
  secondFactor: $("second-factor-button"),
  secondFactorBack: $("second-factor-back"),
};
const busy = new Busy(Object.values(buttons));

/** The person logged in, as the API last described them, or null. */
let current = null;

function show(name) {
  for (const [key, el] of Object.entries(views)) el.hidden = key !== name;
  // The log-in form offers passkeys in its username's autofill while it is on show.
  if (name === "guest") startPasskeyAutofill(); else stopPasskeyAutofill();
}

/** showView shows a view and moves focus to its heading, so a screen reader starts there. */
function showView(name, heading) {
  show(name);
  $(heading).focus();
}

/** announce tells screen-reader users what just changed, politely. */
function announce(text) {
  const region = $("announcer");
  region.textContent = "";
  // A fresh text node after a tick is announced even when the text repeats.
  setTimeout(() => { region.textContent = text; }, 50);
}

/** problem turns a failed request into a sentence a person can act on. */
function problem(err) {
  if (!(err instanceof ApiError)) {
    return "Something went wrong in this page. Reload it and try again.";
  }
  switch (err.kind) {
    case "network":
      return "We couldn't reach authme. Check your connection, then try again.";
    case "timeout":
      return "authme took too long to answer. Try again in a moment.";
    case "rate-limited":
      return err.retryAfter
        ? `Too many attempts. Try again in ${waitText(err.retryAfter)}.`
        : "Too many attempts. Try again later.";
    case "unavailable":
      return "authme is unavailable right now. Try again in a moment.";
    case "server":
      return "Something went wrong on our side. Try again in a moment.";
  }
  return err.message || "That didn't work. Try again.";
}

/**
 * mailProblem is problem for a request that sends mail: the server's own words when it
 * refuses (mail is not set up, or too many mails asked for), with how long to wait.
 */
function mailProblem(err) {
  // A message that says when to try again already is said better with the wait in it.
  const saysWhen = /try again/i.test(err?.message || "");
  if (err instanceof ApiError && err.message && (err.kind === "unavailable" || (err.kind === "rate-limited" && !saysWhen))) {
    const said = sentence(err.message);
    if (err.kind === "unavailable") return said;
    return err.retryAfter ? `${said} Try again in ${waitText(err.retryAfter)}.` : `${said} Try again later.`;
  }
  return problem(err);
}

/** sentence ends text with a full stop unless it ends a sentence already. */
function sentence(text) {
  const t = text.trim();
  return /[.!?]$/.test(t) ? t : `${t}.`;
}

function waitText(seconds) {
  if (seconds < 60) return seconds === 1 ? "1 second" : `${seconds} seconds`;
  const minutes = Math.ceil(seconds / 60);
  return minutes === 1 ? "1 minute" : `${minutes} minutes`;
}

/** isBadToken reports whether err refuses a link's token: used, expired, superseded or mangled. */
function isBadToken(err) {
  return err instanceof ApiError && err.kind === "invalid" && "token" in err.fields;
}

function showUser(acct) {
  current = acct;
  const { user } = acct;
  $("user-username").textContent = user.username;
  $("user-email").textContent = user.email;
  $("user-id").textContent = String(user.id);
  $("user-avatar").textContent = Array.from(user.username)[0]?.toUpperCase() || "?";
  $("header-user-name").textContent = user.username;
  $("header-user").hidden = false;
  // undefined: a server that does not track verification; no banner then.
  $("verify-banner").hidden = acct.emailVerifiedAt !== null;
  $("verify-banner-email").textContent = user.email;
  showMessage($("verify-message"), "");
  showMessage($("logout-message"), "");
  showMessage($("account-notice"), "");
  closeEmailChange();
  showMessage($("email-message"), "");
  resetAccount();
  show("user");
}

/** showAccountDetails updates what the view says about the account without closing anything. */
function showAccountDetails(acct) {
  current = acct;
  $("user-username").textContent = acct.user.username;
  $("user-email").textContent = acct.user.email;
  $("header-user-name").textContent = acct.user.username;
}

function showGuest() {
  current = null;
  resetAccount();
  $("header-user").hidden = true;
  $("header-user-name").textContent = "";
  show("guest");
}

/** loggedIn shows the account and moves focus to the heading that says so. */
function loggedIn(acct, greeting) {
  loginForm.reset();
  signupForm.reset();
  resetForm.reset();
  resetProof.reset();
  secondFactorForm.reset();
  secondFactorProof.reset(true);
  showUser(acct);
  $("user-heading").focus();
  announce(greeting);
}

/** codesLeftText says how many recovery codes are left after one was used. */
function codesLeftText(n) {
  const left = n === 1 ? "You have 1 recovery code left." : `You have ${n} recovery codes left.`;
  return n <= 3 ? `${left} Make new ones under Two-factor authentication.` : left;
}

/** toLogIn shows the log-in card with focus on its heading. */
function toLogIn() {
  showGuest();
  $("login-heading").focus();
}

async function restore() {
  show("loading");
  try {
    const acct = await getSession();
    if (acct) showUser(acct); else showGuest();
  } catch (err) {
    $("unreachable-message").textContent = problem(err);
    show("unreachable");
    $("unreachable-heading").focus();
    return false;
  }
  if (!hasCSRFToken()) {
    // Not fatal: csrfFetch asks again before the next unsafe request.
    restoreCSRF().catch(() => {});
  }
  return true;
}

/** goHome leaves a link's page for the page at /, logged in or not, with focus on its heading. */
async function goHome() {
  history.replaceState(null, "", "/");
  if (await restore()) $(current ? "user-heading" : "login-heading").focus();
}

async function submitLogin(credential, password, button) {
  // A password log-in ends the passkey autofill's wait; a failed one starts it again.
  await stopPasskeyAutofill();
  loginForm.clear();
  $("verify-open").hidden = true;
  try {
    const acct = await login(credential, password);
    if (acct.secondFactor) {
      askSecondFactor();
      return;
    }
    loggedIn(acct, `Logged in as ${acct.user.username}.`);
  } catch (err) {
    if (err instanceof ApiError && err.kind === "invalid") {
      loginForm.showErrors(err.fields, "Fill in both fields to log in.");
    } else if (err instanceof ApiError && err.kind === "forbidden" && /verif/i.test(err.message)) {
      // The password was right, but this server lets in only confirmed addresses. (A
      // disabled account is a 403 too; its message names no verification.)
      loginForm.showMessage(problem(err));
      $("verify-open").hidden = false;
      $("verify-open").focus();
    } else if (err instanceof ApiError && err.kind === "unauthorized") {
      loginForm.showMessage("That username or email and password don't match an account. Check them and try again.");
      const pw = loginForm.input("password");
      pw.focus();
      pw.select();
    } else {
      loginForm.showMessage(problem(err));
      button.focus();
    }
  }
  if (!views.guest.hidden) startPasskeyAutofill();
}

$("login-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const { credential, password } = loginForm.values();
  busy.run(buttons.login, "Logging in…", () => submitLogin(credential, password, buttons.login));
});

// Log-in with a passkey: no username typed; the browser offers the site's passkeys, and
// the answer names the account. From the button (the browser's own dialog), or from the
// username field's autofill (conditional mediation), which waits in the background while
// the log-in form is on show. Each ceremony begins with a fresh challenge, which works once.

/** The autofill's ceremony while it waits: {controller, done}, or null. */
let autofill = null;

/** startPasskeyAutofill lets the username field offer passkeys, when the browser can. */
function startPasskeyAutofill() {
  if (autofill) return;
  const controller = new AbortController();
  const form = $("login-form");
  const done = (async () => {
    if (!(await conditionalAvailable()) || controller.signal.aborted) return;
    let options;
    try {
      options = await beginPasskeyLogin();
    } catch {
      // Passkeys off on this server, or it is unreachable: the form works without them.
      return;
    }
    if (controller.signal.aborted) return;
    // A hook for tests and for anyone looking: the autofill waits for a passkey.
    form.dataset.passkeyAutofill = "waiting";
    let credential;
    try {
      credential = await getPasskey(options, { conditional: true, signal: controller.signal });
    } catch {
      // Stopped by the page (the person went on with the password or the button), or
      // refused by the browser before anyone asked for it (a page on an IP address):
      // nothing the person did, so nothing to say; the button says why when used.
      return;
    } finally {
      delete form.dataset.passkeyAutofill;
    }
    autofill = null;
    await busy.run(buttons.passkey, "Logging in…", () => finishPasskeyLogin(credential, buttons.passkey, false));
  })();
  autofill = { controller, done };
  done.finally(() => {
    if (autofill?.controller === controller) autofill = null;
  });
}

/** stopPasskeyAutofill ends the autofill's ceremony, and resolves once the browser has let it go. */
function stopPasskeyAutofill() {
  const a = autofill;
  autofill = null;
  if (!a) return Promise.resolve();
  a.controller.abort();
  return a.done.catch(() => {});
}

/**
 * finishPasskeyLogin sends the passkey's answer and logs in, or asks for the code. After a
 * refusal, retry starts the autofill again (not after the autofill's own answer was
 * refused: it would offer the same passkey at once).
 */
async function finishPasskeyLogin(credential, focusOnFailure, retry = true) {
  try {
    const acct = await passkeyLogin(credential);
    if (acct.secondFactor) {
      askSecondFactor(true);
      return;
    }
    loggedIn(acct, `Logged in as ${acct.user.username} with a passkey.`);
  } catch (err) {
    passkeyLoginFailed(err, focusOnFailure, retry);
  }
}

/** passkeyLoginFailed says why a log-in with a passkey did not happen, on the log-in form. */
function passkeyLoginFailed(err, button, retry = true) {
  if (err instanceof PasskeyError) {
    if (err.aborted) return;
    loginForm.showMessage(err.message);
  } else if (err instanceof ApiError && (err.kind === "unauthorized" || err.kind === "invalid") && err.fields.credential) {
    // Refused (not registered here, removed, or not valid), or the request expired.
    loginForm.showMessage(sentence(err.fields.credential));
  } else if (err instanceof ApiError && err.kind === "unavailable" && err.message) {
    loginForm.showMessage(sentence(err.message));
  } else if (err instanceof ApiError && err.kind === "forbidden") {
    loginForm.showMessage(problem(err));
    if (/verif/i.test(err.message)) $("verify-open").hidden = false;
  } else {
    loginForm.showMessage(problem(err));
  }
  button.focus();
  // The autofill offers passkeys again, with a fresh challenge.
  if (retry && !views.guest.hidden) startPasskeyAutofill();
}

buttons.passkey.addEventListener("click", () => {
  busy.run(buttons.passkey, "Waiting for your passkey…", async () => {
    loginForm.clear();
    $("verify-open").hidden = true;
    await stopPasskeyAutofill();
    let credential;
    try {
      // A browser that cannot answer asks for no challenge.
      if (!passkeysSupported()) throw new PasskeyError(PASSKEY_MESSAGES.unsupported);
      credential = await getPasskey(await beginPasskeyLogin());
    } catch (err) {
      passkeyLoginFailed(err, buttons.passkey);
      return;
    }
    await finishPasskeyLogin(credential, buttons.passkey);
  });
});

// The second step of a log-in, for an account with two-factor authentication: the
// password was right, and the server holds the attempt for a few minutes behind an
// HttpOnly cookie, so this page keeps nothing of it.

/** askSecondFactor shows the view that asks for a code, with focus on its heading. */
function askSecondFactor(byPasskey = false) {
  // The password has done its part: it leaves the page, and a log-in begun again asks for it.
  loginForm.input("password").value = "";
  secondFactorForm.reset();
  secondFactorProof.reset(true);
  $("second-factor-hint").textContent = byPasskey
    ? "Your passkey is right. To finish logging in, type the code your authenticator app shows for authme."
    : "Your password is right. To finish logging in, type the code your authenticator app shows for authme.";
  showView("secondFactor", "second-factor-heading");
}

$("second-factor-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const proof = secondFactorProof.proof();
  busy.run(buttons.secondFactor, "Logging in…", async () => {
    secondFactorForm.clear();
    const [field, value] = Object.entries(proof)[0];
    if (!value) {
      secondFactorForm.showErrors({
        [field]: field === "code" ? "Type the 6-digit code your app shows" : "Type one of your recovery codes",
      }, "");
      return;
    }
    try {
      const acct = await finishLogin(proof);
      const usedCode = acct.recoveryCodesRemaining !== undefined;
      const left = usedCode ? ` ${codesLeftText(acct.recoveryCodesRemaining)}` : "";
      loggedIn(acct, `Logged in as ${acct.user.username}.${left}`);
      // Said once to a screen reader with the greeting, and kept on show for everyone.
      if (usedCode) showMessage($("account-notice"), `You logged in with a recovery code.${left}`, "info");
    } catch (err) {
      if (err instanceof ApiError && err.kind === "unauthorized" && "attempt" in err.fields) {
        // Expired, or ended by too many wrong codes: the log-in starts again.
        toLogIn();
        loginForm.showMessage(sentence(err.fields.attempt || err.message));
        loginForm.input("password").focus();
      } else if (err instanceof ApiError && (err.kind === "unauthorized" || err.kind === "invalid")) {
        if (secondFactorForm.showErrors(err.fields, "") > 0) {
          secondFactorProof.input().select();
        } else {
          secondFactorForm.showMessage(problem(err));
          buttons.secondFactor.focus();
        }
      } else {
        secondFactorForm.showMessage(problem(err));
        buttons.secondFactor.focus();
      }
    }
  });
});

buttons.secondFactorBack.addEventListener("click", toLogIn);

buttons.demo.addEventListener("click", () => {
  busy.run(buttons.demo, "Logging in…", () => submitLogin(DEMO.credential, DEMO.password, buttons.demo));
});

$("signup-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const values = signupForm.values();
  busy.run(buttons.signup, "Creating account…", async () => {
    signupForm.clear();
    try {
      const acct = await signup(values);
      if (acct.verifyFirst) {
        // This server lets in only confirmed addresses: the account waits for its link.
        signupForm.reset();
        showSent(["Your account is created. Follow the link we mailed to ", acct.user.email,
          " to confirm the address, then log in."]);
        announce(`Your account ${acct.user.username} is created.`);
        return;
      }
      loggedIn(acct, `Welcome, ${acct.user.username}! Your account is ready and you're logged in.`);
    } catch (err) {
      if (err instanceof ApiError && err.kind === "invalid") {
        signupForm.showErrors(err.fields, "Check the highlighted fields.");
      } else if (err instanceof ApiError && err.kind === "conflict") {
        const taken = Object.keys(err.fields).filter((f) => f === "username" || f === "email");
        const what = taken.length === 2 ? "that username and that email" : `that ${taken[0] || "username"}`;
        signupForm.showErrors(err.fields,
          `An account with ${what} already exists. Choose another, or log in instead.`);
      } else {
        signupForm.showMessage(problem(err));
        buttons.signup.focus();
      }
    }
  });
});

buttons.logout.addEventListener("click", () => {
  busy.run(buttons.logout, "Logging out…", async () => {
    try {
      await logout();
      toLogIn();
      announce("You've logged out.");
    } catch (err) {
      showMessage($("logout-message"), problem(err));
    }
  });
});

buttons.retry.addEventListener("click", () => {
  busy.run(buttons.retry, "Trying again…", restore);
});

// Ask for a link by email: to reset a forgotten password, or to confirm an address
// when logging in needs a confirmed one. The answer is the same whether or not an
// account uses the address, and so is what the page says.

/** What the form that asks for a link says and does, by what the link is for. */
const ASK = {
  reset: {
    heading: "Forgot your password?",
    hint: "Type the email address of your account. We'll send it a link to choose a new password.",
    send: requestPasswordReset,
    sent: (email) => ["If an account uses ", email,
      ", we've sent it a link to choose a new password. The link works once, and not for long."],
  },
  verify: {
    heading: "Confirm your email address",
    hint: "Type the email address of your account. If it isn't confirmed yet, we'll send it a new link to confirm it.",
    send: requestVerification,
    sent: (email) => ["If an account uses ", email,
      " and it isn't confirmed yet, we've sent it a new link to confirm it. Only the newest link works."],
  },
};

let asking = ASK.reset;

/** openAsk shows the form that asks for a link (ASK.reset or ASK.verify), filled with email if known. */
function openAsk(what, email = "") {
  asking = what;
  forgotForm.reset();
  $("forgot-heading").textContent = what.heading;
  $("forgot-hint").textContent = what.hint;
  $("forgot-email").value = email;
  showView("forgot", "forgot-heading");
}

/** typedEmail is what the log-in form's first field holds, if it is an email address. */
function typedEmail() {
  const typed = loginForm.values().credential.trim();
  return typed.includes("@") ? typed : "";
}

$("forgot-open").addEventListener("click", () => openAsk(ASK.reset, typedEmail()));
$("verify-open").addEventListener("click", () => openAsk(ASK.verify, typedEmail()));

/** backToLogIn leaves the views that ask for a link: for the log-in card, or from a link's page, for /. */
function backToLogIn() {
  if (link) goHome(); else toLogIn();
}

$("forgot-back").addEventListener("click", backToLogIn);
$("forgot-sent-back").addEventListener("click", backToLogIn);

/** showSent says a link is on its way: words is [before, the address, after]. */
function showSent([before, email, after]) {
  const strong = document.createElement("strong");
  strong.textContent = email;
  $("forgot-sent-text").replaceChildren(before, strong, after);
  showView("forgotSent", "forgot-sent-heading");
}

$("forgot-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const email = forgotForm.values().email.trim();
  busy.run(buttons.forgot, "Sending…", async () => {
    forgotForm.clear();
    if (!email) {
      forgotForm.showErrors({ email: "Type the email address of your account" }, "");
      return;
    }
    try {
      await asking.send(email);
      showSent(asking.sent(email));
    } catch (err) {
      if (err instanceof ApiError && err.kind === "invalid") {
        forgotForm.showErrors(err.fields, "Check the email address.");
      } else {
        forgotForm.showMessage(mailProblem(err));
        buttons.forgot.focus();
      }
    }
  });
});

// Links from mail. Each path names what its token is for; the token lives only in this
// module from here on.

/** What each link's page says and does, by path. */
const LINKS = {
  "/reset-password": {
    invalid: "Links to reset a password work once, for a short time, and only the newest one works. " +
      "Ask for a new link, and use the newest mail.",
    invalidAction: "Ask for a new link",
    onInvalid: () => openAsk(ASK.reset),
  },
  "/verify-email": {
    heading: "Confirm your email address",
    text: "Press the button to confirm that this email address is yours.",
    action: "Confirm my email",
    busy: "Confirming…",
    send: confirmVerification,
    doneHeading: "Your email address is confirmed",
    doneText: () => "Thank you. If you forget your password, a link to this address gets you back in.",
    announce: "Your email address is confirmed.",
    invalid: "Links to confirm an address work once, and only the newest one works. " +
      "Ask for a new link if your address isn't confirmed yet.",
    invalidAction: "Ask for a new link",
    onInvalid: () => openAsk(ASK.verify),
  },
  "/confirm-email": {
    heading: "Confirm your new email address",
    text: "Press the button to make this address your account's email.",
    action: "Confirm the change",
    busy: "Confirming…",
    send: confirmEmailChange,
    doneHeading: "Your email address is changed",
    doneText: (data) => `Your account's email is now ${data.email}. Log in with it from now on.`,
    announce: "Your email address is changed.",
    invalid: "Links to confirm a new address work once, for a short time, and only the newest one works. " +
      "Log in and change your email again to get a new one.",
    invalidAction: "Go to your account",
  },
  "/undo-email-change": {
    heading: "Undo the change of email",
    text: "Press the button to put your previous email address back on your account.",
    action: "Undo the change",
    busy: "Undoing…",
    send: undoEmailChange,
    doneHeading: "Your email address is back",
    doneText: (data) => `Your account's email is ${data.email} again, and every session of the account ` +
      "is logged out. If you didn't ask for the change, someone may know your password: choose a new one.",
    announce: "The change of email is undone.",
    offerReset: true,
    invalid: "Links to undo a change of email work once, for 7 days. " +
      "If your email was changed without your asking and this link is too old, contact whoever runs this site.",
    invalidAction: "Go to your account",
  },
};

/** The link this page was opened with: what it is for, and its token. */
let link = null;

/** openLink shows the page for the link the address names, or returns false. */
function openLink() {
  const page = LINKS[location.pathname];
  if (!page) return false;
  const token = new URLSearchParams(location.hash.slice(1)).get("token") || "";
  // The token leaves the address bar at once, before anything can copy it from there
  // (history, bookmarks, a screenshot); it stays in memory.
  history.replaceState(null, "", location.pathname);
  link = { page, token };
  if (!token) {
    linkInvalid();
  } else if (!page.send) {
    resetForm.reset();
    resetProof.reset();
    showView("reset", "reset-heading");
  } else {
    // A button, not a request on load: mail scanners that open links press nothing.
    $("link-heading").textContent = page.heading;
    $("link-text").textContent = page.text;
    buttons.link.querySelector(".button-label").textContent = page.action;
    showMessage($("link-message"), "");
    showView("link", "link-heading");
  }
  return true;
}

/** linkInvalid says the link cannot be used, and offers the way on. */
function linkInvalid() {
  link.token = "";
  $("invalid-text").textContent = link.page.invalid;
  $("invalid-button").querySelector(".button-label").textContent = link.page.invalidAction;
  showView("linkInvalid", "invalid-heading");
}

$("invalid-button").addEventListener("click", () => {
  if (link.page.onInvalid) {
    history.replaceState(null, "", "/");
    link.page.onInvalid();
  } else {
    goHome();
  }
});

buttons.link.addEventListener("click", () => {
  const { page, token } = link;
  busy.run(buttons.link, page.busy, async () => {
    showMessage($("link-message"), "");
    try {
      const data = await page.send(token);
      link.token = "";
      $("done-heading").textContent = page.doneHeading;
      $("done-text").textContent = page.doneText(data);
      $("done-reset").hidden = !page.offerReset;
      link.email = data.email || "";
      showView("linkDone", "done-heading");
      announce(page.announce);
    } catch (err) {
      if (isBadToken(err)) {
        linkInvalid();
        return;
      }
      showMessage($("link-message"), problem(err));
      buttons.link.focus();
    }
  });
});

$("done-button").addEventListener("click", goHome);

$("done-reset").addEventListener("click", () => {
  history.replaceState(null, "", "/");
  openAsk(ASK.reset, link.email);
});

$("reset-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const { password } = resetForm.values();
  const proof = resetProof.proof();
  busy.run(buttons.reset, "Saving…", async () => {
    resetForm.clear();
    try {
      const acct = await resetPassword(link.token, password, proof);
      link.token = "";
      history.replaceState(null, "", "/");
      loggedIn(acct, `Your password is changed, and you're logged in as ${acct.user.username}.`);
    } catch (err) {
      if (isBadToken(err)) {
        linkInvalid();
      } else if (asksSecondFactor(err)) {
        // The account has two-factor authentication: the link alone doesn't reset it.
        resetProof.show();
        resetForm.showErrors(err.fields, "");
      } else if (err instanceof ApiError && err.kind === "invalid") {
        resetForm.showErrors(err.fields, "Choose another password.");
      } else {
        resetForm.showMessage(problem(err));
        buttons.reset.focus();
      }
    }
  });
});

// The logged-in view: a banner while the address is unconfirmed, and a change of email.

buttons.resend.addEventListener("click", () => {
  const email = current.user.email;
  busy.run(buttons.resend, "Sending…", async () => {
    showMessage($("verify-message"), "");
    try {
      await requestVerification(email);
      showMessage($("verify-message"), `We've sent a new link to ${email}. Only the newest link works.`, "success");
    } catch (err) {
      showMessage($("verify-message"), mailProblem(err));
    }
  });
});

function closeEmailChange() {
  emailForm.reset();
  emailProof.reset();
  $("email-change").hidden = true;
  $("email-toggle").setAttribute("aria-expanded", "false");
}

$("email-toggle").addEventListener("click", () => {
  if ($("email-change").hidden) {
    showMessage($("email-message"), "");
    $("email-change").hidden = false;
    $("email-toggle").setAttribute("aria-expanded", "true");
    $("email-new").focus();
  } else {
    closeEmailChange();
  }
});

$("email-cancel").addEventListener("click", () => {
  closeEmailChange();
  $("email-toggle").focus();
});

$("email-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const values = emailForm.values();
  const email = values.email.trim();
  const proof = emailProof.proof();
  busy.run(buttons.email, "Sending…", async () => {
    emailForm.clear();
    try {
      await changeEmail(email, values.password, proof);
      emailForm.reset();
      emailProof.reset();
      emailForm.showMessage(`We've sent a link to ${email}. Follow it to finish the change; ` +
        `until then your account keeps ${current.user.email}.`, "success");
      $("email-new").focus();
    } catch (err) {
      if (err instanceof ApiError && err.kind === "unauthorized") {
        // The session ended elsewhere: log in again.
        toLogIn();
        loginForm.showMessage("Your session has ended. Log in again to change your email.");
      } else if (asksSecondFactor(err)) {
        emailProof.show();
        emailForm.showErrors(err.fields, "");
      } else if (err instanceof ApiError && err.kind === "invalid") {
        emailForm.showErrors(err.fields, "Check the highlighted fields.");
      } else if (err instanceof ApiError && err.kind === "conflict") {
        emailForm.showErrors(err.fields, "Another account uses that email. Choose another.");
      } else {
        emailForm.showMessage(mailProblem(err));
        buttons.email.focus();
      }
    }
  });
});

// The account's sections: devices, activity, password, data and deletion.
setupAccount({
  announce,
  problem,
  account: () => current,
  updated: showAccountDetails,
  sessionEnded: () => {
    toLogIn();
    loginForm.showMessage("Your session has ended. Log in again.");
  },
  deleted: (message) => {
    toLogIn();
    loginForm.showMessage(message || "Your account is deleted.", "success");
    announce("Your account is deleted.");
  },
});

// Buttons marked aria-disabled stay focusable, so keep them from doing anything.
document.addEventListener("click", (event) => {
  const button = event.target.closest?.("button[aria-disabled='true']");
  if (button) {
    event.preventDefault();
    event.stopImmediatePropagation();
  }
}, true);

// Opening a second link at the same path (a newer mail) changes only the fragment,
// which loads nothing: read the new token then too.
window.addEventListener("hashchange", () => {
  if (new URLSearchParams(location.hash.slice(1)).has("token")) openLink();
});

if (!openLink()) restore();
