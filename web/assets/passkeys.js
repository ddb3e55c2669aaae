// The browser's side of passkeys: whether it can use them, its two ceremonies (make a
// passkey, answer with one), and what a refusal by the browser or the person means in
// words. The server's side is in api.js.

/** PasskeyError is a ceremony the browser or the person did not finish; message says why. */
export class PasskeyError extends Error {
  constructor(message, { aborted = false } = {}) {
    super(message);
    this.name = "PasskeyError";
    // aborted: the page itself stopped the ceremony (a newer one replaced it); nothing to say.
    this.aborted = aborted;
  }
}

/** The messages a person sees. */
export const PASSKEY_MESSAGES = {
  unsupported: "This browser cannot use passkeys. Log in with your password, or use a browser that can.",
  cancelled: "No passkey was used. Try again, or log in with your password.",
  exists: "This device or password manager has a passkey for your account already.",
  insecure: "Passkeys don't work on this page's address: it needs a domain name, not an IP address.",
  failed: "The passkey didn't work. Try again, or log in with your password.",
};

/** passkeysSupported reports whether this browser can make and use passkeys with JSON options. */
export function passkeysSupported() {
  return typeof window.PublicKeyCredential === "function" &&
    typeof PublicKeyCredential.parseCreationOptionsFromJSON === "function" &&
    typeof PublicKeyCredential.parseRequestOptionsFromJSON === "function" &&
    !!navigator.credentials;
}

/** conditionalAvailable reports whether the browser offers passkeys in a field's autofill. */
export async function conditionalAvailable() {
  if (!passkeysSupported() || typeof PublicKeyCredential.isConditionalMediationAvailable !== "function") return false;
  try {
    return await PublicKeyCredential.isConditionalMediationAvailable();
  } catch {
    return false;
  }
}

/** createPasskey makes a passkey with the server's creation options and returns its answer as JSON. */
export async function createPasskey(options) {
  if (!passkeysSupported()) throw new PasskeyError(PASSKEY_MESSAGES.unsupported);
  try {
    const publicKey = PublicKeyCredential.parseCreationOptionsFromJSON(options);
    const cred = await navigator.credentials.create({ publicKey });
    if (!cred) throw new PasskeyError(PASSKEY_MESSAGES.cancelled);
    return cred.toJSON();
  } catch (err) {
    throw passkeyError(err);
  }
}

/**
 * getPasskey answers the server's request options with a passkey the person picks and
 * returns the answer as JSON. With conditional, the browser offers the passkeys in the
 * autofill of a field marked autocomplete="… webauthn" and waits, until signal aborts.
 */
export async function getPasskey(options, { conditional = false, signal } = {}) {
  if (!passkeysSupported()) throw new PasskeyError(PASSKEY_MESSAGES.unsupported);
  try {
    const publicKey = PublicKeyCredential.parseRequestOptionsFromJSON(options);
    const request = { publicKey, signal };
    if (conditional) request.mediation = "conditional";
    const cred = await navigator.credentials.get(request);
    if (!cred) throw new PasskeyError(PASSKEY_MESSAGES.cancelled);
    return cred.toJSON();
  } catch (err) {
    throw passkeyError(err, signal);
  }
}

/** passkeyError says in words why a ceremony ended without a passkey. */
function passkeyError(err, signal) {
  if (err instanceof PasskeyError) return err;
  if (signal?.aborted || err?.name === "AbortError") return new PasskeyError("", { aborted: true });
  switch (err?.name) {
    // Cancelled, timed out, or no passkey of this site on the device: the browser does
    // not tell them apart, on purpose.
    case "NotAllowedError": return new PasskeyError(PASSKEY_MESSAGES.cancelled);
    // The authenticator holds one of excludeCredentials: this account's passkey is there.
    case "InvalidStateError": return new PasskeyError(PASSKEY_MESSAGES.exists);
    case "SecurityError": return new PasskeyError(PASSKEY_MESSAGES.insecure);
    case "NotSupportedError": return new PasskeyError(PASSKEY_MESSAGES.unsupported);
  }
  return new PasskeyError(PASSKEY_MESSAGES.failed);
}
