//! A component that calls the host functions newer upstream versions added,
//! through their WIT interfaces: `timer`, `assets` (ambient), `sql`,
//! `users-register` and `auth-gate`; and the newest ones: `log` (upstream's
//! `owncast_log_*`) and `server.server-emotes`. Chat commands report what
//! came back. It also declares a host-routed chat command (`!roll`) and
//! renders page content (world `page-content`).

use owncast_plugin::bindings::owncast::plugin::{assets, auth_gate, log, server, sql, timer, users_register};
use owncast_plugin::{
    chat, export_page_content, export_plugin, http, manifest, CommandInfo, ContentRequest, Event, FilterResult, Guest,
    HttpRequest, HttpResponse, PageContent, Registration,
};

struct Ambient;

fn register(auth_id: &str) -> Result<String, String> {
    users_register::register(&users_register::UserRegistration {
        auth_id: auth_id.to_string(),
        display_name: None,
        scopes: Vec::new(),
        profile_url: None,
        handle: None,
        is_public: false,
    })
}

impl Guest for Ambient {
    fn register() -> Registration {
        let mut r = manifest!().registration();
        // Host-routed chat commands (upstream's `commands`).
        r.commands = Some(vec![CommandInfo {
            name: "roll".into(),
            prefix: Some("!".into()),
            description: Some("Roll the dice".into()),
            usage: None,
            aliases: Some(vec!["dice".into()]),
            mod_only: None,
            case_sensitive: None,
            cooldown_ms: Some(5000),
        }]);
        r
    }

    fn on_event(event: Event) {
        if let Some(c) = event.chat_command() {
            let from = c.message["user"]["displayName"].as_str().unwrap_or("?");
            chat::send(&format!("{from} rolls {} as {} ({})", c.arg_string, c.invoked_as, c.args.len()));
            return;
        }
        match event {
            Event::Custom(c) if c.event_type == "timer.fire" => chat::send(&format!("fired {}", c.payload_json)),
            Event::ChatMessageReceived(m) => {
                let (cmd, arg) = m.body.split_once(' ').unwrap_or((m.body.as_str(), ""));
                match cmd {
                    "!timer" => chat::send(&format!("timer set={}", timer::set(arg.parse().unwrap_or(1), 250, false))),
                    "!clear" => timer::clear(arg.parse().unwrap_or(1)),
                    "!asset" => {
                        let got = assets::read(arg).map(|b| String::from_utf8_lossy(&b).into_owned());
                        chat::send(&format!("asset={}", got.unwrap_or_else(|| "(none)".into())));
                    }
                    "!sql" => {
                        let made = sql::exec("CREATE TABLE IF NOT EXISTS names (name TEXT)", &[]);
                        let put = sql::exec("INSERT INTO names VALUES (?)", &[sql::SqlValue::Text(arg.to_string())]);
                        let rows = sql::query("SELECT name FROM names ORDER BY name", &[], 0);
                        let bad = sql::exec("PRAGMA journal_mode", &[]);
                        let names: Vec<String> = rows
                            .map(|r| r.rows.into_iter().filter_map(|row| match row.into_iter().next() {
                                Some(sql::SqlValue::Text(t)) => Some(t),
                                _ => None,
                            }).collect())
                            .unwrap_or_default();
                        chat::send(&format!(
                            "sql made={} id={} names={} pragma-refused={}",
                            made.is_ok(),
                            put.map(|r| r.last_insert_id).unwrap_or(-1),
                            names.join(","),
                            bad.is_err()
                        ));
                    }
                    "!register" => chat::send(&format!("registered {:?}", register(arg))),
                    "!emotes" => {
                        let emotes: Vec<String> =
                            server::server_emotes().into_iter().map(|e| format!("{}={}", e.name, e.url)).collect();
                        chat::send(&format!("emotes {}", emotes.join(",")));
                    }
                    "!warn" => log::log(log::Level::Warn, arg),
                    "!grant" => chat::send(&format!("grant {:?}", auth_gate::grant_session(arg, None))),
                    _ => {}
                }
            }
            _ => {}
        }
    }

    fn on_filter(_event: Event) -> FilterResult {
        FilterResult::Pass
    }

    fn on_http_request(request: HttpRequest) -> HttpResponse {
        let path = request.path.trim_start_matches('/');
        if path == "login" {
            let outcome = register("carol").and_then(|id| auth_gate::grant_session(&id, Some(120)).map(|()| id));
            return HttpResponse { status: 200, headers: vec![("content-type".into(), "text/plain".into())], body: format!("{outcome:?}") };
        }
        if path == "logout" {
            auth_gate::end_session();
            return HttpResponse { status: 200, headers: Vec::new(), body: "bye".into() };
        }
        http::not_found()
    }
}

export_plugin!(Ambient);

impl PageContent for Ambient {
    fn on_tab_content(request: ContentRequest) -> String {
        let viewer = request.user.map(|u| u.display_name).unwrap_or_else(|| "guest".into());
        format!("<p>tab {} for {viewer}</p><script>alert(1)</script>", request.slug)
    }
    fn on_page_content(request: ContentRequest) -> String {
        format!("<p>slot {}</p>", request.slug)
    }
    fn on_page_styles() -> String {
        ".ambient { color: green }".into()
    }
    // on_page_scripts: the default, nothing.
}

export_page_content!(Ambient);
