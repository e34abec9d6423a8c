//! `owncast-plugin`: test, demo, serve and package Owncast plugins.

mod bench;
mod build;
mod contract;
mod demo;
mod loadtest;
mod package;
mod run;
mod serve;
mod setup;
mod simulate;
mod style;
mod test;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// jemalloc instead of the system allocator. The host hands each guest call
/// to whichever thread is free (and Owncast callbacks to blocking threads),
/// so hundreds of threads allocate and free in turn; glibc's malloc keeps
/// what they free in per-thread arenas and the process's RSS grew by a
/// quarter over ten minutes of a load test with hostile plugins while the
/// live heap stayed at 25 MiB. jemalloc returns freed pages to the system
/// after a short decay: RSS stays flat (docs/RELIABILITY.md, "Load").
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[derive(Parser)]
#[command(name = "owncast-plugin", version, about = "Build, test, preview and run Owncast plugins")]
struct Cli {
    /// Log filter (tracing syntax), e.g. `info` or `owncast_plugin_host=debug`.
    #[arg(long, global = true, env = "OWNCAST_PLUGIN_LOG")]
    log: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Build a plugin project in place (Python: src/plugin.py; JavaScript: package.json's build script).
    Build(build::Args),
    /// Run a plugin's JSON scenario tests (`__tests__/*.test.json`) against its built code.
    Test(test::Args),
    /// Stream a simulated chat through a folder of plugins and show what each one does.
    Demo(demo::Args),
    /// Generate the wire-protocol document and TypeScript types from wit/.
    Contract(contract::Args),
    /// Serve one plugin locally with a dev page (chat, events, preview); rebuild and reload on change.
    Serve(serve::Args),
    /// Run the full plugin host: plugins folder, embedded store, HTTP server and admin API.
    Run(run::Args),
    /// Bundle a built plugin directory into <slug>.ocpkg.
    Package(package::Args),
    /// Measure a filter plugin (JS, Rust or Python): filter call latency, instantiation, memory per loaded plugin.
    Bench(bench::Args),
    /// Run the full host in-process under chat, HTTP and SSE load while hostile plugins misbehave; report throughput, latency, drops and RSS.
    Loadtest(loadtest::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let default_log = match cli.command {
        // These print what happens themselves.
        Command::Test(_) | Command::Demo(_) => "off",
        _ => "error",
    };
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(cli.log.as_deref().unwrap_or(default_log)))
        .with_writer(std::io::stderr)
        .init();
    let rt = tokio::runtime::Runtime::new().expect("tokio runtime");
    let result = rt.block_on(async {
        match cli.command {
            Command::Build(a) => build::run(a).await,
            Command::Test(a) => test::run(a).await,
            Command::Demo(a) => demo::run(a).await,
            Command::Contract(a) => contract::run(a).await,
            Command::Serve(a) => serve::run(a).await,
            Command::Run(a) => run::run(a).await,
            Command::Package(a) => package::run(a).await,
            Command::Bench(a) => bench::run(a).await,
            Command::Loadtest(a) => loadtest::run(a).await,
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("{} {e:#}", style::red("error:"));
            ExitCode::from(2)
        }
    }
}
