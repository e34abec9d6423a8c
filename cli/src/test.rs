//! `owncast-plugin test`: scenario tests.

use crate::{setup, style};
use owncast_plugin_scenario::{PluginReport, ScenarioRunner};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// Plugin directories (each with plugin.manifest.json, its built code and __tests__/).
    #[arg(default_value = ".")]
    dirs: Vec<PathBuf>,
    /// Print one JSON report instead of text.
    #[arg(long)]
    json: bool,
}

pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let runner = ScenarioRunner::new(setup::runtime()?, setup::loaders());
    let mut reports: Vec<PluginReport> = Vec::new();
    for dir in &args.dirs {
        let report = runner.run_dir(dir).await;
        if !args.json {
            print_report(&report);
        }
        reports.push(report);
    }
    let passed: usize = reports.iter().map(|r| r.passed()).sum();
    let failed: usize = reports.iter().map(|r| r.failed()).sum();
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(
                &serde_json::json!({ "plugins": reports, "passed": passed, "failed": failed })
            )?
        );
    } else {
        println!();
        let line = format!("{passed} passed, {failed} failed");
        println!("{}", if failed == 0 { style::green(&line) } else { style::red(&line) });
    }
    Ok(if failed == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

fn print_report(r: &PluginReport) {
    println!("{}", style::bold(&r.dir));
    style::print_warnings(&r.warnings);
    if let Some(e) = &r.error {
        println!("  {} {e}", style::red("✗"));
    }
    for c in &r.cases {
        if c.passed {
            println!("  {} {} {}", style::green("✓"), c.name, style::dim(&format!("({} ms)", c.millis)));
        } else {
            println!("  {} {}", style::red("✗"), c.name);
            for f in &c.failures {
                for (i, line) in f.lines().enumerate() {
                    println!("      {}{line}", if i == 0 { "" } else { "  " });
                }
            }
        }
    }
}
