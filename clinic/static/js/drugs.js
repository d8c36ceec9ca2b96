// Recording an administration: show the residue left in the ampoule as the nurse types, and
// ask for the witness only when there is residue to destroy. Without this script the witness
// fields are always shown and the server decides whether they are needed.
const form = document.querySelector("form[data-residue]");
if (form) {
  const drawn = form.querySelector("#id_drawn_mg");
  const given = form.querySelector("#id_administered_mg");
  const witness = form.querySelector("fieldset.witness");
  const output = form.querySelector("[data-residue-output]");
  const number = (field) => parseFloat(field.value.replace(",", "."));
  const update = () => {
    const residue = number(drawn) - number(given);
    const known = Number.isFinite(residue);
    witness.hidden = known && residue <= 0;
    output.textContent =
      known && residue > 0
        ? output.dataset.template.replace("{mg}", String(Math.round(residue * 1000) / 1000))
        : "";
  };
  drawn.addEventListener("input", update);
  given.addEventListener("input", update);
  update();
}
