// chat-leaderboard: chat activity ranked in the plugin's own SQLite database
// (storage.sql).
//
// Each chat message that is not a command counts for its sender, keyed by
// user id; the stored display name follows the latest message, so a rename
// keeps the count. Commands:
//   !top               the five most active chatters
//   !rank              the sender's place
//   !resetleaderboard  moderators only: empties the board and logs the reset
const { definePlugin, owncast } = require("@owncast/plugin-sdk");

const SHOWN = 5;
// !top and !rank rank the same way: most messages first, ties by name, then id.
const RANKING = "messages DESC, display_name, user_id";

// There is no install hook: the tables appear with the first statement that
// needs them. One exec runs as one transaction, so both exist or neither.
let haveTables = false;
function tables() {
  if (haveTables) return;
  owncast.sql.exec(`
    CREATE TABLE IF NOT EXISTS chatters (
      user_id TEXT PRIMARY KEY,
      display_name TEXT NOT NULL,
      messages INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE IF NOT EXISTS resets (at TEXT NOT NULL);
  `);
  haveTables = true;
}

function count(user) {
  tables();
  owncast.sql.exec(
    `INSERT INTO chatters (user_id, display_name, messages) VALUES (?, ?, 1)
     ON CONFLICT (user_id) DO UPDATE SET messages = messages + 1, display_name = excluded.display_name`,
    [user.id, user.displayName || "someone"]
  );
}

function top() {
  tables();
  // The LIMIT matters: the host refuses a result that would outgrow its
  // budget instead of cutting it short.
  return owncast.sql.query(`SELECT display_name, messages FROM chatters ORDER BY ${RANKING} LIMIT ?`, [SHOWN]);
}

function placeOf(userId) {
  tables();
  // queryRow asks the host for one row only.
  return owncast.sql.queryRow(
    `SELECT display_name, messages, place FROM
       (SELECT user_id, display_name, messages, row_number() OVER (ORDER BY ${RANKING}) AS place FROM chatters)
     WHERE user_id = ?`,
    [userId]
  );
}

function reset() {
  tables();
  // Two statements, one transaction: the board is never emptied without the
  // reset being logged, nor the other way round.
  owncast.sql.exec("DELETE FROM chatters; INSERT INTO resets (at) VALUES (datetime('now'))");
  return owncast.sql.queryRow("SELECT count(*) AS n FROM resets").n;
}

module.exports = definePlugin({
  onChatMessage(msg) {
    if (msg.user && !String(msg.body || "").startsWith("!")) count(msg.user);
  },

  commands: {
    top: {
      description: "The most active chatters",
      run(ctx) {
        const rows = top();
        ctx.reply(
          rows.length
            ? `Top chatters: ${rows.map((r, i) => `${i + 1}. ${r.display_name} (${r.messages})`).join(", ")}`
            : "No messages counted yet."
        );
      },
    },
    rank: {
      description: "Your place on the leaderboard",
      run(ctx) {
        const me = placeOf(ctx.user ? ctx.user.id : "");
        ctx.reply(me ? `${me.display_name} is #${me.place} with ${me.messages} message(s).` : "You have not sent any messages yet.");
      },
    },
    resetleaderboard: {
      description: "Clear the leaderboard (moderators only)",
      modOnly: true,
      run(ctx) {
        ctx.reply(`Leaderboard cleared. Times reset: ${reset()}.`);
      },
    },
  },
});
