// Describe page: clicking an example fills the request box.
(function () {
  "use strict";
  const box = document.getElementById("id_text");
  if (!box) return;
  document.querySelectorAll(".examples li[data-example]").forEach((item) => {
    item.addEventListener("click", () => {
      box.value = item.dataset.example;
      box.focus();
    });
  });
})();
