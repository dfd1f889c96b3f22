// Swagger UI puts each operation's deep link inside the button that opens the operation: two
// controls nested in one (axe: nested-interactive), read out and focused twice. Deep linking is
// off, so the link leads nowhere the button does not: it stays as text, without its href.
(function () {
  const root = document.getElementById("swagger-ui");
  if (!root) return;
  new MutationObserver(function () {
    for (const link of root.querySelectorAll(".opblock-summary-control a[href]")) {
      link.removeAttribute("href");
    }
  }).observe(root, {childList: true, subtree: true});
})();
