// Progressive enhancement only: every page works without this file.
// [data-live] search boxes refresh their results as the clerk types (no page reload).
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("input[data-live]").forEach((input) => {
    const form = input.form;
    const target = document.getElementById(input.dataset.live);
    if (!form || !target) return;
    let timer = null;
    let seq = 0;
    input.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(async () => {
        const mine = ++seq;
        const url = form.action + "?" + new URLSearchParams(new FormData(form));
        try {
          const resp = await fetch(url, {headers: {"X-Partial": input.dataset.partial}});
          if (resp.ok && mine === seq) {
            target.innerHTML = await resp.text();
          }
        } catch (e) { /* keep the last results; the form still submits normally */ }
      }, 200);
    });
  });
});
// Print buttons on the receipt and the supplement notice.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-print]").forEach((b) => b.addEventListener("click", () => window.print()));
});
// File inputs with data-max-bytes refuse a file over the limit before it is sent (the
// server checks again); the message is the page's own, in its language (data-too-large).
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("input[type=file][data-max-bytes]").forEach((input) => {
    input.addEventListener("change", () => {
      const big = Array.from(input.files).some((f) => f.size > Number(input.dataset.maxBytes));
      input.setCustomValidity(big ? input.dataset.tooLarge : "");
      if (big) input.reportValidity();
    });
  });
});

// The counter's return point (issue 22) applies only to a result collected at a counter:
// disabled while "by post" is chosen (the server ignores it then anyway).
(() => {
  const point = document.querySelector("select[name=return_at]");
  if (!point) return;
  const radios = document.querySelectorAll("input[name=return_by]");
  const sync = () => { point.disabled = [...radios].some((r) => r.checked && r.value === "post"); };
  radios.forEach((r) => r.addEventListener("change", sync));
  sync();
})();
