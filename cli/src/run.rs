//! `owncast-plugin run`: the full plugin host as Owncast would embed it,
//! standalone: the embedded durable store, the plugin manager over a plugins
//! folder, and the HTTP server (plugin routes, SSE, actions, admin API).
//! Owncast itself is simulated; chat the plugins send is printed.

use crate::{setup, style};
use owncast_plugin_host::capabilities::http_outbound::NetworkOutbound;
use owncast_plugin_host::kv::RedbStore;
use owncast_plugin_host::owncast::ChatSend;
use owncast_plugin_host::Host;
use owncast_plugin_manager::{ManagerConfig, PluginManager, Status};
use owncast_plugin_server::{PluginServer, ServerConfig};
use owncast_plugin_testing::SimulatedOwncast;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

#[derive(clap::Args)]
pub struct Args {
    /// The plugins folder: `.ocpkg` packages, loose `<slug>.wasm` +
    /// `<slug>.manifest.json` files, or plugin directories.
    #[arg(long, default_value = "plugins")]
    plugins: PathBuf,
    /// Where the host keeps its store (`kv.redb`), the enabled set and
    /// approvals (`plugins.json`) and unpacked packages.
    #[arg(long, default_value = "data")]
    data: PathBuf,
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// A file whose first line is the password of the `admin` user (admin
    /// pages and the admin API). Without it, `OWNCAST_ADMIN_PASSWORD` is
    /// read; without either, a random password is kept in
    /// `<data>/admin-password`. The password is never printed.
    #[arg(long, value_name = "FILE")]
    admin_password_file: Option<PathBuf>,
    /// The admin password itself, for development only: every user of the
    /// machine can read a command line.
    #[arg(long, value_name = "PASSWORD", conflicts_with = "admin_password_file")]
    admin_password: Option<String>,
    /// Open connections allowed in total.
    #[arg(long, value_name = "N")]
    max_connections: Option<usize>,
    /// Open connections allowed per client address (IPv6: per /64). Behind a
    /// reverse proxy every client has the proxy's address: raise it there.
    #[arg(long, value_name = "N")]
    max_connections_per_client: Option<usize>,
    /// Approve the permissions of every plugin found and enable it (for
    /// trying plugins out; a real admin approves each one).
    #[arg(long)]
    enable_all: bool,
    /// Seconds between scans of the plugins folder for dropped-in or changed
    /// plugins; 0 scans only at start and on `POST /api/admin/plugins/rescan`.
    #[arg(long, default_value_t = 2)]
    rescan: u64,
}

/// The environment variable the admin password is read from.
pub const PASSWORD_ENV: &str = "OWNCAST_ADMIN_PASSWORD";

/// Where the admin password comes from (shown instead of the password).
enum PasswordSource {
    File(PathBuf),
    Env,
    Flag,
    Generated(PathBuf),
}

fn read_password_file(path: &std::path::Path) -> anyhow::Result<String> {
    let text =
        std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("admin password file {}: {e}", path.display()))?;
    let line = text.lines().next().unwrap_or("").trim_end_matches('\r');
    anyhow::ensure!(!line.is_empty(), "admin password file {}: its first line is empty", path.display());
    Ok(line.to_string())
}

/// The admin password: `--admin-password-file`, else `OWNCAST_ADMIN_PASSWORD`,
/// else `--admin-password` (with a warning), else the one kept in
/// `<data>/admin-password` (made on first start, readable by the owner only).
fn admin_password(a: &Args) -> anyhow::Result<(String, PasswordSource)> {
    if let Some(f) = &a.admin_password_file {
        return Ok((read_password_file(f)?, PasswordSource::File(f.clone())));
    }
    if let Some(p) = std::env::var(PASSWORD_ENV).ok().filter(|p| !p.is_empty()) {
        anyhow::ensure!(a.admin_password.is_none(), "--admin-password and {PASSWORD_ENV} are both set; use one");
        return Ok((p, PasswordSource::Env));
    }
    if let Some(p) = a.admin_password.clone().filter(|p| !p.is_empty()) {
        eprintln!(
            "{} --admin-password puts the password in the command line, which every user of this machine can read; \
             use {PASSWORD_ENV} or --admin-password-file outside development",
            style::yellow("warning:")
        );
        return Ok((p, PasswordSource::Flag));
    }
    let file = a.data.join("admin-password");
    if file.exists() {
        return Ok((read_password_file(&file)?, PasswordSource::Generated(file)));
    }
    let p = random_password();
    write_private(&file, format!("{p}\n").as_bytes()).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    Ok((p, PasswordSource::Generated(file)))
}

/// Writes a file only its owner can read.
fn write_private(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    o.open(path)?.write_all(bytes)
}

fn random_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut bytes = [0u8; 16];
    getrandom::getrandom(&mut bytes).expect("system randomness");
    bytes.iter().map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char).collect()
}

pub async fn run(a: Args) -> anyhow::Result<ExitCode> {
    std::fs::create_dir_all(&a.data).map_err(|e| anyhow::anyhow!("{}: {e}", a.data.display()))?;
    let (password, source) = admin_password(&a)?;
    let store = Arc::new(RedbStore::open(&a.data.join("kv.redb"))?);
    let sim = SimulatedOwncast::demo().on_chat(|slug, bot, msg| {
        let text = match msg {
            ChatSend::Message { body } => body.clone(),
            ChatSend::Action { body } => format!("* {body}"),
            ChatSend::System { html } => format!("[system] {html}"),
            ChatSend::To { client_id, body } => format!("(to {client_id}) {body}"),
        };
        println!("  {} {} {}", style::cyan("chat"), style::bold(bot), style::dim(&format!("({slug})")));
        println!("       {text}");
    });
    let mut builder = Host::builder(Arc::new(sim), Arc::new(NetworkOutbound))
        .runtime(setup::runtime()?)
        .kv(store)
        .data_dir(a.data.join("plugin-storage"))
        .migrate_storage_from(a.data.join("plugin-data"));
    for l in setup::loaders() {
        builder = builder.loader(l);
    }
    let host = Arc::new(builder.build()?);
    let mut mc = ManagerConfig::new(&a.plugins);
    mc.state_file = a.data.join("plugins.json");
    mc.work_dir = a.data.join("ocpkg");
    let manager = PluginManager::new(host.clone(), mc)?;
    manager.rescan().await;
    if a.enable_all {
        for p in manager.list() {
            if p.status != Status::Enabled {
                if let Err(e) = manager.approve(&p.slug, None).await {
                    eprintln!("{} {}: {e}", style::yellow("warning:"), p.slug);
                }
            }
        }
    }

    let mut config = ServerConfig::new(host.runtime().limits()).admin_password(password);
    if let Some(n) = a.max_connections {
        config.limits.max_connections = n;
    }
    if let Some(n) = a.max_connections_per_client {
        config.limits.max_connections_per_client = n;
    }
    let server = Arc::new(
        PluginServer::new(host.clone(), config)
            .with_manager(manager.clone())
            .with_extra_routes(Arc::new(crate::simulate::SimulatedChat::new(host.clone()))),
    );
    let running = server.bind(a.listen).await.map_err(|e| anyhow::anyhow!("listening on {}: {e}", a.listen))?;
    let base = format!("http://{}", running.local_addr());

    println!("{} on {}", style::bold("Owncast plugin host"), style::cyan(&base));
    println!("  plugins folder {}   data {}", a.plugins.display(), a.data.display());
    for p in manager.list() {
        let status = match p.status {
            Status::Enabled => style::green("enabled"),
            Status::Disabled => style::dim("disabled"),
            _ => style::yellow(&format!("{:?}", p.status).to_lowercase()),
        };
        println!("  {:<20} {:<10} {status:<10} {base}/plugins/{}/", p.slug, p.version, p.slug);
        if let Some(e) = &p.last_error {
            println!("      {}", style::red(e));
        }
        style::print_warnings(&p.warnings);
    }
    for f in manager.invalid() {
        println!("  {} {}: {}", style::yellow("skipped"), f.file, f.error);
    }
    for problem in manager.problems() {
        println!("  {} {problem}", style::yellow("warning:"));
    }
    if manager.list().is_empty() {
        println!("  (no plugins yet: drop .ocpkg files into {}, or upload one)", a.plugins.display());
    }
    let from = match &source {
        PasswordSource::File(f) => format!("from {}", f.display()),
        PasswordSource::Env => format!("from {PASSWORD_ENV}"),
        PasswordSource::Flag => "from --admin-password (development only)".to_string(),
        PasswordSource::Generated(f) => {
            format!("generated, in {} (set {PASSWORD_ENV} or --admin-password-file to choose one)", f.display())
        }
    };
    println!("  admin: user {}, password {from}", style::bold("admin"));
    println!(
        "  admin page: {base}/admin/plugins/   admin API: {base}/api/admin/plugins   metrics: {base}/api/admin/metrics"
    );
    println!(
        "  simulated chat: POST {base}{} {{\"user\", \"body\"}}   actions: {base}/api/plugins/actions",
        crate::simulate::CHAT_PATH
    );
    println!("  Ctrl-C stops.");

    let mut ticker = tokio::time::interval(Duration::from_secs(a.rescan.max(1)));
    ticker.tick().await;
    let shutdown = shutdown_signal();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            _ = ticker.tick(), if a.rescan > 0 => manager.rescan().await,
        }
    }
    println!("stopping");
    running.shutdown().await;
    Ok(ExitCode::SUCCESS)
}

/// Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("SIGTERM handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
