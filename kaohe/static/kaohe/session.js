// No typing is ever lost. (1) Two minutes before the idle timeout the page offers 续期. (2) What is typed into a
// data form (form[data-kh-keep]) is kept in this browser, keyed by user and form, until the server shows the same
// values back (a save went through); a page that finds typing the server never received — the session expired,
// the network failed, the tab was closed — puts it back into the form and says so. Nothing is written to the
// server until the user saves again.
(function () {
  const body = document.body;
  const user = body.getAttribute("data-kh-user");
  if (!user) return;

  // --- 续期 ---------------------------------------------------------------------------------------------
  const idle = parseInt(body.getAttribute("data-kh-idle") || "0", 10);
  const renewUrl = body.getAttribute("data-kh-renew");
  const WARN_BEFORE = 120;
  let timer = null;

  function csrfToken() {
    const field = document.querySelector('input[name="csrfmiddlewaretoken"]');
    if (field) return field.value;
    const match = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function banner() {
    let el = document.getElementById("kh-session");
    if (el) return el;
    el = document.createElement("div");
    el.id = "kh-session";
    el.className = "kh-session alert alert-warning shadow d-flex flex-wrap align-items-center gap-2 mb-0";
    el.setAttribute("role", "alert");
    el.setAttribute("data-testid", "session-warning");
    const text = document.createElement("span");
    text.className = "me-auto";
    text.setAttribute("data-testid", "session-text");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "btn btn-sm btn-primary";
    button.textContent = "续期";
    button.setAttribute("data-testid", "session-renew");
    button.addEventListener("click", renew);
    el.appendChild(text);
    el.appendChild(button);
    body.appendChild(el);
    return el;
  }

  function warn() {
    const el = banner();
    el.querySelector("[data-testid=session-text]").textContent =
      "您已较长时间未操作，登录将在 2 分钟后超时。点击“续期”继续使用；已填写的内容不会丢失。";
    el.hidden = false;
  }

  function expired() {
    const el = banner();
    el.querySelector("[data-testid=session-text]").textContent =
      "登录已超时。已填写的内容保存在本浏览器中：请重新登录，回到本页后会自动恢复。";
    el.querySelector("[data-testid=session-renew]").hidden = true;
    el.hidden = false;
  }

  function schedule(seconds) {
    if (timer) clearTimeout(timer);
    if (seconds > 0) timer = setTimeout(warn, Math.max(seconds - WARN_BEFORE, 0) * 1000);
  }

  function renew() {
    fetch(renewUrl, { method: "POST", headers: { "X-CSRFToken": csrfToken() }, credentials: "same-origin",
                      redirect: "manual" })
      .then(function (response) {
        if (!response.ok) throw new Error("expired");
        return response.json();
      })
      .then(function (data) {
        const el = document.getElementById("kh-session");
        if (el) el.hidden = true;
        schedule(data.seconds || idle);
      })
      .catch(expired);
  }

  if (idle > 0 && renewUrl) schedule(idle);

  // --- typing kept in the browser ------------------------------------------------------------------------
  function fields(form) {
    return Array.prototype.filter.call(form.elements, function (el) {
      if (!el.name || el.disabled || el.name === "csrfmiddlewaretoken" || el.name === "action") return false;
      if (el.type === "hidden" || el.type === "file" || el.type === "submit" || el.type === "button") return false;
      return true;
    });
  }

  function read(form) {
    const values = {};
    fields(form).forEach(function (el) {
      values[el.name] = el.type === "checkbox" ? (el.checked ? "on" : "") : el.value;
    });
    return values;
  }

  // What the server rendered, whatever has been typed since: a user quicker than this script keeps his typing.
  function rendered(el) {
    if (el.type === "checkbox") return el.defaultChecked ? "on" : "";
    if (el.tagName === "SELECT") {
      const chosen = Array.prototype.find.call(el.options, function (o) { return o.defaultSelected; });
      return chosen ? chosen.value : (el.options[0] ? el.options[0].value : "");
    }
    return el.defaultValue;
  }

  function readRendered(form) {
    const values = {};
    fields(form).forEach(function (el) { values[el.name] = rendered(el); });
    return values;
  }

  // A figure as the server shows it back after a save (71,603.20) equals what was typed (７１６０３.2).
  const FULL_WIDTH = "０１２３４５６７８９．，－＋";
  const ASCII = "0123456789.,-+";
  function norm(value) {
    let text = String(value).trim().replace(/[０-９．，－＋]/g, function (c) { return ASCII[FULL_WIDTH.indexOf(c)]; });
    const bare = text.replace(/,/g, "");
    if (/^[+-]?[0-9]*\.?[0-9]+$/.test(bare)) {
      text = bare.indexOf(".") >= 0 ? bare.replace(/0+$/, "").replace(/\.$/, "") : bare;
    }
    return text;
  }

  function same(a, b) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every(function (k) { return norm(a[k]) === norm(b[k]); });
  }

  document.querySelectorAll("form[data-kh-keep]").forEach(function (form) {
    const key = "kaohe:draft:" + user + ":" + form.getAttribute("action");
    const shown = readRendered(form);
    let kept = null;
    try { kept = JSON.parse(localStorage.getItem(key) || "null"); } catch (e) { kept = null; }
    if (kept && kept.values && !same(kept.values, shown)) {
      fields(form).forEach(function (el) {
        if (!(el.name in kept.values)) return;
        const now = el.type === "checkbox" ? (el.checked ? "on" : "") : el.value;
        if (now !== rendered(el)) return;  // typed into already on this page: that wins
        if (el.type === "checkbox") el.checked = kept.values[el.name] === "on";
        else el.value = kept.values[el.name];
      });
      const note = document.createElement("div");
      note.className = "alert alert-info d-flex flex-wrap align-items-center gap-2";
      note.setAttribute("role", "status");
      note.setAttribute("data-testid", "draft-restored");
      const text = document.createElement("span");
      text.className = "me-auto";
      text.textContent = "已恢复您上次填写但未保存的内容（尚未保存），请核对后点击“保存”。";
      const discard = document.createElement("button");
      discard.type = "button";
      discard.className = "btn btn-sm btn-outline-secondary";
      discard.textContent = "放弃恢复的内容";
      discard.setAttribute("data-testid", "draft-discard");
      discard.addEventListener("click", function () {
        localStorage.removeItem(key);
        window.location.reload();
      });
      note.appendChild(text);
      note.appendChild(discard);
      form.parentNode.insertBefore(note, form);
    } else if (kept) {
      localStorage.removeItem(key);  // the server shows what was typed: it was saved
    }
    function keep() {
      const values = read(form);
      if (same(values, shown)) localStorage.removeItem(key);
      else localStorage.setItem(key, JSON.stringify({ values: values, at: Date.now() }));
    }
    form.addEventListener("input", keep);
    form.addEventListener("change", keep);
    form.addEventListener("submit", keep);
  });
})();
