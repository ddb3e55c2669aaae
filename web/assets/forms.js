// Form helpers: field errors that screen readers hear (aria-invalid, aria-describedby,
// an aria-live message), and buttons that show work in progress.

/**
 * Form wraps a <form> whose fields are inputs named after the API's fields, each with an
 * empty <p id="INPUTID-error"> that its aria-describedby already names.
 */
export class Form {
  constructor(form, message) {
    this.form = form;
    this.message = message;
    // Editing a field at fault takes its error away; the summary stays until the
    // next submit.
    form.addEventListener("input", (event) => {
      const input = event.target;
      if (input.matches("input[name]") && input.hasAttribute("aria-invalid")) setFieldError(input, "");
    });
  }

  /** values returns the fields' values by name. */
  values() {
    const out = {};
    for (const input of this.inputs()) out[input.name] = input.value;
    return out;
  }

  inputs() {
    return Array.from(this.form.querySelectorAll("input[name]"));
  }

  input(name) {
    const el = this.form.elements.namedItem(name);
    return el instanceof HTMLInputElement ? el : null;
  }

  /** clear removes every error and the message. */
  clear() {
    for (const input of this.inputs()) setFieldError(input, "");
    showMessage(this.message, "");
  }

  /**
   * showErrors puts each field's error next to it and the summary in the message, then
   * moves focus to the first field at fault so its error is read out. Errors for fields
   * the form does not have join the summary. It returns the number of fields marked.
   */
  showErrors(fields, summary) {
    this.clear();
    const extra = [];
    let first = null;
    let marked = 0;
    for (const [name, text] of Object.entries(fields || {})) {
      const input = this.input(name);
      if (!input) {
        extra.push(text);
        continue;
      }
      setFieldError(input, text);
      marked++;
      first = first || input;
    }
    // Focus follows the order on screen, not the order of the server's keys.
    first = this.inputs().find((i) => i.getAttribute("aria-invalid") === "true") || first;
    showMessage(this.message, [summary, ...extra].filter(Boolean).join(" "), "error");
    if (first) first.focus();
    return marked;
  }

  /** showMessage shows one message for the whole form. */
  showMessage(text, tone = "error") {
    showMessage(this.message, text, tone);
  }

  reset() {
    this.clear();
    this.form.reset();
  }
}

/** setFieldError shows or clears the error of one input. */
export function setFieldError(input, text) {
  const error = document.getElementById(`${input.id}-error`);
  if (error) error.textContent = text;
  if (text) {
    input.setAttribute("aria-invalid", "true");
  } else {
    input.removeAttribute("aria-invalid");
  }
}

/**
 * showMessage fills a live region with one message (tone "error", "info" or
 * "success"), or empties it. The region stays in the page, so a screen reader that
 * watches it hears each new message.
 */
export function showMessage(region, text, tone = "error") {
  region.replaceChildren();
  if (!text) return;
  const p = document.createElement("p");
  p.className = `notice notice-${tone}`;
  p.textContent = text;
  region.append(p);
}

/**
 * Busy lets one action run at a time. While it runs, its button shows a spinner and the
 * busy label, and every button it guards is aria-disabled (so it keeps its focus, and
 * a second click or Enter does nothing).
 */
export class Busy {
  constructor(buttons) {
    this.buttons = buttons;
    this.running = false;
  }

  /** run does work with button showing busyLabel, unless something is running already. */
  async run(button, busyLabel, work) {
    if (this.running) return;
    this.running = true;
    const label = button.querySelector(".button-label");
    const idle = label.textContent;
    label.textContent = busyLabel;
    button.classList.add("is-busy");
    for (const b of this.buttons) b.setAttribute("aria-disabled", "true");
    button.closest("form")?.setAttribute("aria-busy", "true");
    try {
      await work();
    } finally {
      label.textContent = idle;
      button.classList.remove("is-busy");
      for (const b of this.buttons) b.removeAttribute("aria-disabled");
      button.closest("form")?.removeAttribute("aria-busy");
      this.running = false;
    }
  }
}

/**
 * ProofField is the second factor inside a form: a field for the 6-digit code from an
 * authenticator app and one for a recovery code, only one of them shown, and a button
 * that switches between them. Its markup, for a prefix P: a wrapper #P-proof, inputs
 * #P-code (name "code") and #P-recovery (name "recoveryCode") in the fields
 * #P-code-field and #P-recovery-field, and the button #P-proof-switch, whose
 * data-code-label is what it says while the recovery code is shown.
 */
export class ProofField {
  constructor(prefix) {
    this.wrapper = document.getElementById(`${prefix}-proof`);
    this.code = document.getElementById(`${prefix}-code`);
    this.recovery = document.getElementById(`${prefix}-recovery`);
    this.codeField = document.getElementById(`${prefix}-code-field`);
    this.recoveryField = document.getElementById(`${prefix}-recovery-field`);
    this.button = document.getElementById(`${prefix}-proof-switch`);
    this.toRecoveryLabel = this.button.textContent.trim();
    this.toCodeLabel = this.button.dataset.codeLabel;
    this.button.addEventListener("click", () => {
      this.use(!this.usesRecovery());
      this.input().focus();
    });
  }

  /** shown reports whether the form asks for a second factor now. */
  get shown() {
    return !this.wrapper.hidden;
  }

  /** show asks for a second factor, keeping what is typed. */
  show() {
    this.wrapper.hidden = false;
  }

  /** reset empties both fields, shows the code field again, and hides the wrapper unless keepShown. */
  reset(keepShown = false) {
    this.code.value = "";
    this.recovery.value = "";
    setFieldError(this.code, "");
    setFieldError(this.recovery, "");
    this.use(false);
    this.wrapper.hidden = !keepShown;
  }

  usesRecovery() {
    return !this.recoveryField.hidden;
  }

  /** use shows the recovery-code field (true) or the code field (false). */
  use(recovery) {
    this.codeField.hidden = recovery;
    this.recoveryField.hidden = !recovery;
    this.button.textContent = recovery ? this.toCodeLabel : this.toRecoveryLabel;
    // An error belongs to the field it was about; the other field starts clean.
    setFieldError(recovery ? this.code : this.recovery, "");
  }

  /** input is the field shown now. */
  input() {
    return this.usesRecovery() ? this.recovery : this.code;
  }

  /**
   * proof is what the request carries: {code} or {recoveryCode} from the field shown,
   * or {} while the form does not ask for a second factor.
   */
  proof() {
    if (!this.shown) return {};
    return this.usesRecovery() ? { recoveryCode: this.recovery.value.trim() } : { code: this.code.value.trim() };
  }
}

/**
 * asksSecondFactor reports whether err is the API asking for a code (or refusing the
 * one given) beside a right password: a 400 with errors.code or errors.recoveryCode.
 */
export function asksSecondFactor(err) {
  return err?.kind === "invalid" && err.fields && ("code" in err.fields || "recoveryCode" in err.fields);
}
