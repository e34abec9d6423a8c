//! Page content the plugins render (upstream's `on_tab_content`,
//! `on_page_content`, `on_page_styles`, `on_page_scripts`) merged into
//! `/api/plugins/config`, with fake plugins behind the real host and server:
//! sanitized like the files, per viewer, gated on `ui.modify`, each plugin
//! within its deadline, and a failing or slow plugin never breaks the page.

mod common;

use common::*;
use owncast_plugin_host::permissions::{Permission, Permissions};
use owncast_plugin_host::types::ChatUser;
use owncast_plugin_host::PluginBundle;
use owncast_plugin_server::PluginServer;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::{Duration, Instant};

const UI: &[&str] = &["ui.modify"];

fn rendering(slug: &str, manifest: Value, content: Value) -> PluginBundle {
    let mut b = bundle(slug, UI, manifest);
    b.code = fake_code_with(json!({"slug": slug, "version": "1.0.0", "permissions": UI, "content": content}));
    b
}

/// Recognizes `X-Viewer: <name>`.
struct HeaderUsers;
impl owncast_plugin_server::UserResolver for HeaderUsers {
    fn resolve(&self, parts: &http::request::Parts) -> Option<ChatUser> {
        let name = parts.headers.get("x-viewer")?.to_str().ok()?;
        Some(ChatUser { id: format!("u-{name}"), display_name: name.to_string(), ..Default::default() })
    }
}

fn calls_of(slug: &str) -> Vec<String> {
    CONTENT_CALLS.lock().unwrap().iter().filter(|(s, _)| s == slug).map(|(_, e)| e.clone()).collect()
}

#[tokio::test]
async fn dynamic_content_is_merged_sanitized_and_bounded() {
    let host = host();
    let live = json!({
        "tabs": [{"title": "Live", "slug": "live"}, {"title": "Empty", "slug": "empty"}],
        "extraPageContent": {"slug": "banner"},
    });
    let content = json!({
        "on_tab_content": "<p onclick=\"steal()\">tab {slug} for {user}</p><script>alert(1)</script>",
        "on_page_content": "<b>slot {slug} for {user}</b><iframe src=\"/admin\"></iframe>",
        "on_page_styles": ".live { color: red }</style><script>alert(2)</script>",
        "on_page_scripts": "window.live = 1; // no newline at the end",
    });
    host.load(rendering("live", live, content)).await.unwrap();
    // Fails every call: left out, counted, never struck.
    let broken = json!({"tabs": [{"title": "B", "slug": "b"}], "extraPageContent": {"slug": "x"}});
    host.load(rendering(
        "broken",
        broken,
        json!({"on_tab_content": "FAIL", "on_page_content": "FAIL", "on_page_styles": ".b {}"}),
    ))
    .await
    .unwrap();
    // Never answers within the deadline: its later exports are not asked.
    let slow = json!({"tabs": [{"title": "S", "slug": "s"}]});
    host.load(rendering("slow", slow, json!({"on_tab_content": "SLOW", "on_page_styles": ".slow {}"}))).await.unwrap();
    // Declares ui.modify but the admin did not approve it: no dynamic content.
    let mut ungranted = rendering("ungranted", json!({}), json!({"on_page_styles": ".ungranted {}"}));
    ungranted.approved = Some(Permissions::new(Vec::<Permission>::new()));
    host.load(ungranted).await.unwrap();

    let server = PluginServer::new(host.clone(), config()).with_user_resolver(Arc::new(HeaderUsers));
    let (_srv, running) = serve(server).await;
    let started = Instant::now();
    let r = request(running.local_addr(), "GET", "/api/plugins/config", &[("X-Viewer", "ann")], b"").await;
    let took = started.elapsed();
    assert_eq!(r.status, 200, "{}", r.text());
    let deadline = host.runtime().limits().content_deadline;
    assert!(took < deadline + Duration::from_millis(1500), "the page waited {took:?} for a slow plugin");
    let j = r.json();

    assert_eq!(
        j["pluginTabs"],
        json!([
            {"slug": "live/live", "pluginSlug": "live", "title": "Live", "html": "<p>tab live for ann</p>"},
            {"slug": "live/empty", "pluginSlug": "live", "title": "Empty", "html": "<p>tab empty for ann</p>"},
        ])
    );
    assert_eq!(j["extraPageContent"], "<!-- plugin: live — on_page_content -->\n<b>slot banner for ann</b>\n");
    let css = j["pluginStyles"].as_str().unwrap();
    assert_eq!(
        css,
        "/* plugin: broken — on_page_styles */\n.b {}\n/* plugin: live — on_page_styles */\n.live { color: red }<\\/style><script>alert(2)</script>\n"
    );
    assert_eq!(
        j["customJavascript"],
        "// plugin: live — on_page_scripts\ntry {\nwindow.live = 1; // no newline at the end\n} catch (e) { console.error(\"plugin live (on_page_scripts) failed:\", e); }\n"
    );

    assert!(calls_of("ungranted").is_empty(), "no content export is called without the ui.modify grant");
    assert_eq!(calls_of("slow"), ["on_tab_content"], "its time was up after the first call");
    let broken = host.get("broken").unwrap().health();
    assert_eq!((broken.strikes, broken.http_failures), (0, 2), "{broken:?}");
    assert!(broken.last_error.unwrap().contains("on_page_content"));

    // Anonymous viewers: the request carries no user.
    let j = get(running.local_addr(), "/api/plugins/config").await.json();
    assert_eq!(j["pluginTabs"][0]["html"], "<p>tab live for guest</p>");
}

#[tokio::test]
async fn static_and_dynamic_scripts_are_each_guarded() {
    let d = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(d.path().join("assets")).unwrap();
    std::fs::write(d.path().join("assets/a.js"), "throw new Error('a');\n").unwrap();
    std::fs::write(d.path().join("assets/a.css"), ".a {}\n").unwrap();
    let host = host();
    let mut b = rendering(
        "both",
        json!({"scripts": ["a.js"], "styles": ["a.css"]}),
        json!({"on_page_scripts": "window.b = 2;", "on_page_styles": ".b {}"}),
    );
    b.assets = owncast_plugin_host::bundle::assets_in(d.path());
    host.load(b).await.unwrap();
    let (_srv, running) = serve(PluginServer::new(host, config())).await;
    let j = get(running.local_addr(), "/api/plugins/config").await.json();
    assert_eq!(
        j["customJavascript"],
        "// plugin: both — a.js\ntry {\nthrow new Error('a');\n} catch (e) { console.error(\"plugin both (a.js) failed:\", e); }\n\
         // plugin: both — on_page_scripts\ntry {\nwindow.b = 2;\n} catch (e) { console.error(\"plugin both (on_page_scripts) failed:\", e); }\n"
    );
    assert_eq!(j["pluginStyles"], "/* plugin: both — a.css */\n.a {}\n/* plugin: both — on_page_styles */\n.b {}\n");
}
