//! `owncast-plugin demo`: a simulated chat stream through real plugins.
//!
//! Each viewer message goes through the filter chain (printed step by step),
//! then, if it survives, out to the notification subscribers; bot replies and
//! plugin-to-plugin events are printed as they happen.

use crate::{setup, style};
use owncast_plugin_host::capabilities::http_outbound::NetworkOutbound;
use owncast_plugin_host::dispatcher::{Observer, StepResult};
use owncast_plugin_host::event::Event;
use owncast_plugin_host::owncast::ChatSend;
use owncast_plugin_host::types::{self, ChatMessage, ChatUser, StreamLifecycle};
use owncast_plugin_host::{CallError, Host, PluginBundle};
use owncast_plugin_testing::SimulatedOwncast;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

#[derive(clap::Args)]
pub struct Args {
    /// Plugin directories, or folders of them. Default: the built JS examples,
    /// else the built Rust examples.
    dirs: Vec<PathBuf>,
    /// Milliseconds between chat messages.
    #[arg(long, default_value_t = 150)]
    pace: u64,
}

struct Printer;

impl Observer for Printer {
    fn emitted(&self, from: &str, event: &Event, depth: u32) {
        println!(
            "      {} {} emitted {} {}",
            style::cyan("⇢"),
            from,
            style::bold(event.event_type()),
            style::dim(&format!("{} (depth {depth})", event.payload_json()))
        );
    }
    fn failed(&self, slug: &str, what: &str, error: &CallError) {
        if what == "on_filter" {
            return; // shown as the filter step
        }
        let e = error.to_string();
        println!("      {} {slug} {what} failed: {}", style::yellow("!"), style::dim(e.lines().next().unwrap_or("")));
    }
    fn disabled(&self, slug: &str, reason: &str) {
        println!("      {} {} {}", style::red("⛔"), style::bold(slug), style::red(&short(reason)));
    }
}

/// An error's first line and the first frame of the plugin's stack, if any.
fn short(reason: &str) -> String {
    reason.lines().take(2).map(str::trim).collect::<Vec<_>>().join(" ")
}

/// Plugin directories under `dir` (or `dir` itself).
fn plugin_dirs(dir: &Path) -> Vec<PathBuf> {
    if dir.join("plugin.manifest.json").is_file() {
        return vec![dir.to_path_buf()];
    }
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| rd.flatten().map(|e| e.path()).filter(|p| p.join("plugin.manifest.json").is_file()).collect())
        .unwrap_or_default();
    out.sort();
    out
}

/// Examples that misbehave on purpose and have no place in the story.
const NOT_IN_THE_DEMO: &[&str] = &["safeguard-stress"];

fn default_dirs() -> Vec<PathBuf> {
    for root in ["examples/js", "examples/rust"] {
        let mut dirs = plugin_dirs(Path::new(root));
        dirs.retain(|d| !NOT_IN_THE_DEMO.iter().any(|n| d.ends_with(n)));
        if dirs.iter().any(|d| PluginBundle::from_dir(d).is_ok()) {
            return dirs;
        }
    }
    Vec::new()
}

fn message(n: usize, user: &str, body: &str, seconds: u32) -> Event {
    Event::from(types::Event::ChatMessageReceived(ChatMessage {
        id: format!("m{n}"),
        user: Some(ChatUser {
            id: format!("u-{user}"),
            display_name: user.to_string(),
            display_color: Some(owncast_plugin_testing::display_color(&format!("u-{user}"))),
            ..Default::default()
        }),
        body: body.to_string(),
        timestamp: format!("2024-01-01T00:{:02}:{:02}Z", seconds / 60, seconds % 60),
        client_id: Some(n as u64),
    }))
}

pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let dirs: Vec<PathBuf> =
        if args.dirs.is_empty() { default_dirs() } else { args.dirs.iter().flat_map(|d| plugin_dirs(d)).collect() };
    if dirs.is_empty() {
        anyhow::bail!("no built plugins found; build the examples first (see README) or name plugin directories");
    }
    let owncast = Arc::new(SimulatedOwncast::demo().on_chat(|_slug, bot, m| {
        let text = match m {
            ChatSend::Message { body } => body.clone(),
            ChatSend::Action { body } => format!("* {body}"),
            ChatSend::System { html } => format!("[system] {html}"),
            ChatSend::To { client_id, body } => format!("(to client {client_id}) {body}"),
        };
        println!("      {} {}: {text}", style::green("↳"), style::bold(bot));
    }));
    let mut builder =
        Host::builder(owncast, Arc::new(NetworkOutbound)).runtime(setup::runtime()?).observer(Arc::new(Printer));
    for l in setup::loaders() {
        builder = builder.loader(l);
    }
    let host = builder.build()?;

    println!("{}", style::bold("Loading plugins"));
    for d in &dirs {
        let loaded = match PluginBundle::from_dir(d) {
            Ok(b) => host.load(b).await.map_err(anyhow::Error::from),
            Err(e) => Err(e.into()),
        };
        match loaded {
            Ok(p) => println!(
                "  {} {} {} {}",
                style::green("✓"),
                style::bold(p.slug()),
                style::dim(&format!("v{} ({})", p.manifest.version, p.kind)),
                style::dim(&subs(&p))
            ),
            Err(e) => println!("  {} {}: {e:#}", style::red("✗"), d.display()),
        }
    }
    let chain: Vec<String> = host.filter_chain("chat.message.received").iter().map(|p| p.slug().to_string()).collect();
    println!("\nFilter chain for chat.message.received: {}\n", style::bold(&chain.join(" → ")));

    let started = Event::from(types::Event::StreamStarted(StreamLifecycle {
        started_at: Some("2024-01-01T00:00:00Z".into()),
        title: Some("Plugin demo".into()),
        summary: Some("Plugins, one filter at a time".into()),
        ..Default::default()
    }));
    println!("{} stream.started", style::cyan("●"));
    host.notify(&started).await;

    let script = [
        ("alice", "hello everyone!", 0),
        ("bob", "this stream is damn good", 5),
        ("alice", "spam spam", 1),
        ("carol", "/announce giveaway at 9pm", 20),
        ("bob", "nice", 30),
        ("carol", "hi hi", 40),
        ("dave", "what the hell", 50),
        ("alice", "bye!", 70),
    ];
    for (n, (user, body, secs)) in script.iter().enumerate() {
        tokio::time::sleep(std::time::Duration::from_millis(args.pace)).await;
        println!("{} {}: {body}", style::cyan("●"), style::bold(user));
        let outcome = host.filter(message(n, user, body, *secs)).await;
        for s in &outcome.steps {
            let what = match &s.result {
                StepResult::Pass => style::dim("pass"),
                StepResult::Modified => style::yellow("modified"),
                StepResult::Dropped(r) => style::red(&format!("dropped: {r}")),
                StepResult::Failed(e) => style::yellow(&format!("failed open: {}", e.lines().next().unwrap_or(""))),
            };
            println!("    {} {what}", s.slug);
        }
        if outcome.dropped.is_some() {
            continue;
        }
        if let Ok(types::Event::ChatMessageReceived(m)) = outcome.event.typed() {
            if m.body != *body {
                println!("    {} shown as: {}", style::yellow("✎"), m.body);
            }
        }
        host.notify(&outcome.event).await;
    }
    println!("{} stream.stopped", style::cyan("●"));
    host.notify(&Event::from(types::Event::StreamStopped(StreamLifecycle {
        stopped_at: Some("2024-01-01T00:10:00Z".into()),
        title: Some("Plugin demo".into()),
        ..Default::default()
    })))
    .await;

    println!("\n{}", style::bold("Plugin health"));
    for p in host.plugins() {
        let h = p.health();
        let status = match &h.disabled {
            Some(r) => style::red(&format!("disabled: {}", short(r))),
            None => style::green("enabled"),
        };
        println!(
            "  {:<18} {status} {}",
            p.slug(),
            style::dim(&format!("({} calls, {} failures)", h.calls, h.failures))
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn subs(p: &owncast_plugin_host::LoadedPlugin) -> String {
    let n: Vec<&str> = p.subscriptions.notify.iter().map(|s| s.event.as_str()).collect();
    let f: Vec<&str> = p.subscriptions.filter.iter().map(|s| s.event.as_str()).collect();
    let mut parts = Vec::new();
    if !f.is_empty() {
        parts.push(format!("filters {}", f.join(", ")));
    }
    if !n.is_empty() {
        parts.push(format!("notified of {}", n.join(", ")));
    }
    parts.join("; ")
}
