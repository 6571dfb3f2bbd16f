// Monthly report entry: live key indicators; messages at each field as the user types
// (an instant check of the number itself, then the server's checks through htmx, which
// stay authoritative); the problems summary and the section menu at the top; a copy of
// typed values kept on this device until the server has them.
(function () {
  "use strict";
  const form = document.getElementById("report-form");
  if (!form) return;
  const definitions = JSON.parse(document.getElementById("live-indicators-data").textContent);
  const valueMessages = JSON.parse(document.getElementById("value-messages-data").textContent);
  const list = document.getElementById("live-indicators");
  const top = document.getElementById("entry-top");
  const nav = document.querySelector(".section-nav");
  const lang = document.documentElement.lang || "id";
  const number = new Intl.NumberFormat(lang, { maximumFractionDigits: 1 });
  const inputs = Array.from(form.querySelectorAll("input[data-code]"));
  const fields = Array.from(form.querySelectorAll("input[data-code], [data-comment-for]"));
  const narrow = window.matchMedia("(max-width: 767.98px)");

  function value(code) {
    const input = form.querySelector('input[data-code="' + code + '"]');
    const text = input ? input.value.trim() : "";
    return /^[0-9]+$/.test(text) ? parseInt(text, 10) : 0;
  }

  function renderIndicators() {
    list.replaceChildren();
    definitions.forEach((indicator) => {
      const numerator = indicator.numerator.reduce((sum, code) => sum + value(code), 0);
      const denominator = indicator.monthly_target !== null
        ? indicator.monthly_target
        : indicator.denominator.reduce((sum, code) => sum + value(code), 0);
      const item = document.createElement("li");
      item.className = "list-group-item d-flex justify-content-between gap-2";
      item.dataset.indicator = indicator.code;
      const name = document.createElement("span");
      name.textContent = indicator.name;
      const shown = document.createElement("span");
      shown.className = "text-nowrap fw-semibold";
      if (!denominator) {
        shown.textContent = "–";
      } else if (denominator < indicator.threshold) {
        shown.textContent = numerator + "/" + number.format(denominator);
      } else {
        shown.textContent = number.format(numerator / denominator * indicator.factor) + " " + indicator.unit;
      }
      item.append(name, shown);
      list.append(item);
    });
  }

  // ---- messages at each field ------------------------------------------------------
  // The same words as the server's form (entry.VALUE_MESSAGES); digits other than 0–9
  // are refused like the server does (validation.is_plain_number_text).
  function formatProblem(text) {
    const trimmed = text.trim();
    if (trimmed === "" || /^[0-9]+$/.test(trimmed)) return null;
    if (/^-\s*[0-9]+([.,][0-9]+)?$/.test(trimmed)) return valueMessages.min_value;
    return valueMessages.invalid;
  }

  function checkNow(input) {
    const box = document.getElementById("msgs-" + input.dataset.code);
    if (!box) return;
    box.querySelectorAll("[data-field-error]").forEach((node) => node.remove());
    const problem = formatProblem(input.value);
    if (problem) {
      const message = document.createElement("div");
      message.className = "entry-msg entry-msg-error";
      message.dataset.severity = "error";
      message.setAttribute("data-field-error", "");
      message.textContent = problem;
      box.prepend(message);
    }
    refreshRow(input.dataset.code);
    refreshSections();
  }

  function refreshRow(code) {
    const box = document.getElementById("msgs-" + code);
    const input = form.querySelector('input[data-code="' + code + '"]');
    const row = document.getElementById("row-" + code);
    if (!box || !input || !row) return;
    const hasError = !!box.querySelector("[data-severity=error]");
    if (hasError) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
    row.classList.toggle("has-finding", box.children.length > 0);
    if (box.hasAttribute("data-needs-comment")) {
      const details = row.querySelector("details.entry-comment");
      if (details && !details.open) details.open = true;
    }
  }

  function refreshSections() {
    if (!nav) return;
    document.querySelectorAll("fieldset.entry-section").forEach((section) => {
      const rows = Array.from(section.querySelectorAll(".entry-row"));
      const filled = rows.filter((row) => {
        const input = row.querySelector("input[data-code]");
        return input && input.value.trim() !== "";
      }).length;
      const problems = rows.some((row) => {
        const box = row.querySelector(".entry-msgs");
        return box && (box.querySelector("[data-severity=error]") || box.hasAttribute("data-needs-comment"));
      });
      const state = problems ? "errors" : filled === rows.length ? "complete" : filled ? "partial" : "untouched";
      const pill = nav.querySelector('.section-pill[data-section="' + section.dataset.section + '"]');
      if (pill && pill.dataset.state !== state) {
        pill.dataset.state = state;
        const label = nav.dataset["label" + state.charAt(0).toUpperCase() + state.slice(1)];
        pill.title = label;
        const text = pill.querySelector(".state-text");
        if (text) text.textContent = label;
      }
    });
  }

  function refreshAll() {
    inputs.forEach((input) => refreshRow(input.dataset.code));
    refreshSections();
    measureTop();
  }

  // ---- the sticky top ----------------------------------------------------------------
  function measureTop() {
    if (top) document.documentElement.style.setProperty("--entry-top", top.offsetHeight + "px");
  }

  // The problems list keeps the open/closed state the user chose across live updates.
  let problemsOpen = null;
  document.addEventListener("toggle", (event) => {
    if (event.target.classList && event.target.classList.contains("problems-box")) {
      problemsOpen = event.target.open;
      measureTop();
    }
  }, true);

  // A problem jumps to its field and focuses it (on a phone the list folds away first
  // so that it does not cover the field).
  document.addEventListener("click", (event) => {
    const link = event.target.closest("a[data-focus]");
    if (!link) return;
    const input = form.querySelector('input[data-code="' + link.dataset.focus + '"]');
    const row = document.getElementById("row-" + link.dataset.focus);
    if (!input || !row) return;
    event.preventDefault();
    const box = link.closest("details.problems-box");
    if (box && narrow.matches) box.open = false;
    measureTop();
    row.scrollIntoView({ block: "center" });
    if (!input.disabled) input.focus({ preventScroll: true });
  });

  // The pill of the section being read is marked, and kept in view in the menu.
  if (nav && "IntersectionObserver" in window) {
    const observer = new IntersectionObserver((entries) => {
      entries.forEach((entry) => {
        if (!entry.isIntersecting) return;
        nav.querySelectorAll(".section-pill").forEach((pill) => {
          const current = pill.dataset.section === entry.target.dataset.section;
          if (current) {
            pill.setAttribute("aria-current", "true");
            const strip = pill.closest(".section-pills");
            strip.scrollLeft = pill.offsetLeft - strip.offsetLeft - 16;
          } else {
            pill.removeAttribute("aria-current");
          }
        });
      });
    }, { rootMargin: "-30% 0px -60% 0px" });
    document.querySelectorAll("fieldset.entry-section").forEach((section) => observer.observe(section));
  }

  // ---- the server's checks (htmx) -----------------------------------------------------
  // A reply to values that have been changed since is dropped: the next one is on its way.
  let generation = 0;
  form.addEventListener("htmx:configRequest", (event) => { event.detail.headers["X-Entry-Generation"] = String(generation); });
  document.body.addEventListener("htmx:beforeSwap", (event) => {
    const sent = event.detail.requestConfig && event.detail.requestConfig.headers
      ? parseInt(event.detail.requestConfig.headers["X-Entry-Generation"], 10) : generation;
    if (event.detail.requestConfig && event.detail.requestConfig.elt === form && sent !== generation) {
      event.detail.shouldSwap = false;
    }
  });
  document.body.addEventListener("htmx:afterSettle", (event) => {
    if (event.detail.target && event.detail.target.id === "live-checks") {
      const box = event.detail.target.querySelector("details.problems-box");
      if (box && problemsOpen !== null) box.open = problemsOpen;
      refreshAll();
    }
  });

  // ---- local copy of unsaved values ------------------------------------------------
  const key = form.dataset.storageKey;
  const version = parseInt(form.dataset.version, 10);
  const readOnly = form.hasAttribute("data-read-only");

  function snapshot() {
    const values = {};
    fields.forEach((field) => { values[field.name] = field.value; });
    return values;
  }

  function store() {
    if (readOnly) return;
    try {
      localStorage.setItem(key, JSON.stringify({ version: version, values: snapshot(), at: Date.now() }));
    } catch (error) { /* storage full or disabled: the server copy still counts */ }
  }

  function restore() {
    if (readOnly) return false;
    let stored = null;
    try { stored = JSON.parse(localStorage.getItem(key) || "null"); } catch (error) { stored = null; }
    if (!stored) return false;
    if (stored.version < version) { localStorage.removeItem(key); return false; } // saved since
    const current = snapshot();
    const differs = Object.keys(stored.values).some((name) => name in current && current[name] !== stored.values[name]);
    if (!differs) return false;
    fields.forEach((field) => {
      if (field.name in stored.values) field.value = stored.values[field.name];
    });
    const notice = document.getElementById("restored-notice");
    notice.classList.remove("d-none");
    document.getElementById("discard-restored").addEventListener("click", () => {
      localStorage.removeItem(key);
      window.location.reload();
    });
    return true;
  }

  const restored = restore();
  renderIndicators();
  refreshAll();
  if (restored && !readOnly && window.htmx) window.htmx.trigger(form, "input");
  window.addEventListener("resize", measureTop);
  form.addEventListener("input", (event) => {
    generation += 1;
    renderIndicators();
    store();
    if (event.target.matches("input[data-code]")) checkNow(event.target);
  });
  // Enter in a number field moves to the next field instead of submitting (phones).
  inputs.forEach((input, index) => {
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && inputs[index + 1]) {
        event.preventDefault();
        inputs[index + 1].focus();
      }
    });
  });
})();
