// Polls the plugin's JSON endpoint (relative URL: works wherever the plugin is mounted).
const list = document.getElementById("chat");

function render(messages) {
  list.replaceChildren(
    ...messages.map((m) => {
      const li = document.createElement("li");
      const user = document.createElement("span");
      user.className = "user";
      user.textContent = m.user;
      li.append(user, document.createTextNode(m.body));
      return li;
    })
  );
}

async function poll() {
  try {
    const res = await fetch("api/messages", { cache: "no-store" });
    if (res.ok) render((await res.json()).messages);
  } catch (e) {
    // keep the last messages on screen; try again
  }
  setTimeout(poll, 2000);
}

poll();
