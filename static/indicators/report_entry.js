// Monthly report entry: live key indicators, and a copy of typed values kept on this
// device until the server has them (a lost session or connection loses nothing).
(function () {
  "use strict";
  const form = document.getElementById("report-form");
  if (!form) return;
  const definitions = JSON.parse(document.getElementById("live-indicators-data").textContent);
  const list = document.getElementById("live-indicators");
  const lang = document.documentElement.lang || "id";
  const number = new Intl.NumberFormat(lang, { maximumFractionDigits: 1 });
  const inputs = Array.from(form.querySelectorAll("input[data-code]"));
  const fields = Array.from(form.querySelectorAll("input[data-code], input[data-comment-for]"));

  function value(code) {
    const input = form.querySelector('input[data-code="' + code + '"]');
    const parsed = input ? parseInt(input.value, 10) : NaN;
    return Number.isFinite(parsed) && parsed >= 0 ? parsed : 0;
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
    if (readOnly) return;
    let stored = null;
    try { stored = JSON.parse(localStorage.getItem(key) || "null"); } catch (error) { stored = null; }
    if (!stored) return;
    if (stored.version < version) { localStorage.removeItem(key); return; } // saved since
    const current = snapshot();
    const differs = Object.keys(stored.values).some((name) => name in current && current[name] !== stored.values[name]);
    if (!differs) return;
    fields.forEach((field) => {
      if (field.name in stored.values) field.value = stored.values[field.name];
    });
    const notice = document.getElementById("restored-notice");
    notice.classList.remove("d-none");
    document.getElementById("discard-restored").addEventListener("click", () => {
      localStorage.removeItem(key);
      window.location.reload();
    });
  }

  restore();
  renderIndicators();
  form.addEventListener("input", () => { renderIndicators(); store(); });
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
