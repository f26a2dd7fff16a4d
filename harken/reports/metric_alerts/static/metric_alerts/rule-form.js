// Show only the settings of the chosen kind of alert; without JavaScript every setting stays visible.
document.addEventListener("DOMContentLoaded", function () {
  var kind = document.getElementById("id_kind");
  if (!kind) return;
  function update() {
    document.querySelectorAll("[data-kinds]").forEach(function (group) {
      var wanted = group.getAttribute("data-kinds").split(" ");
      group.style.display = wanted.indexOf(kind.value) === -1 ? "none" : "";
    });
  }
  kind.addEventListener("change", update);
  update();
});
