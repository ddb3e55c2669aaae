// The page: restore the session on load, then sign up, log in (also as the demo user)
// and log out, with every failure explained next to where it happened.

import { ApiError, getSession, hasCSRFToken, login, logout, restoreCSRF, signup } from "./api.js";
import { Busy, Form, showMessage } from "./forms.js";

const DEMO = { credential: "Demo-lition", password: "password" };

const $ = (id) => document.getElementById(id);

const views = {
  loading: $("view-loading"),
  unreachable: $("view-unreachable"),
  user: $("view-user"),
  guest: $("view-guest"),
};

const loginForm = new Form($("login-form"), $("login-message"));
const signupForm = new Form($("signup-form"), $("signup-message"));
const buttons = {
  login: $("login-button"),
  demo: $("demo-button"),
  signup: $("signup-button"),
  logout: $("logout-button"),
  retry: $("retry-button"),
};
const busy = new Busy(Object.values(buttons));

function show(name) {
  for (const [key, el] of Object.entries(views)) el.hidden = key !== name;
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

function waitText(seconds) {
  if (seconds < 60) return seconds === 1 ? "1 second" : `${seconds} seconds`;
  const minutes = Math.ceil(seconds / 60);
  return minutes === 1 ? "1 minute" : `${minutes} minutes`;
}

function showUser(user) {
  $("user-username").textContent = user.username;
  $("user-email").textContent = user.email;
  $("user-id").textContent = String(user.id);
  $("user-avatar").textContent = Array.from(user.username)[0]?.toUpperCase() || "?";
  $("header-user-name").textContent = user.username;
  $("header-user").hidden = false;
  showMessage($("logout-message"), "");
  show("user");
}

function showGuest() {
  $("header-user").hidden = true;
  $("header-user-name").textContent = "";
  show("guest");
}

/** loggedIn shows the user and moves focus to the heading that says so. */
function loggedIn(user, greeting) {
  loginForm.reset();
  signupForm.reset();
  showUser(user);
  $("user-heading").focus();
  announce(greeting);
}

async function restore() {
  show("loading");
  try {
    const user = await getSession();
    if (user) showUser(user); else showGuest();
  } catch (err) {
    $("unreachable-message").textContent = problem(err);
    show("unreachable");
    $("unreachable-heading").focus();
    return;
  }
  if (!hasCSRFToken()) {
    // Not fatal: csrfFetch asks again before the next unsafe request.
    restoreCSRF().catch(() => {});
  }
}

async function submitLogin(credential, password, button, busyLabel) {
  loginForm.clear();
  try {
    const user = await login(credential, password);
    loggedIn(user, `Logged in as ${user.username}.`);
  } catch (err) {
    if (err instanceof ApiError && err.kind === "invalid") {
      loginForm.showErrors(err.fields, "Fill in both fields to log in.");
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
}

$("login-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const { credential, password } = loginForm.values();
  busy.run(buttons.login, "Logging in…", () => submitLogin(credential, password, buttons.login));
});

buttons.demo.addEventListener("click", () => {
  busy.run(buttons.demo, "Logging in…", () => submitLogin(DEMO.credential, DEMO.password, buttons.demo));
});

$("signup-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const values = signupForm.values();
  busy.run(buttons.signup, "Creating account…", async () => {
    signupForm.clear();
    try {
      const user = await signup(values);
      loggedIn(user, `Welcome, ${user.username}! Your account is ready and you're logged in.`);
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
      showGuest();
      $("login-heading").focus();
      announce("You've logged out.");
    } catch (err) {
      showMessage($("logout-message"), problem(err));
    }
  });
});

buttons.retry.addEventListener("click", () => {
  busy.run(buttons.retry, "Trying again…", restore);
});

// Buttons marked aria-disabled stay focusable, so keep them from doing anything.
document.addEventListener("click", (event) => {
  const button = event.target.closest?.("button[aria-disabled='true']");
  if (button) {
    event.preventDefault();
    event.stopImmediatePropagation();
  }
}, true);

restore();
