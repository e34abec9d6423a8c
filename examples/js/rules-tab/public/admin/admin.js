// The rules editor: loads GET ./api/rules, saves with PUT ./api/rules.
const $ = (id) => document.getElementById(id);
const FIELDS = ["tabName", "title", "description", "footer"];
const list = $("rules");
const status = $("status");

function say(text, isError) {
  status.textContent = text;
  status.className = isError ? "error" : "";
}

function renumber() {
  const n = list.children.length;
  $("count").textContent = `(${n})`;
  [...list.children].forEach((li, i) => {
    li.querySelector("textarea").setAttribute("aria-label", `Rule ${i + 1}`);
    li.querySelector(".up").disabled = i === 0;
    li.querySelector(".down").disabled = i === n - 1;
  });
}

function button(label, cls, onclick) {
  const b = document.createElement("button");
  b.type = "button";
  b.className = cls;
  b.textContent = label;
  b.onclick = onclick;
  return b;
}

function addRule(text) {
  const li = document.createElement("li");
  const area = document.createElement("textarea");
  area.rows = 2;
  area.maxLength = 1000;
  area.value = text || "";
  li.append(
    area,
    button("↑", "up", () => { li.previousElementSibling?.before(li); renumber(); }),
    button("↓", "down", () => { li.nextElementSibling?.after(li); renumber(); }),
    button("Remove", "remove", () => { li.remove(); renumber(); })
  );
  list.append(li);
  renumber();
  return area;
}

async function load() {
  const r = await fetch("./api/rules");
  if (!r.ok) throw new Error(`Could not load the rules (${r.status}).`);
  const s = await r.json();
  for (const k of FIELDS) $(k).value = s[k] || "";
  $("requireAcceptance").checked = !!s.requireAcceptance;
  list.replaceChildren();
  s.rules.forEach(addRule);
}

$("add").onclick = () => addRule("").focus();
$("form").onsubmit = async (e) => {
  e.preventDefault();
  const body = { requireAcceptance: $("requireAcceptance").checked };
  for (const k of FIELDS) body[k] = $(k).value;
  body.rules = [...list.querySelectorAll("textarea")].map((t) => t.value);
  $("save").disabled = true;
  try {
    const r = await fetch("./api/rules", {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    if (!r.ok) throw new Error((await r.text()) || `Saving failed (${r.status}).`);
    say("Saved: viewers see the new rules now.");
  } catch (err) {
    say(err.message, true);
  } finally {
    $("save").disabled = false;
  }
};
load().catch((err) => say(err.message, true));
