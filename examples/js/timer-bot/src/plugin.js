// timer-bot: time-based work driven from chat, two ways.
//
// A plugin has no event loop of its own:
// - owncast.timer asks the host to call back later (setTimeout once,
//   setInterval until clear); the callbacks stay in this instance, so the
//   module-level state below is what they see;
// - onTick runs about once a second for open-ended periodic work.
// Neither needs a permission; what they do still does (chat.send here).
//
//   !remind <seconds> <message>   "@<name> reminder: <message>" after the delay (setTimeout)
//   !every <seconds> <message>    <message> every <seconds> until !stop (setInterval, one repeater)
//   !countdown <seconds>          <seconds>, ..., 1, then "Go!", one per tick
//   !stop                         cancels the repeater, the countdown and pending reminders
const { definePlugin, owncast } = require("@owncast/plugin-sdk");

// The host's ceiling for one delay is a day.
const MAX_SECONDS = 24 * 60 * 60;

const reminders = new Set(); // pending setTimeout ids
let repeater = null; // setInterval id of !every
let countdown = 0; // numbers !countdown still has to say

/** "30" -> 30; anything but a whole number of seconds in 1..MAX_SECONDS -> null. */
function seconds(word) {
  if (!/^\d+$/.test(word || "")) return null;
  const n = Number(word);
  return n >= 1 && n <= MAX_SECONDS ? n : null;
}

function nameOf(user) {
  if (typeof user === "string") return user || "you";
  return (user && (user.displayName || user.username)) || "you";
}

function cancel(id) {
  if (id !== null) owncast.timer.clear(id);
  return null;
}

const commands = {
  remind(args, msg) {
    const delay = seconds(args[0]);
    const text = args.slice(1).join(" ");
    if (!delay || !text) return "Usage: !remind <seconds> <message>";
    const who = nameOf(msg.user);
    const id = owncast.timer.setTimeout(() => {
      reminders.delete(id);
      owncast.chat.send(`@${who} reminder: ${text}`);
    }, delay * 1000);
    reminders.add(id);
    return `Reminder set: ${delay}s`;
  },

  every(args) {
    const period = seconds(args[0]);
    const text = args.slice(1).join(" ");
    if (!period || !text) return "Usage: !every <seconds> <message>";
    repeater = cancel(repeater);
    repeater = owncast.timer.setInterval(() => owncast.chat.send(text), period * 1000);
    return `Repeating every ${period}s (send !stop to end)`;
  },

  countdown(args) {
    const from = seconds(args[0]);
    if (!from) return "Usage: !countdown <seconds>";
    countdown = from;
    return `Counting down from ${from}`;
  },

  stop() {
    repeater = cancel(repeater);
    countdown = 0;
    reminders.forEach((id) => cancel(id));
    reminders.clear();
    return "Stopped";
  },
};

module.exports = definePlugin({
  // About once a second while the plugin runs; only a countdown uses it.
  onTick() {
    if (countdown <= 0) return;
    owncast.chat.send(String(countdown));
    countdown -= 1;
    if (countdown === 0) owncast.chat.send("Go!");
  },

  onChatMessage(msg) {
    if (msg.user && msg.user.isBot) return; // a repeated "!stop" must not stop itself
    const words = String(msg.body || "").trim().split(/\s+/);
    const name = words[0].startsWith("!") ? words[0].slice(1) : "";
    if (!Object.prototype.hasOwnProperty.call(commands, name)) return;
    let answer;
    try {
      answer = commands[name](words.slice(1), msg);
    } catch (e) {
      // past its cap of pending timers the host refuses a new one
      if (!/refused the timer/.test(String(e && e.message))) throw e;
      answer = "Too many timers are pending: send !stop or wait for one to fire";
    }
    owncast.chat.send(answer);
  },
});
