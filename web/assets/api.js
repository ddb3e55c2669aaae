// The authenticate-me API as the page uses it: csrfFetch sends the XSRF-TOKEN cookie
// back as the XSRF-Token header on every unsafe request, as the authenticate-me
// frontend's csrfFetch does, and every failure becomes an ApiError with a kind the page
// can explain to a person.

const XSRF_COOKIE = "XSRF-TOKEN";
const XSRF_HEADER = "XSRF-Token";
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);
const TIMEOUT_MS = 15000;

/**
 * ApiError is a request that did not succeed.
 * kind is one of: "invalid" (400), "unauthorized" (401), "forbidden" (403), "conflict" (409),
 * "rate-limited" (429), "unavailable" (503), "server" (other 5xx or a reply that is not
 * the API's), "network" (no reply), "timeout", "http" (any other status).
 */
export class ApiError extends Error {
  constructor(kind, { status = 0, message = "", fields = {}, retryAfter = null } = {}) {
    super(message || kind);
    this.name = "ApiError";
    this.kind = kind;
    this.status = status;
    this.fields = fields;
    this.retryAfter = retryAfter;
  }

  /** retryable reports whether trying the same request again later may work. */
  get retryable() {
    return ["network", "timeout", "server", "unavailable", "rate-limited"].includes(this.kind);
  }
}

/** readCookie returns the value of the named cookie, or "". */
export function readCookie(name) {
  for (const part of document.cookie.split(";")) {
    const eq = part.indexOf("=");
    if (eq >= 0 && part.slice(0, eq).trim() === name) {
      return decodeURIComponent(part.slice(eq + 1).trim());
    }
  }
  return "";
}

/** restoreCSRF asks the server for a fresh token; it arrives in the XSRF-TOKEN cookie. */
export async function restoreCSRF() {
  const data = await send("/api/csrf/restore", { method: "GET" });
  return data["XSRF-Token"];
}

/**
 * csrfFetch is fetch for the API: same-origin cookies, JSON bodies, and the CSRF token
 * on every unsafe request, fetched first when the page has none.
 */
export async function csrfFetch(url, options = {}) {
  const method = (options.method || "GET").toUpperCase();
  const headers = new Headers(options.headers);
  if (!SAFE_METHODS.has(method)) {
    if (!headers.has("Content-Type")) headers.set("Content-Type", "application/json");
    let token = readCookie(XSRF_COOKIE);
    if (!token) {
      await restoreCSRF();
      token = readCookie(XSRF_COOKIE);
    }
    headers.set(XSRF_HEADER, token);
  }
  return fetch(url, {
    ...options,
    method,
    headers,
    credentials: "same-origin",
    signal: options.signal || AbortSignal.timeout(TIMEOUT_MS),
  });
}

/** send makes one API request and returns its JSON body, or throws an ApiError. */
async function send(url, options) {
  return (await exchange(url, options)).data;
}

/**
 * exchange makes one API request and returns its status and JSON body, or throws an
 * ApiError. A 403 for a stale CSRF token (its secret cookie was replaced) is retried
 * once with a fresh token.
 */
async function exchange(url, { method = "GET", body } = {}, retried = false) {
  let res;
  try {
    res = await csrfFetch(url, {
      method,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    if (err instanceof ApiError) throw err;
    const timedOut = err && (err.name === "TimeoutError" || err.name === "AbortError");
    throw new ApiError(timedOut ? "timeout" : "network");
  }
  const data = await readJSON(res);
  if (res.ok) {
    if (data === null) throw new ApiError("server", { status: res.status });
    return { status: res.status, data };
  }
  const message = (data && typeof data.message === "string") ? data.message : "";
  const fields = (data && data.errors && typeof data.errors === "object") ? data.errors : {};
  if (res.status === 403 && message === "invalid csrf token" && !retried) {
    await restoreCSRF();
    return exchange(url, { method, body }, true);
  }
  throw new ApiError(kindOf(res.status, data), {
    status: res.status,
    message,
    fields,
    retryAfter: retryAfterSeconds(res.headers.get("Retry-After")),
  });
}

async function readJSON(res) {
  const type = res.headers.get("Content-Type") || "";
  if (!type.includes("json")) return null;
  try {
    return await res.json();
  } catch {
    return null;
  }
}

function kindOf(status, data) {
  switch (status) {
    case 400: return data ? "invalid" : "server";
    case 401: return "unauthorized";
    case 403: return data ? "forbidden" : "server";
    case 409: return "conflict";
    case 429: return "rate-limited";
    case 503: return "unavailable";
  }
  return status >= 500 || !data ? "server" : "http";
}

/** retryAfterSeconds reads a Retry-After header: seconds, or an HTTP date. */
function retryAfterSeconds(value) {
  if (!value) return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const at = Date.parse(value);
  if (Number.isNaN(at)) return null;
  return Math.max(0, Math.ceil((at - Date.now()) / 1000));
}

/**
 * An account is what the API says about the logged-in person: user ({id, username,
 * email}) and emailVerifiedAt, beside it: a time, null while the address is
 * unconfirmed, or undefined from a server that does not say.
 */
function account(data) {
  if (!data || !data.user) return null;
  return { user: data.user, emailVerifiedAt: data.emailVerifiedAt };
}

/** getSession returns the logged-in account, or null. */
export async function getSession() {
  return account(await send("/api/session"));
}

/**
 * login starts a session for a username or email and a password, returning the account.
 * For an account with two-factor authentication the right password starts only an
 * attempt (202): the result is {secondFactor: {methods, expiresAt}} then, and
 * finishLogin ends it with a code.
 */
export async function login(credential, password) {
  const { status, data } = await exchange("/api/session", { method: "POST", body: { credential, password } });
  if (status === 202 && data.secondFactor) return { secondFactor: data.secondFactor };
  return account(data);
}

// A proof is what a sensitive request carries beside the password on an account with
// two-factor authentication: {code} (6 digits from the app), {recoveryCode}, or {} when
// the page has not asked for one.


/**
 * finishLogin ends a log-in that asked for a second factor, with proof, and returns the
 * account, with recoveryCodesRemaining when a recovery code was used.
 */
export async function finishLogin(proof) {
  const data = await send("/api/session/second-factor", { method: "POST", body: proof });
  return { ...account(data), recoveryCodesRemaining: data.recoveryCodesRemaining };
}

/**
 * signup creates an account and logs it in, returning the account. When the server
 * requires a verified address (202), the account exists but nobody is logged in:
 * verifyFirst is true then.
 */
export async function signup({ username, email, password }) {
  const { status, data } = await exchange("/api/users", { method: "POST", body: { username, email, password } });
  return { ...account(data), verifyFirst: status === 202 };
}

/**
 * requestPasswordReset asks for a reset link to be mailed to email. The answer is the
 * same whether or not an account uses the address.
 */
export async function requestPasswordReset(email) {
  return send("/api/password-reset", { method: "POST", body: { email } });
}

/** resetPassword sets a new password with a reset link's token and logs in, returning the account. */
export async function resetPassword(token, password, proof = {}) {
  return account(await send("/api/password-reset/confirm", { method: "POST", body: { token, password, ...proof } }));
}

/** requestVerification asks for a new verification link to be mailed to email. */
export async function requestVerification(email) {
  return send("/api/email-verification", { method: "POST", body: { email } });
}

/** confirmVerification confirms an email address with a verification link's token. */
export async function confirmVerification(token) {
  return send("/api/email-verification/confirm", { method: "POST", body: { token } });
}

/** changeEmail asks for a confirmation link to be mailed to the new address. */
export async function changeEmail(email, password, proof = {}) {
  return send("/api/users/me/email", { method: "PUT", body: { email, password, ...proof } });
}

/** confirmEmailChange finishes a change of email with the new address's link; data.email is the new one. */
export async function confirmEmailChange(token) {
  return send("/api/email-change/confirm", { method: "POST", body: { token } });
}

/** undoEmailChange puts the old address back with its link; data.email is the old one. */
export async function undoEmailChange(token) {
  return send("/api/email-change/undo", { method: "POST", body: { token } });
}

/** logout ends the session. */
export async function logout() {
  await send("/api/session", { method: "DELETE" });
}

/** hasCSRFToken reports whether the page holds a token for unsafe requests. */
export function hasCSRFToken() {
  return readCookie(XSRF_COOKIE) !== "";
}

/** listSessions returns the account's live sessions, newest first; current marks this one. */
export async function listSessions() {
  return (await send("/api/sessions")).sessions;
}

/** endSession logs one session out by id. */
export async function endSession(id) {
  await send(`/api/sessions/${encodeURIComponent(id)}`, { method: "DELETE" });
}

/** endOtherSessions logs out every session but this one and returns how many ended. */
export async function endOtherSessions() {
  return (await send("/api/sessions", { method: "DELETE" })).ended;
}

/** changePassword replaces the password; this session continues, every other one ends. */
export async function changePassword(currentPassword, newPassword, proof = {}) {
  return account(await send("/api/users/me/password", {
    method: "PUT", body: { currentPassword, newPassword, ...proof },
  }));
}

/**
 * listEvents returns one page of the account's security events, newest first:
 * {events, nextCursor}, nextCursor null on the last page.
 */
export async function listEvents(cursor = null, limit = 20) {
  const query = new URLSearchParams({ limit: String(limit) });
  if (cursor) query.set("cursor", cursor);
  return send(`/api/users/me/events?${query}`);
}

/** deleteAccount deletes the account and everything authme keeps for it; it returns the server's message. */
export async function deleteAccount(password, proof = {}) {
  return (await send("/api/users/me", { method: "DELETE", body: { password, ...proof } })).message;
}

/**
 * totpStatus says whether two-factor authentication is on:
 * {enabled, enabledAt, recoveryCodesRemaining}.
 */
export async function totpStatus() {
  return send("/api/users/me/totp");
}

/**
 * beginTotp starts turning two-factor authentication on, after the password: it returns
 * the new key as {secret, uri, qrCode}, qrCode a data: URI of a PNG. Nothing is on until
 * confirmTotp.
 */
export async function beginTotp(password) {
  return send("/api/users/me/totp", { method: "POST", body: { password } });
}

/**
 * confirmTotp turns two-factor authentication on with a first code from the app, and
 * returns {enabled, enabledAt, recoveryCodes}: the ten recovery codes, shown only now.
 */
export async function confirmTotp(code) {
  return send("/api/users/me/totp/confirm", { method: "POST", body: { code } });
}

/** disableTotp turns two-factor authentication off and returns the new status. */
export async function disableTotp(password, proof) {
  return send("/api/users/me/totp", { method: "DELETE", body: { password, ...proof } });
}

/** newRecoveryCodes replaces the recovery codes and returns the new ones; the old ones stop working. */
export async function newRecoveryCodes(password, proof) {
  return (await send("/api/users/me/totp/recovery-codes", { method: "POST", body: { password, ...proof } })).recoveryCodes;
}

/**
 * exportData fetches everything authme stores about the caller as {blob, filename}; the
 * filename is the one the server suggests.
 */
export async function exportData() {
  let res;
  try {
    res = await csrfFetch("/api/users/me/export");
  } catch (err) {
    const timedOut = err && (err.name === "TimeoutError" || err.name === "AbortError");
    throw new ApiError(timedOut ? "timeout" : "network");
  }
  if (!res.ok) {
    const data = await readJSON(res);
    throw new ApiError(kindOf(res.status, data), {
      status: res.status,
      message: (data && typeof data.message === "string") ? data.message : "",
    });
  }
  const match = /filename="([^"]+)"/.exec(res.headers.get("Content-Disposition") || "");
  return { blob: await res.blob(), filename: match ? match[1] : "authme-export.json" };
}

// Passkeys. The options the server answers are WebAuthn's JSON forms, which the browser
// parses itself (PublicKeyCredential.parseCreationOptionsFromJSON and
// parseRequestOptionsFromJSON); the authenticator's answers go back as
// PublicKeyCredential.toJSON().

/** listPasskeys returns the account's passkeys, oldest first: {id, name, createdAt, lastUsedAt}. */
export async function listPasskeys() {
  return (await send("/api/users/me/passkeys")).passkeys;
}

/**
 * beginPasskey starts adding a passkey and returns the options for
 * navigator.credentials.create as JSON. reauth is {} after a recent log-in, else
 * {password} and the proof of a second factor.
 */
export async function beginPasskey(reauth = {}) {
  return (await send("/api/users/me/passkeys/begin", { method: "POST", body: reauth })).publicKey;
}

/** finishPasskey keeps the passkey the authenticator made, under name, and returns it. */
export async function finishPasskey(name, credential) {
  return (await send("/api/users/me/passkeys/finish", { method: "POST", body: { name, credential } })).passkey;
}

/** removePasskey removes one passkey and returns those left. reauth is as for beginPasskey. */
export async function removePasskey(id, reauth = {}) {
  return (await send(`/api/users/me/passkeys/${encodeURIComponent(id)}`, { method: "DELETE", body: reauth })).passkeys;
}

/** beginPasskeyLogin returns the options for navigator.credentials.get as JSON: any passkey of this site. */
export async function beginPasskeyLogin() {
  return (await send("/api/session/passkey/begin", { method: "POST", body: {} })).publicKey;
}

/**
 * passkeyLogin logs in with the authenticator's answer and returns the account, or, as
 * login does, {secondFactor} when the account still asks for a code.
 */
export async function passkeyLogin(credential) {
  const { status, data } = await exchange("/api/session/passkey/finish", { method: "POST", body: { credential } });
  if (status === 202 && data.secondFactor) return { secondFactor: data.secondFactor };
  return account(data);
}
