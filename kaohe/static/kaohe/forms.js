// Kaohe's own file picker and required-field messages, in Chinese: the browser's own speak the browser's
// language ("Choose File", "Please fill out this field"), which on many installations is English.
(function () {
  const REQUIRED = {
    file: "请选择要上传的文件。",
    select: "请从列表中选择一项。",
    checkbox: "请勾选此项。",
    radio: "请选择其中一项。",
    other: "请填写此项。",
  };

  function requiredMessage(el) {
    if (el.tagName === "SELECT") return REQUIRED.select;
    return REQUIRED[el.type] || REQUIRED.other;
  }

  // Every required field says what is missing in Chinese; the message clears as soon as the field changes.
  document.addEventListener("invalid", function (event) {
    const el = event.target;
    if (el.validity && el.validity.valueMissing) el.setCustomValidity(requiredMessage(el));
  }, true);
  ["input", "change"].forEach(function (type) {
    document.addEventListener(type, function (event) {
      if (event.target.setCustomValidity) event.target.setCustomValidity("");
    }, true);
  });

  // A file input becomes a 选择文件 button and the chosen file's name (未选择文件 until one is chosen). The input
  // itself lies transparent over the button, so it keeps its label, keyboard focus and validation bubble.
  document.querySelectorAll('input[type="file"]').forEach(function (input) {
    const wrap = document.createElement("div");
    wrap.className = "kh-file input-group";
    const button = document.createElement("span");
    button.className = "btn btn-outline-primary kh-file-button";
    button.textContent = "选择文件";
    button.setAttribute("aria-hidden", "true");
    const name = document.createElement("span");
    name.className = "form-control kh-file-name";
    name.setAttribute("data-testid", "file-name");
    name.setAttribute("aria-live", "polite");
    name.textContent = "未选择文件";
    input.parentNode.insertBefore(wrap, input);
    button.appendChild(input);
    wrap.appendChild(button);
    wrap.appendChild(name);
    input.classList.add("kh-file-input");
    input.addEventListener("change", function () {
      const files = Array.prototype.map.call(input.files || [], function (f) { return f.name; });
      name.textContent = files.length ? files.join("、") : "未选择文件";
    });
  });
})();
