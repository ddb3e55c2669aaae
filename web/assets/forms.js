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
